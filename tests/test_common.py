"""scikit-learn's common estimator checks over every public estimator (imbalanced-learn style).

Each estimator appears once with small settings so the checks stay fast; every
check expected to fail is listed with its reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mmsense.preprocessing import ModalityScaler

ESTIMATORS = [
    ModalityScaler(),
]

# estimator class name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
