"""Float denormals flushed to zero during an estimator's torch work, restored afterwards."""

import contextlib

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from mmsense import MMRestRegressor
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import _threads, flush_denormals
from mmsense.nn._denormals import denormals_flushed

# the smallest normal float32 is ~1.18e-38; this is a denormal
DENORMAL = 1e-39


def denormal_product():
    return float(torch.tensor([DENORMAL], dtype=torch.float32) * 1.0)


class FlushSeen(Callback):
    """Records whether denormals were flushed at every epoch of the fit it runs in."""

    def on_epoch_end(self, net, **kwargs):
        self.seen_ = getattr(self, "seen_", []) + [denormals_flushed()]


@pytest.fixture
def data():
    return make_multimodal_sentiment(60, {"text": 5, "audio": (30, 2)}, random_state=0)


def small_mmrest(spec, **kwargs):
    return MMRestRegressor(modalities=spec, max_epochs=2, hidden_dim=4, decision_dim=4,
                           n_clusters=2, lstm_hidden_dim=4, device="cpu", random_state=0,
                           **kwargs)


def test_block_flushes_then_restores():
    assert denormal_product() == pytest.approx(DENORMAL, rel=1e-2)
    with flush_denormals():
        assert denormal_product() == 0.0
    assert denormal_product() == pytest.approx(DENORMAL, rel=1e-2)


def test_an_outer_setting_is_kept():
    torch.set_flush_denormal(True)
    try:
        with flush_denormals():
            assert denormal_product() == 0.0
        assert denormal_product() == 0.0
    finally:
        torch.set_flush_denormal(False)


def test_restored_after_an_error():
    with pytest.raises(RuntimeError), flush_denormals():
        raise RuntimeError("boom")
    assert not denormals_flushed()


def test_fit_and_predict_flush_and_restore(data):
    X, y, spec = data
    seen = FlushSeen()
    model = small_mmrest(spec, callbacks=[("seen", seen)]).fit(X, y)
    assert seen.seen_ == [True, True]
    assert not denormals_flushed()
    model.predict(X)
    assert not denormals_flushed()


def test_flushing_leaves_the_fit_unchanged(data, monkeypatch):
    X, y, spec = data
    flushed = small_mmrest(spec).fit(X, y).predict(X)
    monkeypatch.setattr(_threads, "flush_denormals", contextlib.nullcontext)
    kept = small_mmrest(spec).fit(X, y).predict(X)
    np.testing.assert_allclose(flushed, kept, rtol=1e-5, atol=1e-6)
