"""scikit-learn's common estimator checks over every public estimator (imbalanced-learn style).

Each estimator appears once with small settings so the checks stay fast; every
check expected to fail is listed with its reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn.linear_model import LogisticRegression

from mmsense.cmcsl import CMCSLSelfLabeler, TorchMLPClassifier
from mmsense.preprocessing import ModalityScaler

ESTIMATORS = [
    ModalityScaler(),
    CMCSLSelfLabeler(LogisticRegression(), device="cpu"),
    CMCSLSelfLabeler(TorchMLPClassifier(max_epochs=20, lr=0.05, random_state=0), fusion="early",
                     device="cpu"),
    TorchMLPClassifier(max_epochs=20, lr=0.05, device="cpu", random_state=0),
]

# estimator class name -> {check name: reason}
_MINUS_ONE_IS_UNLABELLED = (
    "y = -1 marks unlabelled rows (as in SelfTrainingClassifier), so the check's class "
    "labels [-1, 1] leave only one labelled class; sklearn exempts its own semi-supervised "
    "estimators from that part of the check by name."
)
EXPECTED_FAILED_CHECKS = {
    "CMCSLSelfLabeler": {"check_classifiers_classes": _MINUS_ONE_IS_UNLABELLED},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
