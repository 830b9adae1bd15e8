"""MulT pickles (``mosi_data.pkl``, ``mosi_data_noalign.pkl``, MOSEI ones) into the contract."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from .._contract import stack_modalities
from .._labels import SENTIMENT_RANGE
from ._checks import check_label_range, check_same_rows, make_dropped
from ._pickle_files import read_pickle, row_ids, split_column, split_parts, stacked
from ._sequences import check_nonfinite_param, check_text_param, modality_array


def _labels(parts, label_range, *, source, ids):
    y = stacked(parts, "labels", source=source, dtype=np.float64)
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1:
        raise ValueError(
            f"{source}: 'labels' must hold one sentiment score per row (shape (n, 1, 1) in "
            f"MulT's MOSI/MOSEI files); found {y.shape[1]} values per row."
        )
    y = y[:, 0]
    check_label_range(y, label_range, source=source, key="labels", ids=ids)
    return y


def load_mult_pickle(
    path,
    *,
    modalities=("text", "audio", "vision"),
    text="sequence",
    label_range=SENTIMENT_RANGE,
    nonfinite="raise",
):
    """Load a MulT feature pickle into the input contract ``(X, y, modalities)``.

    The file is a dict ``train``/``valid``/``test`` of dicts holding ``text``
    (GloVe, (n, T, 300)), ``audio``, ``vision`` (n, T, d), ``labels`` (n, 1, 1)
    and ``id``. Sequences are padded with zeros: a step whose features are all
    zero is padding, every other step is real (wherever it sits), so the
    length of a row is its number of non-zero steps. All sizes are read from
    the file.

    Only open pickles you trust: unpickling can run code.

    Parameters
    ----------
    path : str or path-like
        The pickle file (only open pickles you trust: unpickling can run code).
    modalities : sequence of str, default=("text", "audio", "vision")
        Keys to load, in column order.
    text : {"sequence", "first", "mean"}, default="sequence"
        Keep text as a sequence, or pool it to a static vector: its first real
        step or the mean of its real steps.
    label_range : (float, float) or None, default=(-3.0, 3.0)
        Range the labels must lie in; None checks only that they are numbers.
    nonfinite : "raise" or float, default="raise"
        NaN/inf in a real step raises, or is replaced by this number (MulT's
        own loader replaces -inf audio values by 0).

    Returns
    -------
    Bunch
        With data (X, float32), target (float64), modalities, ids (an id row of
        several parts, e.g. video, start, end, is joined with "_"; "<split>/<row>"
        when the file has no ``id``), split, nonfinite_replaced, dropped (empty),
        filename.

    See Also
    --------
    load_mmsa_pickle : The MMSA (post-padded, with lengths) pickles.

    References
    ----------
    Y.-H. H. Tsai, S. Bai, P. P. Liang, J. Z. Kolter, L.-P. Morency and
    R. Salakhutdinov, "Multimodal Transformer for unaligned multimodal language
    sequences", ACL 2019.
    """
    check_text_param(text)
    check_nonfinite_param(nonfinite)
    source = str(path)
    parts = split_parts(read_pickle(path), source=source)
    split = split_column(parts, "labels", source=source)
    ids = row_ids(parts, rows_key="labels")
    y = _labels(parts, label_range, source=source, ids=ids)
    arrays, replaced = {}, {}
    for name in modalities:
        seq = stacked(parts, name, source=source, ndim=3)
        check_same_rows({"labels": len(y), name: len(seq)}, source=source)
        mask = (seq != 0).any(axis=2)
        arrays[name], replaced[name] = modality_array(
            name, seq, mask, text=text, nonfinite=nonfinite, source=source, ids=ids
        )
    X, modalities = stack_modalities(**arrays)
    return Bunch(data=X, target=y, modalities=modalities, ids=ids, split=split,
                 nonfinite_replaced=replaced, dropped=make_dropped(), filename=source)
