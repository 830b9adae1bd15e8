"""ModalityScaler: pooled per-feature statistics over real steps, NaN padding kept."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmsense.datasets import make_multimodal_sentiment
from mmsense.preprocessing import ModalityScaler


def test_statistics_pool_real_steps():
    X, _, spec, latent = make_multimodal_sentiment(40, random_state=0, return_latent=True)
    scaler = ModalityScaler(modalities=spec).fit(X)
    audio = X[:, 32:32 + 100].reshape(40, 20, 5)
    real = np.concatenate([audio[i, : latent.lengths["audio"][i]] for i in range(40)])
    np.testing.assert_allclose(scaler.mean_[32:37], real.mean(0), rtol=1e-5)
    np.testing.assert_allclose(scaler.scale_[32:37], real.std(0), rtol=1e-5)
    np.testing.assert_allclose(scaler.mean_[37:42], scaler.mean_[32:37])  # same on every step
    np.testing.assert_allclose(scaler.mean_[:32], X[:, :32].mean(0), rtol=1e-4, atol=1e-6)
    assert scaler.n_real_steps_["audio"] == latent.lengths["audio"].sum()


def test_transform_standardises_keeps_padding_and_dtype():
    X, _, spec = make_multimodal_sentiment(50, random_state=1)
    Xt = ModalityScaler(modalities=spec).fit_transform(X)
    assert Xt.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))
    vision = Xt[:, 132:].reshape(-1, 8)
    vision = vision[~np.isnan(vision[:, 0])]
    np.testing.assert_allclose(vision.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(vision.std(0), 1, atol=1e-4)
    restored = ModalityScaler(modalities=spec).fit(X).inverse_transform(Xt)
    np.testing.assert_allclose(restored, X, atol=1e-5)


def test_standard_scaler_also_works_in_front():
    # enough rows that every step column has a real value (StandardScaler warns on all-NaN columns)
    X, _, spec = make_multimodal_sentiment(200, random_state=2)
    assert not np.isnan(X).all(axis=0).any()
    Xt = make_pipeline(StandardScaler(), ModalityScaler(modalities=spec)).fit_transform(X)
    np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))


def test_bad_input_errors_come_from_the_contract():
    X, _, spec = make_multimodal_sentiment(10, random_state=0)
    with pytest.raises(ValueError, match="columns in total"):
        ModalityScaler(modalities=spec).fit(X[:, :-1])
    X[2, 0] = np.nan
    with pytest.raises(ValueError, match="'text' is static and partly NaN"):
        ModalityScaler(modalities=spec).fit(X)


def test_statistics_from_present_blocks_and_missing_stays_nan():
    nan = np.nan
    spec = {"text": 2, "audio": (2, 1)}
    X = np.array([[1.0, 10.0, 1.0, 3.0],
                  [nan, nan, 5.0, nan],     # text missing
                  [3.0, 30.0, nan, nan],    # audio missing
                  [nan, nan, nan, nan],     # everything missing
                  [5.0, 20.0, 7.0, nan]])
    scaler = ModalityScaler(modalities=spec).fit(X)
    # by hand: text over rows 0, 2, 4; audio over its real steps 1, 3, 5, 7
    text = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    steps = np.array([1.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(scaler.mean_, [*text.mean(0), steps.mean(), steps.mean()])
    np.testing.assert_allclose(scaler.scale_, [*text.std(0), steps.std(), steps.std()])
    assert scaler.n_real_steps_ == {"text": 3, "audio": 4}
    assert scaler.n_missing_ == {"text": 2, "audio": 2}
    Xt = scaler.transform(X)
    np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))
    np.testing.assert_allclose(Xt[4, :2], (text[2] - text.mean(0)) / text.std(0))
    back = scaler.inverse_transform(Xt)
    np.testing.assert_array_equal(np.isnan(back), np.isnan(X))
    np.testing.assert_allclose(back[~np.isnan(X)], X[~np.isnan(X)])
