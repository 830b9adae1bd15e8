"""Torch threads chosen per fit/predict (``n_threads``) and restored afterwards."""

import pytest
import torch
from skorch.callbacks import Callback

from mmsense import DECClassifier, DECPretrainer, MMRestRegressor, TorchMLPClassifier
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import torch_threads


class ThreadsSeen(Callback):
    """Records torch's thread count at every epoch of the fit it runs in."""

    def on_epoch_end(self, net, **kwargs):
        self.seen_ = getattr(self, "seen_", []) + [torch.get_num_threads()]


@pytest.fixture
def process_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(3)  # a value no estimator default uses
    yield 3
    torch.set_num_threads(saved)


@pytest.fixture(scope="module")
def data():
    return make_multimodal_sentiment(60, {"text": 5, "audio": (3, 2)}, random_state=0)


@pytest.mark.parametrize("n_threads, expected", [(1, 1), (2, 2), (None, 3)])
def test_fit_runs_with_n_threads_and_restores_the_process_setting(
        process_threads, data, n_threads, expected):
    X, y, spec = data
    seen = ThreadsSeen()
    model = MMRestRegressor(modalities=spec, max_epochs=2, hidden_dim=4, decision_dim=4,
                            n_clusters=2, lstm_hidden_dim=4, device="cpu", random_state=0,
                            n_threads=n_threads, callbacks=[("seen", seen)]).fit(X, y)
    assert seen.seen_ == [expected, expected]
    assert torch.get_num_threads() == process_threads
    model.predict(X)
    assert torch.get_num_threads() == process_threads


def test_predict_sets_and_restores(process_threads, data, monkeypatch):
    X, y, spec = data
    model = TorchMLPClassifier(max_epochs=1, device="cpu", n_threads=1).fit(X[:, :5], y > 0)
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: calls.append(n))
    model.predict_proba(X[:, :5])
    assert calls == [1, process_threads]


def test_nested_fits_restore_the_outer_setting(process_threads, data):
    X, y, spec = data
    pre = DECPretrainer(modalities=spec, embed_dim=4, hidden_dims=(4,), latent_dim=2,
                        num_heads=2, pretrain_max_epochs=1, max_epochs=1, n_threads=2)
    DECClassifier(pre, max_epochs=1, device="cpu", n_threads=1).fit(X, (y > 0).astype(int))
    assert torch.get_num_threads() == process_threads


def test_restored_after_an_error(process_threads):
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == process_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_n_threads(data, bad):
    X, y, spec = data
    with pytest.raises(ValueError, match="'n_threads' parameter of TorchMLPClassifier must be"):
        TorchMLPClassifier(max_epochs=1, device="cpu", n_threads=bad).fit(X[:, :5], y > 0)


class BlasThreadsSeen(Callback):
    """Records the BLAS libraries' thread counts at every epoch of the fit it runs in."""

    def on_epoch_end(self, net, **kwargs):
        from threadpoolctl import threadpool_info

        counts = {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
        self.seen_ = getattr(self, "seen_", []) + [counts]


def test_numpy_blas_is_limited_to_n_threads_too(data):
    from threadpoolctl import threadpool_info, threadpool_limits

    X, y, spec = data
    with threadpool_limits(limits=2, user_api="blas"):  # the process's setting, for the test
        seen = BlasThreadsSeen()
        MMRestRegressor(modalities=spec, max_epochs=2, hidden_dim=4, decision_dim=4,
                        n_clusters=2, lstm_hidden_dim=4, device="cpu", random_state=0,
                        n_threads=1, callbacks=[("seen", seen)]).fit(X, y)
        assert seen.seen_ == [{1}, {1}]
        after = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
        assert after == {2}
