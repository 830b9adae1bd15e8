"""scikit-learn's common estimator checks over every public estimator (imbalanced-learn style).

Each estimator appears once with small settings so the checks stay fast; every
check expected to fail is listed with its reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mmsense.mmrest import MMRestRegressor
from mmsense.preprocessing import ModalityScaler

ESTIMATORS = [
    ModalityScaler(),
    # the checks' regression targets reach +-140, beyond MMRest's default label_range
    MMRestRegressor(label_range=(-1e3, 1e3), n_clusters=2, receptive_field=4, hidden_dim=4,
                    decision_dim=4, batch_size=32, max_epochs=2, random_state=0),
]

# estimator class name -> {check name: reason}
EXPECTED_FAILED_CHECKS = {
    "MMRestRegressor": {
        "check_regressors_train": (
            "a neural network trained for 2 epochs (to keep the checks fast) does not "
            "reach the check's R^2 > 0.5; tests/test_mmrest_estimator.py tests learning"
        ),
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)
