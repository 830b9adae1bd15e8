"""Torch's intra-op thread count, chosen per call and restored afterwards.

torch's OpenMP threads spin-wait between the small operations of a recurrent or
Transformer step; when another process keeps a core busy, a thread that lost its core
stalls every step, and a fit runs several times slower than with one thread (issue 13
measured 3.6x to 38x for a default MMRestRegressor on 2 cores). Estimators therefore run
their torch work with ``n_threads`` threads (default 1), then put back the process-wide
setting so that the user's own torch code is unaffected. One thread per fit is also what
lets ``GridSearchCV(n_jobs=k)`` scale: k workers (loky processes or Dask threads) use k
threads in all instead of k times the cores.

The BLAS libraries that numpy and scipy call (OpenBLAS, MKL) get the same limit, through
threadpoolctl (a scikit-learn dependency): otherwise a one-thread fit still ran numpy's
matrix products (validation, re-clustering) on every core, 10 % more CPU than its wall time.
"""

from __future__ import annotations

import functools
import numbers
from contextlib import contextmanager

from ._denormals import flush_denormals

# Methods run under the estimator's thread count when a subclass defines them.
TORCH_METHODS = ("fit", "partial_fit", "fit_predict", "fit_transform", "predict",
                 "predict_proba", "decision_function", "transform", "embed", "score")


def check_n_threads(n_threads):
    """Raise ``ValueError`` unless ``n_threads`` is None or a positive int."""
    if n_threads is not None and not (
        isinstance(n_threads, numbers.Integral) and not isinstance(n_threads, bool)
        and n_threads > 0
    ):
        raise ValueError(f"n_threads must be None or a positive int; got {n_threads!r}.")


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``torch.set_num_threads(n_threads)``; None leaves torch as it is.

    Parameters
    ----------
    n_threads : int or None

    Examples
    --------
    >>> import torch
    >>> from mmsense.nn import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    check_n_threads(n_threads)
    if n_threads is None:
        yield
        return
    import torch

    saved = torch.get_num_threads()
    if saved == n_threads:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


_BLAS_CONTROLLER = None


@contextmanager
def blas_threads(n_threads):
    """Limit the BLAS libraries numpy and scipy call to ``n_threads`` for the block; None
    leaves them as they are.

    Parameters
    ----------
    n_threads : int or None
    """
    global _BLAS_CONTROLLER
    if n_threads is None:
        yield
        return
    if _BLAS_CONTROLLER is None:  # finding the libraries takes milliseconds: once
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    with _BLAS_CONTROLLER.limit(limits=n_threads, user_api="blas"):
        yield


def with_torch_threads(method):
    """Wrap an estimator method so that it runs under ``self.n_threads`` torch threads.

    The BLAS libraries numpy and scipy call get the same limit, and the method runs
    with float denormals flushed to zero (see ``_denormals.py``).
    """
    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        n_threads = getattr(self, "n_threads", None)
        try:
            check_n_threads(n_threads)
        except ValueError:
            n_threads = None  # the method's own parameter validation reports it
        with torch_threads(n_threads), blas_threads(n_threads), flush_denormals():
            return method(self, *args, **kwargs)

    wrapped.__mmsense_threads__ = True
    return wrapped
