"""Independent sequence encoders run side by side in threads, their backward passes too.

An LSTM's recurrence is a chain of small matrix products: a second torch thread
speeds one encoder up little (on the 2-core development machine the audio and
vision LSTMs of a MOSI-size epoch took 1.32 s on one thread, 1.20 s on two), but
two encoders on one thread each overlap almost fully (0.97 s, the longer one
alone being 0.94 s). torch runs the backward pass of a CPU graph in the thread
that calls it, one node at a time, so the backward passes are split too: each
encoder's forward builds its own graph in its worker thread, and a small
autograd function joins the outputs to the caller's graph and, on the way back,
runs each encoder's backward in its worker thread.

Inside :func:`side_by_side`, the calling thread itself uses one torch thread:
torch's OpenMP threads spin for several milliseconds after each parallel
operation, and a spinning helper of the caller would take a core from the
encoders (it made side-by-side epochs slower than plain two-thread ones).

What is computed does not change: every encoder runs the same operations on the
same rows; only the threads that run them do.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch

from ._denormals import denormals_flushed

_POOL = None


def _pool() -> ThreadPoolExecutor:
    """The process's worker threads (created on first use; idle threads cost nothing)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mmsense-encoder")
    return _POOL


def _forget_pool_in_child():
    """A forked child has none of its parent's threads: a pool it inherited would take work
    and never run it, so the child starts its own."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool_in_child)


class _WorkerState:
    """What a worker thread must share with the caller: torch's thread-local grad mode and
    float-denormal mode, and its own share of the caller's torch threads."""

    def __init__(self, n_threads: int):
        self.grad = torch.is_grad_enabled()
        self.flushed = denormals_flushed()
        self.n_threads = n_threads

    def run(self, func, *args):
        torch.get_num_threads()  # torch's lazy per-thread set-up first: it would undo the next line
        torch.set_num_threads(self.n_threads)
        # the caller's mode, either way: a new thread inherits its creator's mode, which
        # need not be the mode of the thread that submits the work
        torch.set_flush_denormal(self.flushed)
        with torch.set_grad_enabled(self.grad):
            return func(*args)


class _JoinGraphs(torch.autograd.Function):
    """Identity on outputs computed (with their own graphs) in worker threads; its backward
    runs each output's backward in a worker thread, where the gradients reach the
    encoders' parameters directly."""

    @staticmethod
    def forward(ctx, state, outputs, anchor):
        ctx.state, ctx.outputs = state, outputs
        return tuple(out.detach() for out in outputs)

    @staticmethod
    def backward(ctx, *grads):
        state, outputs = ctx.state, ctx.outputs
        state.grad = True
        jobs = [(out, grad) for out, grad in zip(outputs, grads)
                if out.requires_grad and grad is not None]
        futures = [_pool().submit(state.run, torch.autograd.backward, out, grad)
                   for out, grad in jobs]
        for future in futures:
            future.result()
        ctx.outputs = None
        return None, None, None


def run_side_by_side(jobs, n_threads):
    """``[job() for job in jobs]``, each call in its own worker thread.

    Each worker gets ``n_threads // len(jobs)`` torch threads (at least one),
    the caller's grad mode and its float-denormal mode. With grad enabled, the
    results are joined to the caller's autograd graph so that ``backward`` also
    runs each job's part in a worker thread.

    Parameters
    ----------
    jobs : list of callable
        Each returns one tensor; the jobs must share no parameter and draw no
        random number (their order of execution is not fixed).
    n_threads : int
        Torch threads shared among the workers.

    Returns
    -------
    list of torch.Tensor
    """
    state = _WorkerState(max(1, n_threads // len(jobs)))
    futures = [_pool().submit(state.run, job) for job in jobs]
    outputs = [future.result() for future in futures]
    if not (state.grad and any(out.requires_grad for out in outputs)):
        return outputs
    # a leaf that requires grad, so that autograd calls _JoinGraphs.backward
    anchor = torch.zeros((), requires_grad=True)
    return list(_JoinGraphs.apply(state, outputs, anchor))


@contextmanager
def side_by_side(module: torch.nn.Module, training: bool):
    """Let ``module``'s modality encoders run their sequence encoders side by side in the block.

    Applies to every :class:`~mmsense.nn.ModalityEncoders` inside ``module`` that
    has two or more sequence encoders whose work can be split: on the CPU, and,
    when ``training``, without dropout (random draws from several threads would
    come in an order that depends on timing, and seeded fits would differ). The
    encoders share the caller's torch thread count, and the caller runs on one
    thread until the block ends. Without two torch threads, or with no such
    encoders, the block runs as it would without this.

    Parameters
    ----------
    module : torch.nn.Module
    training : bool
        Whether the block trains ``module`` (dropout then draws random numbers).
    """
    from ._encoders import ModalityEncoders

    n_threads = torch.get_num_threads()
    found = [m for m in module.modules() if isinstance(m, ModalityEncoders)
             and m.can_run_side_by_side(training)] if n_threads >= 2 else []
    if not found:
        yield
        return
    for encoders in found:
        encoders.side_by_side_threads = n_threads
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n_threads)
        for encoders in found:
            encoders.side_by_side_threads = None
