"""MSA metrics: hand-computed cases, real MOSI labels against an inline computation, scorers."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ConstantInputWarning, pearsonr
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, KFold

from mmsense.metrics import (
    acc2_has0,
    acc2_non0,
    acc3,
    acc5,
    acc7,
    f1_has0,
    f1_non0,
    get_msa_scorer,
    mae,
    msa_report,
    msa_scorers,
    pearson_corr,
)

REPORT_KEYS = ["mae", "corr", "acc7", "acc5", "acc3", "acc2_has0", "f1_has0", "acc2_non0",
               "f1_non0"]
SCORER_KEYS = ["neg_mae"] + REPORT_KEYS[1:]


# ---------------------------------------------------------------- hand-computed cases

def test_mae_hand_computed():
    # |0.5| + 0 + 1 + 2 = 3.5 over 4 samples
    assert mae([0.0, 1.0, -2.0, 3.0], [0.5, 1.0, -1.0, 1.0]) == pytest.approx(0.875)


def test_corr_hand_computed():
    # centerd t = [-1, 0, 1], p = [-1, 1, 0]: dot 1, norms sqrt(2) * sqrt(2) = 2
    assert pearson_corr([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]) == pytest.approx(0.5)
    assert pearson_corr([1.0, 2.0, 3.0], [-2.0, -4.0, -6.0]) == pytest.approx(-1.0)


def test_multiclass_accuracies_clip_then_round():
    t = [1.5, -1.6, 2.6, 0.4]
    p = [0.6, -3.0, 2.4, -0.4]
    # [-3, 3]: t -> 2, -2, 3, 0; p -> 1, -3, 2, -0: only the last matches
    assert acc7(t, p) == 0.25
    # [-2, 2]: t -> 2, -2, 2, 0; p -> 1, -2, 2, -0: three match
    assert acc5(t, p) == 0.75
    # [-1, 1]: t -> 1, -1, 1, 0; p -> 1, -1, 1, -0: all match
    assert acc3(t, p) == 1.0
    # values beyond the range are clipped, not dropped
    assert acc7([3.0], [5.0]) == 1.0
    assert acc5([3.0], [2.4]) == 1.0
    assert acc7([3.0], [2.4]) == 0.0


def test_multiclass_accuracies_round_half_to_even():
    # np.round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -2.5 -> -2
    t = [0.0, 2.0, 2.0, 0.0, -2.0]
    assert acc7(t, [0.5, 1.5, 2.5, -0.5, -2.5]) == 1.0
    # round-half-up would give 1, 2, 3, 0, -2 -> only 3 of 5 equal
    assert acc7(t, [1.0, 2.0, 3.0, 0.0, -2.0]) == 0.6
    # ties in the truths round the same way
    assert acc7([0.5, 1.5, 2.5], [0.0, 2.0, 2.0]) == 1.0
    assert acc7([0.5, 1.5, 2.5], [1.0, 1.0, 3.0]) == 0.0
    # a tie at the clip bound of Acc-3: 0.5 -> 0, not 1
    assert acc3([0.5], [1.0]) == 0.0


def test_binary_metrics_has0_vs_non0():
    t = [0.0, 0.0, 1.0, -1.0, 2.0]
    p = [-0.1, 0.0, 0.5, 0.3, 0.0]
    # has0: t >= 0 -> T T T F T, p >= 0 -> F T T T T: rows 1, 2, 4 agree
    assert acc2_has0(t, p) == pytest.approx(3 / 5)
    # class True (support 4): P = R = 3/4, F1 = 0.75; class False (support 1): F1 = 0
    assert f1_has0(t, p) == pytest.approx((4 * 0.75 + 1 * 0.0) / 5)
    # non0: rows 2, 3, 4 stay; t > 0 -> T F T, p > 0 -> T T F: only row 2 agrees
    assert acc2_non0(t, p) == pytest.approx(1 / 3)
    # class True (support 2): P = R = 1/2; class False (support 1): F1 = 0
    assert f1_non0(t, p) == pytest.approx((2 * 0.5 + 1 * 0.0) / 3)


def test_zero_prediction_counts_positive_in_has0_negative_in_non0():
    t, p = [1.0, -1.0], [0.0, 0.0]
    assert acc2_has0(t, p) == 0.5  # 0 >= 0 is positive: right on t = 1
    assert acc2_non0(t, p) == 0.5  # 0 > 0 is false: right on t = -1
    assert acc2_has0([0.0], [-0.5]) == 0.0  # a zero label is positive in has0


def test_constant_predictions_corr_nan_with_warning():
    t = [-1.0, 0.5, 2.0]
    with pytest.warns(ConstantInputWarning, match="y_pred is constant"):
        assert np.isnan(pearson_corr(t, [0.0, 0.0, 0.0]))
    with pytest.warns(RuntimeWarning, match="y_true and y_pred"):
        assert np.isnan(pearson_corr([1.0, 1.0], [2.0, 2.0]))
    with pytest.warns(ConstantInputWarning):
        report = msa_report(t, [0.0, 0.0, 0.0])
    assert np.isnan(report["corr"])
    assert report["mae"] == pytest.approx(3.5 / 3)
    assert report["acc2_has0"] == pytest.approx(2 / 3)


def test_all_zero_truths_non0_nan_with_warning():
    with pytest.warns(UndefinedMetricWarning, match="every y_true is 0"):
        assert np.isnan(acc2_non0([0.0, 0.0], [1.0, -1.0]))
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(f1_non0([0.0, 0.0], [1.0, -1.0]))


def test_msa_report_keys_order_and_plain_floats():
    t, p = [-1.0, 0.0, 2.0, 1.4], [-0.6, 0.2, 1.5, -0.2]
    report = msa_report(t, p)
    assert list(report) == REPORT_KEYS
    assert all(type(v) is float for v in report.values())
    assert report["mae"] == pytest.approx((0.4 + 0.2 + 0.5 + 1.6) / 4)
    # t -> -1, 0, 2, 1; p -> -1, 0, 2, -0
    assert report["acc7"] == 0.75
    assert report["acc2_non0"] == pytest.approx(2 / 3)


def test_column_vectors_and_float32_accepted():
    t = np.array([[0.0], [1.0], [-2.0]], dtype=np.float32)
    p = np.array([0.5, 1.0, -1.0], dtype=np.float32)
    assert mae(t, p) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([1.0, 2.0], [1.0], "same length; got 2 and 1"),
        ([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], r"y_true must be 1-D .* shape \(2, 2\)"),
        ([], [], "y_true is empty"),
        ([1.0, np.nan], [1.0, 2.0], "y_true must be finite; found nan at index 1"),
        ([1.0, 2.0], [np.inf, 2.0], "y_pred must be finite; found inf at index 0"),
        ([1.0, 2.0], ["a", "b"], "y_pred must hold numeric"),
    ],
)
def test_invalid_input_errors(y_true, y_pred, match):
    for metric in (mae, pearson_corr, acc7, f1_non0, msa_report):
        with pytest.raises(ValueError, match=match):
            metric(y_true, y_pred)


# ---------------------------------------------------------------- real MOSI test labels

def _mosi_test_labels():
    candidates = [Path(__file__).resolve().parents[1] / ".." / "shared" / "data",
                  Path("/work/shared/data")]
    if os.environ.get("MMSENSE_SHARED_DATA"):
        candidates.insert(0, Path(os.environ["MMSENSE_SHARED_DATA"]))
    for root in candidates:
        path = root / "mosi" / "mosi_label_text.csv"
        if path.is_file():
            import pandas as pd

            table = pd.read_csv(path)
            return table.loc[table["mode"] == "test", "label"].to_numpy(dtype=np.float64)
    pytest.skip("MOSI labels not found (set MMSENSE_SHARED_DATA to the shared data folder)")


def _predictors(t):
    rng = np.random.RandomState(0)
    return {
        "noisy": t + rng.normal(scale=0.8, size=t.shape),
        "halves": np.round(2 * (t + rng.normal(scale=0.5, size=t.shape))) / 2,  # many .5 ties
        "zero": np.zeros_like(t),
        "flipped": -t,
    }


@pytest.mark.parametrize("predictor", ["noisy", "halves", "zero", "flipped"])
def test_mosi_test_split_against_inline_computation(predictor):
    t = _mosi_test_labels()
    assert t.shape == (685,) and (t == 0).sum() > 0  # real zero labels make has0 != non0
    p = _predictors(t)[predictor]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        report = msa_report(t, p)

    nz = t != 0
    expected = {
        "mae": np.abs(p - t).sum() / len(t),
        "acc7": np.mean(np.round(np.clip(p, -3, 3)) == np.round(np.clip(t, -3, 3))),
        "acc5": np.mean(np.round(np.clip(p, -2, 2)) == np.round(np.clip(t, -2, 2))),
        "acc3": np.mean(np.round(np.clip(p, -1, 1)) == np.round(np.clip(t, -1, 1))),
        "acc2_has0": np.sum((p >= 0) == (t >= 0)) / len(t),
        "f1_has0": f1_score(t >= 0, p >= 0, average="weighted"),
        "acc2_non0": np.sum((p[nz] > 0) == (t[nz] > 0)) / nz.sum(),
        "f1_non0": f1_score(t[nz] > 0, p[nz] > 0, average="weighted"),
    }
    if predictor == "zero":
        assert np.isnan(report["corr"])
    else:
        expected["corr"] = pearsonr(p, t)[0]
    for key, value in expected.items():
        assert report[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key

    if predictor == "flipped":
        assert report["corr"] == pytest.approx(-1.0)
        # a zero label is "positive" in has0 and -0 >= 0 too, so only non0 drops to 0
        assert report["acc2_non0"] == 0.0
        assert report["acc2_has0"] == pytest.approx((t == 0).mean())


# ---------------------------------------------------------------- scorers

def _regression_data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    y = np.clip(X @ [1.0, -0.5, 0.3, 0.0] + rng.normal(scale=0.5, size=n), -3, 3)
    return X, y


def test_scorers_equal_metrics_with_the_right_sign():
    X, y = _regression_data()
    est = LinearRegression().fit(X[:40], y[:40])
    Xt, yt = X[40:], y[40:]
    report = msa_report(yt, est.predict(Xt))
    scorers = msa_scorers()
    assert list(scorers) == SCORER_KEYS
    for name, scorer in scorers.items():
        key = "mae" if name == "neg_mae" else name
        sign = -1.0 if name == "neg_mae" else 1.0
        assert scorer(est, Xt, yt) == pytest.approx(sign * report[key]), name
    assert get_msa_scorer("neg_mae")(est, Xt, yt) < 0


def test_scorer_name_errors_list_valid_names():
    with pytest.raises(ValueError, match=r"Unknown MSA scorer name 'mae'.*'neg_mae'"):
        get_msa_scorer("mae")
    with pytest.raises(ValueError, match="Unknown MSA scorer name 'acc9'"):
        msa_scorers(["acc7", "acc9"])
    with pytest.raises(ValueError, match="not the string 'acc7'"):
        msa_scorers("acc7")
    assert list(msa_scorers(["acc7", "neg_mae"])) == ["acc7", "neg_mae"]


def test_grid_search_multimetric_refit_on_neg_mae():
    X, y = _regression_data()
    alphas = [0.01, 10.0, 1000.0]
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(Ridge(), {"alpha": alphas}, scoring=msa_scorers(), refit="neg_mae",
                          cv=cv).fit(X, y)
    for name in SCORER_KEYS:
        assert np.isfinite(search.cv_results_[f"mean_test_{name}"]).all(), name
    # refit picks the smallest cross-validated MAE, recomputed here by hand
    fold_mae = [[np.mean(np.abs(Ridge(alpha=a).fit(X[tr], y[tr]).predict(X[te]) - y[te]))
                 for tr, te in cv.split(X)] for a in alphas]
    assert search.best_params_["alpha"] == alphas[int(np.argmin(np.mean(fold_mae, axis=1)))]
    assert search.best_params_["alpha"] != 1000.0  # heavy shrinkage is clearly worse here
