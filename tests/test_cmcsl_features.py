"""CMCSL's features: scikit-learn's preprocessing to float rounding, in X's dtype, without copies.

The preprocessing is compared with ``Normalizer`` / ``StandardScaler`` run in
float64; the whole estimator with the path it replaced (those scalers on
contiguous copies of each modality, then CMCSL on the result).
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer, StandardScaler

from mmsense import stack_modalities
from mmsense import _contract
from mmsense._contract import modality_vectors, parse_modalities
from mmsense.cmcsl import CMCSLSelfLabeler, _features
from mmsense.cmcsl._features import VectorPreprocessor
from mmsense.nn import torch_threads

SKLEARN = {
    "l2_standard": lambda: make_pipeline(Normalizer(), StandardScaler()),
    "standard": StandardScaler,
    "l2": Normalizer,
    "none": FunctionTransformer,
}
D = 24


def _awkward(n=3000, seed=0, dtype=np.float32):
    """A strided view of columns with a mean far above their spread, a zero column and a
    zero row, sorted by one column so that row blocks see different means."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 2 * D) * rng.uniform(0.1, 5, 2 * D) + rng.uniform(-3, 3, 2 * D)
    X[:, D] += 100.0
    X[:, D + 1] = 0.0
    X = X[np.argsort(X[:, D + 2])]
    X[5] = 0.0
    return X.astype(dtype)[:, D:]


def _tolerance(dtype, expected):
    rtol = 2e-5 if dtype == np.float32 else 1e-10
    return dict(rtol=rtol, atol=rtol * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("preprocessing", list(SKLEARN))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_sklearn_in_blocks_and_threads(preprocessing, dtype, monkeypatch):
    monkeypatch.setattr(_features, "_BLOCK_ELEMENTS", 16 * D)  # 188 blocks of 16 rows
    X = _awkward(dtype=dtype)
    assert not X.flags.c_contiguous
    reference = SKLEARN[preprocessing]().fit(X.astype(np.float64))
    expected = reference.transform(X.astype(np.float64))
    for threads in (1, 3):
        with torch_threads(threads):
            ours = VectorPreprocessor(preprocessing).fit(X)
            out = ours.transform(X)
            np.testing.assert_array_equal(VectorPreprocessor(preprocessing).fit_transform(X), out)
        if preprocessing == "none":
            assert out is X
            continue
        assert out.dtype == dtype and out.flags.c_contiguous
        np.testing.assert_allclose(out, expected, **_tolerance(dtype, expected))
        if preprocessing in ("standard", "l2_standard"):
            scaler = reference if preprocessing == "standard" else reference[-1]
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(ours.mean_, scaler.mean_, rtol=rtol, atol=1e-9)
            np.testing.assert_allclose(ours.var_, scaler.var_, rtol=rtol)
            np.testing.assert_allclose(ours.scale_, scaler.scale_, rtol=rtol)


def test_constant_column_is_exactly_zero_and_unscaled(monkeypatch):
    monkeypatch.setattr(_features, "_BLOCK_ELEMENTS", 16 * D)
    X = np.ascontiguousarray(_awkward())
    X[:, 3] = 7.3  # not a sum of powers of two: a float32 mean of it would round
    with torch_threads(3):
        pre = VectorPreprocessor("standard").fit(X)
        out = pre.transform(X)
    assert pre.var_[3] == 0.0 and pre.scale_[3] == 1.0 and pre.mean_[3] == np.float32(7.3)
    assert not out[:, 3].any()
    assert pre.var_[1] == 0.0 and not out[:, 1].any()  # the zero column


def test_static_vectors_are_views_and_sequences_pool_in_chunks(monkeypatch):
    rng = np.random.RandomState(0)
    seq = rng.randn(30, 4, 2)
    lengths = rng.randint(0, 5, 30)
    X, spec = stack_modalities(lengths={"audio": lengths}, text=rng.randn(30, 3), audio=seq)
    specs = parse_modalities(spec, X.shape[1])
    whole = modality_vectors(X, specs)
    assert np.shares_memory(whole["text"], X)
    monkeypatch.setattr(_contract, "_CHUNK_ELEMENTS", 8 * 8)  # 8 rows of 4 x 2 at a time
    chunked = modality_vectors(X, specs)
    expected = np.stack([seq[i, :n].mean(axis=0) if n else np.zeros(2)
                         for i, n in enumerate(lengths)])
    np.testing.assert_allclose(chunked["audio"], expected, rtol=1e-6)
    np.testing.assert_array_equal(chunked["audio"], whole["audio"])


def test_a_missing_static_block_is_a_zero_filled_copy():
    X, spec = stack_modalities(a=np.arange(8.0).reshape(4, 2), b=np.ones((4, 3)))
    X[1, :2] = np.nan
    vectors = modality_vectors(X, parse_modalities(spec, X.shape[1]))
    assert not np.shares_memory(vectors["a"], X)
    np.testing.assert_array_equal(vectors["a"], [[0, 1], [0, 0], [4, 5], [6, 7]])
    assert np.shares_memory(vectors["b"], X)


def _two_modalities(n=600, seed=0):
    rng = np.random.RandomState(seed)
    y_true = rng.randint(3, size=n)
    blocks = {"a": rng.randn(n, 6) + 2 * np.eye(3, 6)[y_true] + 5.0,
              "b": 3 * rng.randn(n, 9) + np.eye(3, 9)[y_true]}
    X, spec = stack_modalities(**{k: v.astype(np.float32) for k, v in blocks.items()})
    y = np.full(n, -1)
    y[:30] = y_true[:30]
    return X, y, spec


def test_fit_equals_the_replaced_path_on_float32():
    # the replaced path: sklearn's scalers on a contiguous copy of each modality
    X, y, spec = _two_modalities()
    old = np.hstack([make_pipeline(Normalizer(), StandardScaler()).fit_transform(
        np.ascontiguousarray(X[:, sl])) for sl in (slice(0, 6), slice(6, 15))])
    kwargs = dict(modalities=spec, chunk_size=50, device="cpu")
    new = CMCSLSelfLabeler(GaussianNB(), **kwargs).fit(X, y)
    ref = CMCSLSelfLabeler(GaussianNB(), preprocessing="none", **kwargs).fit(old, y)
    np.testing.assert_array_equal(new.transduction_, ref.transduction_)
    np.testing.assert_array_equal(new.label_modality_, ref.label_modality_)
    np.testing.assert_allclose(new.predict_proba(X), ref.predict_proba(old), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("fusion", ["late", "early"])
def test_prediction_in_chunks_equals_prediction_at_once(fusion, missing):
    X, y, spec = _two_modalities()
    if missing:  # chunks with and without missing blocks
        X[100:130, :6] = np.nan
        X[200:220, 6:] = np.nan
    clf = CMCSLSelfLabeler(LogisticRegression(), modalities=spec, fusion=fusion,
                           chunk_size=10_000, device="cpu").fit(X, y)
    whole = (clf.predict_proba(X), clf.predict(X), clf.decision_function(X))
    per_modality = clf.modality_predict(X) if fusion == "late" else None
    clf.set_params(chunk_size=7)  # 86 chunks, the last of 5 rows
    np.testing.assert_allclose(clf.predict_proba(X), whole[0], rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), whole[1])
    np.testing.assert_allclose(clf.decision_function(X), whole[2], rtol=1e-5, atol=1e-6)
    if per_modality is not None:
        chunked = clf.modality_predict(X)
        assert list(chunked) == list(per_modality)
        for name in per_modality:
            np.testing.assert_array_equal(chunked[name], per_modality[name])
