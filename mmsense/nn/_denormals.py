"""Float denormals flushed to zero during an estimator's torch work, the mode restored after.

Backpropagation through a long recurrence multiplies the gradient by a forget gate
(< 1) at every step, so at the early steps of a 375- or 500-step sequence it falls
below float32's smallest normal number (~1.2e-38). On x86 CPUs every arithmetic
operation on such denormal numbers is many times slower: an LSTM's backward over
64 rows x 500 steps took 4-5x longer with denormals kept than flushed (oneDNN's
kernel and torch's own alike). Flushing sets them to 0; a parameter update built
from a gradient of 1e-38 is below float32's resolution of any weight, so no fitted
value changes beyond float32 rounding.

The mode is per thread (x86's MXCSR): it covers the calling thread, where a fit with
the default ``n_threads=1`` does all its work.
"""

from __future__ import annotations

from contextlib import contextmanager


def denormals_flushed() -> bool:
    """Whether this thread flushes float denormals to zero now."""
    import torch

    return float(torch.tensor([1e-39]) * 1.0) == 0.0


@contextmanager
def flush_denormals():
    """Flush float denormals to zero in this thread for the block, then restore the mode.

    Does nothing where the CPU has no such mode (``torch.set_flush_denormal`` returns
    False) or where the mode is already on.

    Examples
    --------
    >>> from mmsense.nn import flush_denormals
    >>> from mmsense.nn._denormals import denormals_flushed
    >>> with flush_denormals():
    ...     inside = denormals_flushed()
    >>> inside, denormals_flushed()
    (True, False)
    """
    import torch

    if denormals_flushed() or not torch.set_flush_denormal(True):
        yield
        return
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
