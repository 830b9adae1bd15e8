"""scikit-learn's common estimator checks over every public estimator (imbalanced-learn style).

Each estimator appears once with small settings so the checks stay fast; every
check expected to fail is listed with its reason.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from mmsense.cmcsl import CMCSLSelfLabeler, TorchMLPClassifier
from mmsense.dec import DECClassifier, DECPretrainer
from mmsense.mmrest import MMRestRegressor
from mmsense.preprocessing import ModalityScaler


def _tiny_dec_pretrainer():
    return DECPretrainer(embed_dim=8, num_heads=2, hidden_dims=(16,), latent_dim=4,
                         pretrain_max_epochs=2, max_epochs=2, n_init=2)


ESTIMATORS = [
    ModalityScaler(),
    # the checks' regression targets reach +-140, beyond MMRest's default label_range
    MMRestRegressor(label_range=(-1e3, 1e3), n_clusters=2, receptive_field=4, hidden_dim=4,
                    decision_dim=4, batch_size=32, max_epochs=2, random_state=0),
    _tiny_dec_pretrainer(),
    # 5 epochs at lr 1e-2 reach check_classifiers_train's 0.83 training accuracy on blobs
    DECClassifier(_tiny_dec_pretrainer(), max_epochs=5, lr=1e-2),
    CMCSLSelfLabeler(LogisticRegression(), device="cpu"),
    CMCSLSelfLabeler(TorchMLPClassifier(max_epochs=20, lr=0.05, random_state=0), fusion="early",
                     device="cpu"),
    TorchMLPClassifier(max_epochs=20, lr=0.05, device="cpu", random_state=0),
]

_DEC_Y_IS_LABELS = (
    "DECPretrainer reads y as class labels (-1 = unlabelled) with one cluster per class; "
    "this check sets n_clusters to 1 or 2 and passes a y with more classes, which raises "
    "the documented n_clusters/classes mismatch error"
)

_MINUS_ONE_IS_UNLABELLED = (
    "y = -1 marks unlabelled rows (as in SelfTrainingClassifier), so the check's class "
    "labels [-1, 1] leave only one labelled class; sklearn exempts its own semi-supervised "
    "estimators from that part of the check by name."
)

# estimator class name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {
    "MMRestRegressor": {
        "check_regressors_train": (
            "a neural network trained for 2 epochs (to keep the checks fast) does not "
            "reach the check's R^2 > 0.5; tests/test_mmrest_estimator.py tests learning"
        ),
    },
    "DECPretrainer": {
        "check_dont_overwrite_parameters": _DEC_Y_IS_LABELS,
        "check_fit2d_1feature": _DEC_Y_IS_LABELS,
        "check_fit2d_predict1d": _DEC_Y_IS_LABELS,
        # covered without y by tests/test_dec_pretrainer.py::test_row_order_and_subset_invariance
        "check_methods_sample_order_invariance": _DEC_Y_IS_LABELS,
        "check_methods_subset_invariance": _DEC_Y_IS_LABELS,
    },
    "DECClassifier": {
        "check_classifiers_classes": (
            "the check's binary problem uses the classes -1 and 1; -1 marks unlabelled rows "
            "(SelfTrainingClassifier's convention), so only one class is left"
        ),
    },
    "CMCSLSelfLabeler": {"check_classifiers_classes": _MINUS_ONE_IS_UNLABELLED},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
