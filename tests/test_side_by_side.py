"""Sequence encoders run side by side in threads: same numbers, worker threads, threads restored."""

import multiprocessing
import threading

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from mmsense import MMRestRegressor
from mmsense._contract import network_inputs, parse_modalities
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import ModalityEncoders, side_by_side
from mmsense.nn._denormals import denormals_flushed
from mmsense.nn._side_by_side import run_side_by_side

SPEC = {"text": 5, "audio": (6, 2), "vision": (8, 3)}
WIDTH = 5 + 12 + 24


@pytest.fixture
def two_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


def _encoders(kind="lstm"):
    torch.manual_seed(0)
    extra = {"num_heads": 2} if kind == "transformer" else {}
    return ModalityEncoders(parse_modalities(SPEC, WIDTH), 4, sequence_encoder=kind, **extra)


def _inputs(n=9):
    X = np.random.default_rng(0).normal(size=(n, WIDTH)).astype(np.float32)
    X[0, 5 + 2 * 2:5 + 12] = np.nan  # row 0: audio has 2 real steps of 6
    inputs = network_inputs(X, parse_modalities(SPEC, WIDTH))
    return {k: torch.as_tensor(v) for k, v in inputs.items()}


def _forward_backward(encoders, inputs):
    """Outputs, parameter gradients, and the threads that ran each encoder's forward and
    computed each encoder's first weight gradient."""
    threads, handles = {}, []

    def record(key):
        threads.setdefault(key, threading.current_thread().name)  # returns None: no change

    for name, module in encoders.encoders.items():
        handles.append(module.register_forward_hook(
            lambda m, i, o, name=name: record(("forward", name))))
        handles.append(next(module.parameters()).register_hook(
            lambda g, name=name: record(("backward", name))))
    encoders.zero_grad()
    out = encoders(inputs)
    sum((o * torch.arange(1.0, 5.0)).sum() for o in out.values()).backward()
    for handle in handles:
        handle.remove()
    grads = [p.grad.clone() for p in encoders.parameters()]
    return out, grads, threads


def test_sequence_encoders_run_in_worker_threads_and_compute_the_same(two_threads):
    encoders, inputs = _encoders(), _inputs()
    torch.set_num_threads(1)  # the reference: everything on this thread, one torch thread
    out_ref, grads_ref, threads_ref = _forward_backward(encoders, inputs)
    assert set(threads_ref.values()) == {threading.current_thread().name}
    torch.set_num_threads(2)
    with side_by_side(encoders, training=True):
        assert torch.get_num_threads() == 1  # the caller keeps one thread
        out, grads, threads = _forward_backward(encoders, inputs)
    assert torch.get_num_threads() == 2
    assert encoders.side_by_side_threads is None
    main = threading.current_thread().name
    assert threads[("forward", "text")] == threads[("backward", "text")] == main
    for name in ("audio", "vision"):
        assert threads[("forward", name)].startswith("mmsense-encoder")
        assert threads[("backward", name)].startswith("mmsense-encoder")
    for name in out_ref:  # one torch thread per encoder either way: equal to the bit
        assert torch.equal(out[name], out_ref[name])
    assert all(torch.equal(a, b) for a, b in zip(grads, grads_ref))


def test_no_grad_forward_side_by_side(two_threads):
    encoders, inputs = _encoders().eval(), _inputs()
    with torch.no_grad():
        reference = encoders(inputs)
        with side_by_side(encoders, training=False):
            out = encoders(inputs)
    assert all(not o.requires_grad for o in out.values())
    for name in out:
        torch.testing.assert_close(out[name], reference[name])


def test_dropout_keeps_training_on_the_calling_thread(two_threads):
    encoders = _encoders("transformer")  # dropout 0.1 inside its layers
    assert not encoders.can_run_side_by_side(training=True)
    assert encoders.can_run_side_by_side(training=False)
    with side_by_side(encoders, training=True):
        assert torch.get_num_threads() == 2  # not engaged: the block runs as without it
        assert encoders.side_by_side_threads is None


def test_one_torch_thread_or_one_sequence_leaves_everything_as_it_is():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        encoders = _encoders()
        with side_by_side(encoders, training=True):
            assert encoders.side_by_side_threads is None
    finally:
        torch.set_num_threads(saved)
    single = ModalityEncoders(parse_modalities({"text": 5, "audio": (6, 2)}, 17), 4)
    assert not single.can_run_side_by_side(training=False)


def test_threads_restored_and_worker_errors_reach_the_caller(two_threads):
    encoders, inputs = _encoders(), _inputs()
    inputs["vision"] = inputs["vision"][..., :2]  # a width the vision LSTM does not take
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        with side_by_side(encoders, training=True):
            encoders(inputs)
    assert torch.get_num_threads() == 2
    assert encoders.side_by_side_threads is None


class VisionThreads(Callback):
    """Records the threads that run the vision encoder's forward during the fit."""

    def on_train_begin(self, net, **kwargs):
        self.seen_ = set()
        net.module_.encoders.encoders["vision"].register_forward_hook(
            lambda m, i, o: self.seen_.add(threading.current_thread().name))


def test_mmrest_with_two_threads_fits_the_same_model_as_with_one(two_threads):
    X, y, spec = make_multimodal_sentiment(48, {"text": 4, "audio": (5, 2), "vision": (6, 2)},
                                           random_state=0)
    params = dict(modalities=spec, max_epochs=3, hidden_dim=4, decision_dim=4, n_clusters=2,
                  lstm_hidden_dim=4, batch_size=16, device="cpu", random_state=0)
    one = MMRestRegressor(n_threads=1, **params).fit(X, y)
    seen = VisionThreads()
    two = MMRestRegressor(n_threads=2, callbacks=[("threads", seen)], **params).fit(X, y)
    assert seen.seen_ and all(name.startswith("mmsense-encoder") for name in seen.seen_)
    np.testing.assert_allclose(two.predict(X), one.predict(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([h["train_loss"] for h in two.history_],
                               [h["train_loss"] for h in one.history_], rtol=1e-5)


@pytest.mark.parametrize("flush", [False, True])
def test_workers_take_the_callers_denormal_mode(two_threads, flush):
    def mode():
        return torch.tensor(float(denormals_flushed()))

    before = denormals_flushed()
    torch.set_flush_denormal(flush)
    try:
        modes = run_side_by_side([mode, mode], n_threads=2)
    finally:
        torch.set_flush_denormal(before)
    assert [bool(m) for m in modes] == [flush, flush]


def test_jobs_run_at_the_same_time(two_threads):
    barrier = threading.Barrier(2, timeout=10)  # one thread for both jobs would time out

    def job():
        barrier.wait()
        return torch.ones(1)

    assert [float(t) for t in run_side_by_side([job, job], n_threads=2)] == [1.0, 1.0]


def _side_by_side_sum(_):
    torch.set_num_threads(2)
    return float(sum(run_side_by_side([lambda: torch.ones(1), lambda: torch.ones(1)], 2)))


def test_a_forked_child_gets_workers_of_its_own(two_threads):
    run_side_by_side([lambda: torch.ones(1)] * 2, n_threads=2)  # the parent's workers exist
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:  # the inherited pool would take the jobs and never run them
        assert pool.map_async(_side_by_side_sum, [0]).get(timeout=60) == [2.0]
