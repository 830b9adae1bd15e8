"""MMRestRegressor: learning, scikit-learn integration, persistence, ablations and bad input."""

import io
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mmsense.datasets import make_multimodal_sentiment
from mmsense.metrics import get_msa_scorer
from mmsense.mmrest import MMRestRegressor
from mmsense.nn import resolve_device

TINY = dict(hidden_dim=8, decision_dim=8, receptive_field=8, max_epochs=2, batch_size=32)
SPEC = {"text": 10, "audio": (6, 3), "vision": (5, 4)}


@pytest.fixture(scope="module")
def data():
    return make_multimodal_sentiment(80, SPEC, random_state=0)


def _tiny(spec=SPEC, **params):
    return MMRestRegressor(modalities=spec, **{**TINY, "random_state": 0, **params})


@pytest.fixture(scope="module")
def fitted(data):
    X, y, spec = data
    return _tiny(spec).fit(X, y)


def test_learns_from_informative_text():
    informativeness = {"text": 2.0, "audio": 0.0, "vision": 0.0}
    X, y, spec = make_multimodal_sentiment(400, {"text": 16, "audio": (8, 3), "vision": (8, 3)},
                                           modality_informativeness=informativeness,
                                           noise=0.5, random_state=1)
    X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
    reg = MMRestRegressor(modalities=spec, hidden_dim=16, decision_dim=16, max_epochs=30,
                          patience=5, random_state=0).fit(X_train, y_train)
    mae = np.abs(reg.predict(X_test) - y_test).mean()
    constant_mae = np.abs(np.median(y_train) - y_test).mean()
    assert mae < 0.5 * constant_mae, (mae, constant_mae)


def test_fitted_attributes(fitted, data):
    X, _, _ = data
    k, d = 7, 8
    assert fitted.cluster_centers_.shape == (k, d)
    assert fitted.cluster_bins_.shape == (k,)
    assert set(fitted.cluster_bins_) <= set(range(7))
    assert fitted.metric_.shape == (d, d) and fitted.local_metrics_.shape == (k, d, d)
    assert fitted.n_features_in_ == X.shape[1]
    assert fitted.device_ == resolve_device("auto")
    # metrics stay symmetric PSD after training (projected after every step)
    for metric in [fitted.metric_, *fitted.local_metrics_]:
        np.testing.assert_allclose(metric, metric.T, atol=1e-6)
        assert np.linalg.eigvalsh(metric).min() >= -1e-5
    assert [row["epoch"] for row in fitted.history_] == [1, 2]
    for row in fitted.history_:
        assert {"train_loss", "valid_loss", "train_mmc", "train_l1", "valid_mmc",
                "valid_l1"} <= set(row)
        # training optimises eta * L_MMC + L1; selection uses validation MAE alone
        assert row["train_loss"] == pytest.approx(row["train_l1"] + 0.01 * row["train_mmc"],
                                                  rel=1e-5)
        assert row["valid_loss"] == pytest.approx(row["valid_l1"])
    lrs = sorted(group["lr"] for group in fitted.net_.optimizer_.param_groups)
    assert lrs == [1e-4, 1e-4, 1e-3]  # M0 and the dM_i have their own learning rate


def test_predict_applies_the_projection_bias(fitted, data):
    X, _, _ = data
    out = fitted.embed(X)
    np.testing.assert_allclose(fitted.predict(X), out.decision + 0.05 * out.bias, atol=1e-5)
    assert np.abs(out.bias).max() > 0
    assert out.embedding.shape == (X.shape[0], 3, 8)
    assert out.modalities == ["text", "audio", "vision"]
    assert out.cluster.shape == out.second_cluster.shape == (X.shape[0], 3)
    assert (out.cluster != out.second_cluster).all()
    # the nearest cluster under the learned metrics, recomputed in numpy
    metrics = fitted.metric_ + fitted.local_metrics_ + 0.01 * np.eye(8)
    diff = out.embedding[:, :, None, :] - fitted.cluster_centers_[None, None]
    dist = np.einsum("nmkd,kde,nmke->nmk", diff, metrics, diff)
    np.testing.assert_array_equal(out.cluster, dist.argmin(-1))


def test_validation_mae_selects_the_kept_epoch(data):
    X, y, spec = data
    reg = _tiny(spec, max_epochs=6, patience=2, lr=0.05).fit(X, y)
    valid = [row["valid_loss"] for row in reg.history_]
    assert reg.best_epoch_ == int(np.argmin(valid)) + 1


def test_predefined_validation_data(data):
    X, y, spec = data
    # the kept epoch is the one with the lowest valid_l1, which is the model's validation MAE
    reg = _tiny(spec, patience=None).fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    assert reg.net_.train_split is None  # the validation data is not kept
    mae = np.abs(reg.predict(X[60:]) - y[60:]).mean()
    valid_l1 = [row["valid_l1"] for row in reg.history_]
    assert reg.best_epoch_ == int(np.argmin(valid_l1)) + 1
    assert valid_l1[reg.best_epoch_ - 1] == pytest.approx(mae, rel=1e-4)


def test_ablations(data):
    X, y, spec = data
    no_bias = _tiny(spec, projection_bias=False).fit(X, y)
    np.testing.assert_allclose(no_bias.predict(X), no_bias.embed(X).decision, atol=1e-6)
    no_mmc = _tiny(spec, projection_bias=False, metric_loss=False).fit(X, y)
    for row in no_mmc.history_:
        assert row["train_loss"] == pytest.approx(row["train_l1"], rel=1e-6)
    single = _tiny(spec, single_metric=True).fit(X, y)
    np.testing.assert_array_equal(single.metric_, np.eye(8))
    np.testing.assert_array_equal(single.local_metrics_, 0)
    signed = _tiny(spec, bias_mode="signed").fit(X, y)
    out = signed.embed(X)
    same_bin = signed.cluster_bins_[out.cluster] == signed.cluster_bins_[out.second_cluster]
    if same_bin.all(axis=1).any():
        assert (out.bias[same_bin.all(axis=1)] == 0).all()
    np.testing.assert_allclose(signed.predict(X), out.decision + 0.05 * out.bias, atol=1e-5)


def test_fit_on_plain_tabular_X():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 5)
    y = np.clip(X[:, 0], -3, 3)
    reg = MMRestRegressor(**TINY, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (50,)
    assert reg.embed(X).modalities == ["x"]


def test_pipeline_grid_search_and_cross_val(data):
    X, y, spec = data
    pipe = Pipeline([("scale", StandardScaler()), ("mmrest", _tiny(spec, max_epochs=1))])
    grid = GridSearchCV(
        pipe,
        {"mmrest__n_clusters": [5, 7, 10], "mmrest__margin": [1.0, 3.0],
         "mmrest__alpha": [0.7, 1.0]},
        scoring=get_msa_scorer("neg_mae"), cv=KFold(2),
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 12
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.predict(X).shape == (80,)
    scores = cross_val_score(pipe, X, y, cv=3, scoring=get_msa_scorer("acc7"))
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_clone_and_params():
    reg = MMRestRegressor(modalities=SPEC, n_clusters=10, margin=70.0, alpha=0.7, inter_weight=0.7,
                          metric_reg=0.5)
    twin = clone(reg)
    assert twin.get_params() == reg.get_params()
    assert not hasattr(twin, "net_")


@pytest.mark.parametrize("dump, load", [
    (pickle.dumps, pickle.loads),
    (lambda est: _joblib_bytes(est), lambda raw: joblib.load(io.BytesIO(raw))),
])
def test_persistence_round_trip(fitted, data, dump, load):
    X, _, _ = data
    restored = load(dump(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(restored.cluster_centers_, fitted.cluster_centers_)


def _joblib_bytes(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def test_seeded_fits_are_reproducible_on_cpu(data):
    X, y, spec = data
    first = _tiny(spec, device="cpu", random_state=3).fit(X, y)
    second = _tiny(spec, device="cpu", random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    np.testing.assert_array_equal(first.cluster_centers_, second.cluster_centers_)
    other = _tiny(spec, device="cpu", random_state=4).fit(X, y)
    assert not np.array_equal(first.predict(X), other.predict(X))


def test_float32_input_is_not_copied_to_float64(fitted, data):
    X, _, _ = data
    np.testing.assert_allclose(fitted.predict(X.astype(np.float64)), fitted.predict(X),
                               atol=1e-6)


@pytest.mark.parametrize("params, match", [
    ({"receptive_field": 1},
     r"'receptive_field' parameter of MMRestRegressor must be an int in the range \[2, inf\)"),
    ({"n_clusters": 0}, "'n_clusters' parameter of MMRestRegressor must be an int"),
    ({"margin": -1.0}, "'margin' parameter of MMRestRegressor must be a float in the range"),
    ({"alpha": -0.1}, "'alpha' parameter of MMRestRegressor must be"),
    ({"inter_weight": -1}, "'inter_weight' parameter of MMRestRegressor must be"),
    ({"metric_reg": -1}, "'metric_reg' parameter of MMRestRegressor must be"),
    ({"gamma": -0.05}, "'gamma' parameter of MMRestRegressor must be"),
    ({"eta": -1}, "'eta' parameter of MMRestRegressor must be"),
    ({"beta": -1}, "'beta' parameter of MMRestRegressor must be"),
    ({"metric_lr": 0.0}, r"'metric_lr' parameter .* a float in the range \(0.0, inf\). Got 0.0"),
    ({"bias_mode": "up"}, "'bias_mode' parameter of MMRestRegressor must be a str among"),
    ({"label_range": (3, -3)}, "label_range must be finite with low < high"),
    ({"label_range": ("a", "b")}, "label_range must be a pair"),
    ({"label_range": 3}, "'label_range' parameter of MMRestRegressor must be an instance of"),
    ({"metric_loss": "yes"}, "'metric_loss' parameter of MMRestRegressor must be an instance of"),
    ({"max_pairs": 0}, "'max_pairs' parameter of MMRestRegressor must be an int"),
    ({"dropout": 1.0}, r"'dropout' parameter .* a float in the range \[0.0, 1.0\)"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
    ({"n_clusters": 100}, "n_clusters=100 needs at least 100 samples; got 80"),
])
def test_bad_parameters_name_the_parameter(data, params, match):
    X, y, spec = data
    with pytest.raises(ValueError, match=match):
        _tiny(spec, **params).fit(X, y)


def test_labels_outside_label_range_are_an_error_not_clipped(data):
    X, y, spec = data
    y = y.copy()
    y[3] = 3.5
    with pytest.raises(ValueError, match=r"y must lie within label_range=\(-3.0, 3.0\); found 1"):
        _tiny(spec).fit(X, y)
    _tiny(spec, label_range=(-4, 4)).fit(X, y)
    with pytest.raises(ValueError, match="validation_data y_val must lie within label_range"):
        _tiny(spec).fit(X[:60], y[:60] * 0, validation_data=(X[60:], y[60:] * 10))


def test_bad_input_names_the_modality_and_shape(fitted, data):
    X, y, spec = data
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :-1])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="'text'"):
        fitted.predict(bad)
    with pytest.raises(ValueError, match="validation_data: X_val has 20 rows but y_val has 19"):
        _tiny(spec).fit(X[:60], y[:60], validation_data=(X[60:], y[61:]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_loads_and_predicts_on_a_cpu_only_process(data, tmp_path):
    X, y, spec = data
    reg = _tiny(spec, device="auto").fit(X, y)
    assert reg.device_.startswith("cuda")
    path = tmp_path / "mmrest.pkl"
    joblib.dump(reg, path)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", reg.predict(X))
    script = (
        "import joblib, numpy as np, torch, warnings, sys\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"reg = joblib.load({str(path)!r})\n"
        "assert reg.device_ == 'cpu', reg.device_\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
        "np.testing.assert_allclose(reg.predict(X), expected, atol=1e-4)\n"
    )
    env = {**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert result.returncode == 0, result.stderr
