"""MMSA pickles (``aligned_50.pkl`` / ``unaligned_50.pkl`` of thuiar/MMSA) into the contract."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from .._contract import stack_modalities
from .._labels import SENTIMENT_RANGE
from ._checks import check_label_range, check_same_rows, make_dropped
from ._pickle_files import read_pickle, row_ids, split_column, split_parts, stacked
from ._sequences import (
    check_nonfinite_param, check_text_param, modality_array, steps_mask_from_lengths,
)

_ALL_STEPS = "all steps (no lengths in the file)"


def _text_mask(parts, *, source):
    """Real BERT tokens from ``text_bert``'s attention-mask row, when the file has it."""
    if not all("text_bert" in part and "text" in part for _, part in parts):
        return None
    tokens = stacked(parts, "text_bert", source=source, ndim=3, dtype=None)
    n_steps = np.shape(parts[0][1]["text"])[1]
    if tokens.shape[1] != 3 or tokens.shape[2] != n_steps:
        raise ValueError(
            f"{source}: 'text_bert' must have shape (n, 3, {n_steps}) (ids, attention "
            f"mask, segment ids) to match 'text'; found {tokens.shape}."
        )
    return tokens[:, 1, :] > 0


def _steps_mask(parts, name, seq, text_mask, *, source):
    """(mask of real steps, where it came from) for one modality (text: the BERT mask)."""
    key = f"{name}_lengths"
    if name != "text" and all(key in part for _, part in parts):
        lengths = np.concatenate([np.asarray(part[key]).reshape(-1) for _, part in parts])
        if len(lengths) != len(seq):
            raise ValueError(
                f"{source}: {key!r} has {len(lengths)} entries but {name!r} has {len(seq)} rows."
            )
        return steps_mask_from_lengths(lengths, seq.shape[1], source=source, key=key), key
    if text_mask is not None and seq.shape[1] == text_mask.shape[1]:
        aligned = "" if name == "text" else " (aligned to text)"
        return text_mask, f"text_bert attention mask{aligned}"
    return np.ones(seq.shape[:2], dtype=bool), _ALL_STEPS


def _labels(parts, target, label_range, *, source, ids):
    y = stacked(parts, target, source=source, dtype=np.float64)
    if y.ndim != 1 and (y.ndim != 2 or y.shape[1] != 1):
        raise ValueError(
            f"{source}: {target!r} must hold one label per row; found shape {y.shape}."
        )
    y = y.reshape(-1)
    check_label_range(y, label_range, source=source, key=target, ids=ids)
    return y


def load_mmsa_pickle(
    path,
    *,
    modalities=("text", "audio", "vision"),
    text="sequence",
    target="regression_labels",
    label_range=SENTIMENT_RANGE,
    nonfinite="raise",
):
    """Load an MMSA feature pickle into the input contract ``(X, y, modalities)``.

    The file is a dict ``train``/``valid``/``test`` of dicts holding ``text``
    (BERT features, (n, T_t, 768)), ``audio`` (n, T_a, d_a), ``vision``
    (n, T_v, d_v), ``audio_lengths``, ``vision_lengths``, ``text_bert`` (token
    ids, attention mask, segment ids), ``regression_labels``, ``id`` and
    ``raw_text``. Sequences are post-padded: the first ``length`` steps of each
    row are real, the rest becomes NaN padding. Text lengths come from the
    attention mask. Without a ``<name>_lengths`` key, a sequence as long as the
    text (aligned files) uses the text mask, otherwise all its steps are real;
    ``lengths_source`` says which rule each modality used. All sizes are read
    from the file.

    Only open pickles you trust: unpickling can run code.

    Parameters
    ----------
    path : str or path-like
        The pickle file (only open pickles you trust: unpickling can run code).
    modalities : sequence of str, default=("text", "audio", "vision")
        Keys to load, in column order.
    text : {"sequence", "first", "mean"}, default="sequence"
        Keep text as a sequence, or pool it to one static vector: its first
        real step (BERT's [CLS] token) or the mean of its real steps.
    target : str, default="regression_labels"
        Label key (e.g. ``"classification_labels"``, SIMS's ``"regression_labels_T"``).
    label_range : (float, float) or None, default=(-3.0, 3.0)
        Range the labels must lie in (MOSI/MOSEI: [-3, 3]; use (-1, 1) for SIMS).
    nonfinite : "raise" or float, default="raise"
        NaN/inf in a real step raises (naming the key and first id), or is
        replaced by this number; MMSA's own loader replaces -inf audio by 0.

    Returns
    -------
    Bunch
        With ``data`` (ndarray of float32, the contract's X), ``target``
        (ndarray of float64), ``modalities`` (dict, the modalities to pass
        to estimators), ``ids``, ``split`` ("train"/"valid"/"test"), ``raw_text``
        (or None), ``lengths_source`` (dict), ``nonfinite_replaced`` (dict
        modality -> count), ``dropped`` (empty: no row is dropped) and
        ``filename``.

    See Also
    --------
    load_mult_pickle : The MulT (zero-padded) pickles.

    References
    ----------
    H. Mao, Z. Yuan, H. Xu, W. Yu, Y. Liu and K. Gao, "M-SENA: an integrated
    platform for multimodal sentiment analysis", ACL 2022 demo (MMSA).
    """
    check_text_param(text)
    check_nonfinite_param(nonfinite)
    source = str(path)
    parts = split_parts(read_pickle(path), source=source)
    split = split_column(parts, target, source=source)
    ids = row_ids(parts, rows_key=target)
    y = _labels(parts, target, label_range, source=source, ids=ids)
    arrays, lengths_source, replaced = {}, {}, {}
    text_mask = _text_mask(parts, source=source)
    for name in modalities:
        seq = stacked(parts, name, source=source, ndim=3)
        rows = {target: len(y), name: len(seq)}
        if text_mask is not None:
            rows["text_bert"] = len(text_mask)
        check_same_rows(rows, source=source)
        mask, lengths_source[name] = _steps_mask(parts, name, seq, text_mask, source=source)
        arrays[name], replaced[name] = modality_array(
            name, seq, mask, text=text, nonfinite=nonfinite, source=source, ids=ids
        )
    X, modalities = stack_modalities(**arrays)
    raw_text = None
    if all("raw_text" in part for _, part in parts):
        raw_text = np.concatenate([np.asarray(part["raw_text"], dtype=object) for _, part in parts])
    return Bunch(data=X, target=y, modalities=modalities, ids=ids, split=split, raw_text=raw_text,
                 lengths_source=lengths_source, nonfinite_replaced=replaced,
                 dropped=make_dropped(), filename=source)
