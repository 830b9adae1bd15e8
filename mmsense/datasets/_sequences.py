"""Padded feature sequences from files: real-step masks, NaN/inf in real steps, text pooling."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

TEXT_MODES = ("sequence", "first", "mean")


def check_nonfinite_param(nonfinite):
    if nonfinite == "raise":
        return
    if isinstance(nonfinite, numbers.Real) and not isinstance(nonfinite, bool):
        if np.isfinite(nonfinite):
            return
    raise ValueError(f"nonfinite must be 'raise' or a finite number; got {nonfinite!r}.")


def check_text_param(text):
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}; got {text!r}.")


def handle_nonfinite(seq, mask, nonfinite, *, source, key, ids) -> int:
    """Raise on NaN/inf in real steps, or replace them in place by ``nonfinite``.

    Returns the number of values replaced. Padding steps are not looked at:
    they become NaN padding anyway.
    """
    bad_steps = mask & ~np.isfinite(seq).all(axis=2)
    if not bad_steps.any():
        return 0
    row, step = (int(i[0]) for i in np.nonzero(bad_steps))
    real = seq[bad_steps]
    n_bad = int((~np.isfinite(real)).sum())
    if nonfinite == "raise":
        raise ValueError(
            f"{source}: {key!r} has {n_bad} NaN/inf value(s) in real (non-padding) steps "
            f"(first at id {ids[row]!r}, step {step}). MMSA and MulT replace -inf audio "
            "values by 0 before training: pass nonfinite=0.0 to do the same."
        )
    real[~np.isfinite(real)] = nonfinite
    seq[bad_steps] = real
    return n_bad


def pool_steps(seq, mask, how, *, source, key, ids) -> np.ndarray:
    """Pool a (n, T, d) sequence to (n, d): its first real step or the mean of its real steps."""
    counts = mask.sum(axis=1)
    if (counts == 0).any():
        empty = ids[np.flatnonzero(counts == 0)[:10]]
        raise ValueError(
            f"{source}: cannot pool {key!r} with text={how!r}: {int((counts == 0).sum())} "
            f"row(s) have no real step (ids {list(empty)}); use text='sequence'."
        )
    if how == "first":
        return np.ascontiguousarray(seq[np.arange(len(seq)), mask.argmax(axis=1)])
    total = np.einsum("ntd,nt->nd", np.where(mask[:, :, None], seq, 0), mask.astype(seq.dtype))
    return (total / counts[:, None]).astype(seq.dtype, copy=False)


def modality_array(name, seq, mask, *, text, nonfinite, source, ids):
    """One loaded modality in the contract's form, and how many values were replaced.

    Non-finite values in real steps are handled first (``nonfinite``); text is
    then pooled when ``text`` is ``"first"`` or ``"mean"``, and every other
    sequence keeps its real steps with NaN padding.
    """
    replaced = handle_nonfinite(seq, mask, nonfinite, source=source, key=name, ids=ids)
    if name == "text" and text != "sequence":
        return pool_steps(seq, mask, text, source=source, key=name, ids=ids), replaced
    seq[~mask] = np.nan  # contract padding
    return seq, replaced


def steps_mask_from_lengths(lengths, n_steps, *, source, key) -> np.ndarray:
    """Post-padding mask: the first ``length`` steps of each row are real.

    A length above ``n_steps`` means the file cut that sequence at ``n_steps``
    steps: all its steps are real, and a warning says how many rows were cut.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.number):
        raise ValueError(f"{source}: {key!r} must be a 1-D list of step counts.")
    if (lengths < 0).any() or (lengths != np.round(lengths)).any():
        raise ValueError(
            f"{source}: {key!r} must hold whole numbers >= 0; "
            f"found values from {lengths.min()} to {lengths.max()}."
        )
    over = int((lengths > n_steps).sum())
    if over:
        warnings.warn(
            f"{source}: {over} value(s) of {key!r} exceed the {n_steps} stored steps "
            f"(up to {lengths.max()}); those sequences were cut by the file's author and "
            f"all {n_steps} stored steps are used.",
            UserWarning,
            stacklevel=3,
        )
    return np.arange(n_steps)[None, :] < lengths.astype(np.int64)[:, None]
