"""Batch size of inference (predict, transform): large, within a memory budget.

Training batches are small on purpose (gradient noise, many steps per epoch); inference
has no such reason, and one forward pass per 1024 rows is much faster than one per 64
(fewer Python round trips through the LSTM or Transformer steps). Long sequences make a
row large (an attention map grows with the square of the steps), so the batch shrinks to
keep the largest activation near ``ELEMENT_BUDGET`` numbers, never below the training
batch size.
"""

from __future__ import annotations

INFERENCE_BATCH_ROWS = 1024
ELEMENT_BUDGET = 2**24  # 64 MiB of float32 in the largest activation of one batch


def row_elements(specs, *, width, attention_heads=0) -> int:
    """Rough count of numbers one row occupies in a network's largest activation.

    Parameters
    ----------
    specs : list of ModalitySpec
        The parsed ``modalities`` spec.
    width : int
        Hidden width of the encoders (LSTM hidden size, Transformer embedding).
    attention_heads : int, default=0
        Heads of a Transformer encoder (each holds a steps x steps attention map).

    Returns
    -------
    int
    """
    total = 0
    for spec in specs:
        steps = spec.n_steps or 1
        total += steps * (spec.n_features + width) + attention_heads * steps * steps
    return max(total, 1)


def inference_batch_size(batch_size, per_row) -> int:
    """Rows per inference batch: up to ``INFERENCE_BATCH_ROWS``, within the budget.

    Parameters
    ----------
    batch_size : int
        The training batch size (the lower bound).
    per_row : int
        Numbers per row (see :func:`row_elements`).

    Returns
    -------
    int

    Examples
    --------
    >>> from mmsense.nn import inference_batch_size
    >>> inference_batch_size(64, per_row=500)
    1024
    >>> inference_batch_size(64, per_row=4 * 500 * 500)  # a 500-step, 4-head Transformer
    64
    """
    return int(max(batch_size, min(INFERENCE_BATCH_ROWS, ELEMENT_BUDGET // max(per_row, 1))))
