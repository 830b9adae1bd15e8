"""CMU-MultimodalSDK computational sequences (``.csd``): HDF5 files of per-video features.

Layout: ``<root>/data/<video>/features`` (n, d) and ``<root>/data/<video>/intervals``
(n, 2, start and end in seconds), plus ``<root>/metadata``. A label file has one
row per opinion segment; segment ``k`` (1-based) of a video has id ``<video>_<k>``.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._contract import stack_modalities
from .._labels import SENTIMENT_RANGE
from ..utils._optional import import_optional
from ._checks import check_label_range, make_dropped, warn_dropped
from ._folds import load_standard_folds, split_of_videos
from ._sequences import check_nonfinite_param, handle_nonfinite


_H5PY_MISSING = ("Reading CMU-MultimodalSDK .csd files needs h5py; install it with "
                 "`pip install mmsense[sdk]`.")


@contextmanager
def _open_csd(path):
    """Yield the root group of a .csd file, with errors naming the file."""
    h5py = import_optional("h5py", _H5PY_MISSING)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such .csd file.")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(
            f"{path}: not an HDF5 computational sequence (.csd) file ({exc})."
        ) from exc
    with handle:
        roots = list(handle.keys())
        if len(roots) != 1 or not isinstance(handle[roots[0]], h5py.Group):
            raise ValueError(f"{path}: expected one root group, found {roots}.")
        root = handle[roots[0]]
        if "data" not in root:
            raise ValueError(f"{path}: root group {roots[0]!r} has no 'data' group.")
        yield root


def _read_video(root, video, source):
    """Features (float32) and intervals of one video, checked."""
    group = root["data"][video]
    for key in ("features", "intervals"):
        if key not in group:
            raise ValueError(f"{source}: missing key 'data/{video}/{key}'.")
    features, intervals = group["features"][()], group["intervals"][()]
    key = f"data/{video}/features"
    if features.ndim != 2 or not np.issubdtype(features.dtype, np.number):
        raise ValueError(
            f"{source}: {key!r} must be a 2-D numeric array; found shape {features.shape}, "
            f"dtype {features.dtype} (a word or phone sequence cannot be a feature modality)."
        )
    if intervals.shape != (len(features), 2):
        raise ValueError(
            f"{source}: 'data/{video}/intervals' must have shape ({len(features)}, 2) to match "
            f"{key!r}; found {intervals.shape}."
        )
    return features.astype(np.float32, copy=False), intervals.astype(np.float64, copy=False)


def _decode(value):
    """A metadata entry as Python: CMU-SDK stores JSON-encoded strings (e.g. '"CMU-MOSI"')."""
    value = value[()] if hasattr(value, "shape") else value
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def read_computational_sequence(path):
    """Read a whole ``.csd`` file into memory (fine for label files; see :func:`load_cmu_sdk`).

    Parameters
    ----------
    path : str or path-like
        The ``.csd`` (HDF5) file.

    Returns
    -------
    Bunch
        With ``root_name`` (str), ``metadata`` (dict, JSON-encoded entries
        decoded) and ``data`` (dict video -> Bunch of ``features`` (n, d)
        float32 and ``intervals`` (n, 2) float64).
    """
    source = str(path)
    with _open_csd(path) as root:
        metadata = {k: _decode(v) for k, v in root.get("metadata", {}).items()}
        data = {}
        for video in root["data"]:
            features, intervals = _read_video(root, video, source)
            data[video] = Bunch(features=features, intervals=intervals)
        return Bunch(root_name=root.name.lstrip("/"), metadata=metadata, data=data)


def load_csd_labels(path, *, folds=None, column=0, label_range=SENTIMENT_RANGE, as_frame=False):
    """One row per labeled segment of a CMU-SDK label ``.csd``, with the standard split.

    Parameters
    ----------
    path : str or path-like
        E.g. ``CMU_MOSI_Opinion_Labels.csd`` (one column, sentiment in [-3, 3]) or
        ``CMU_MOSEI_Labels.csd`` (sentiment then six emotions).
    folds : str, path-like or mapping, default=None
        Standard folds (see :func:`load_standard_folds`). Segments of a video in no
        fold get split "unassigned" (kept). None: ``split`` is None.
    column : int, default=0
        Column of ``features`` holding the label.
    label_range : (float, float) or None, default=(-3.0, 3.0)
        Range the labels must lie in; None checks only that they are numbers.
    as_frame : bool, default=False
        If True, ``frame`` also holds the rows as a DataFrame.

    Returns
    -------
    Bunch
        With target (float64), ids (``<video>_<k>``, k 1-based), video, split,
        intervals (n, 2) in seconds, metadata, filename, frame when ``as_frame``.
    """
    source = str(path)
    csd = read_computational_sequence(path)
    ids, videos, target, intervals = [], [], [], []
    for video, seq in csd.data.items():
        width = seq.features.shape[1]
        if not -width <= column < width:
            raise ValueError(
                f"{source}: column={column} but 'data/{video}/features' has {width} column(s)."
            )
        ids += [f"{video}_{k}" for k in range(1, len(seq.features) + 1)]
        videos += [video] * len(seq.features)
        target.append(seq.features[:, column].astype(np.float64))
        intervals.append(seq.intervals)
    if not ids:
        raise ValueError(f"{source}: 'data' holds no video.")
    ids, videos = np.array(ids, dtype=object), np.array(videos, dtype=object)
    target = np.concatenate(target)
    check_label_range(target, label_range, source=source, key=f"features[:, {column}]", ids=ids)
    split = None if folds is None else split_of_videos(videos, load_standard_folds(folds))
    bunch = Bunch(target=target, ids=ids, video=videos, split=split,
                  intervals=np.concatenate(intervals), metadata=csd.metadata, filename=source)
    if as_frame:
        bunch.frame = pd.DataFrame({"id": ids, "video": videos, "label": target, "split": split,
                                    "start": bunch.intervals[:, 0], "end": bunch.intervals[:, 1]})
        bunch.target = bunch.frame["label"]
    return bunch


def _segment_steps(features, intervals, start, end):
    """Feature rows whose interval overlaps the segment [start, end)."""
    inside = (intervals[:, 0] < end) & (intervals[:, 1] > start)
    return features[inside]


def _modality_rows(path, labels, keep):
    """Per kept segment, its (t, d) feature steps; segments of missing videos are dropped."""
    source = str(path)
    rows, missing = [None] * len(labels.ids), np.zeros(len(labels.ids), dtype=bool)
    width = None
    with _open_csd(path) as root:
        by_video = pd.Series(np.arange(len(labels.ids))[keep]).groupby(labels.video[keep])
        for video, index in by_video:
            if video not in root["data"]:
                missing[index.to_numpy()] = True
                continue
            features, intervals = _read_video(root, video, source)
            if width is not None and features.shape[1] != width:
                raise ValueError(
                    f"{source}: 'data/{video}/features' has {features.shape[1]} columns but "
                    f"earlier videos have {width}."
                )
            width = features.shape[1]
            for i in index:
                rows[i] = _segment_steps(features, intervals, *labels.intervals[i])
    return rows, missing


def load_cmu_sdk(labels, features, *, folds=None, label_column=0,
                 label_range=SENTIMENT_RANGE, max_steps=None, nonfinite="raise"):
    """Segment-level multimodal data from CMU-SDK ``.csd`` files, in the input contract.

    Each labeled segment becomes one row; for each feature file, the feature
    steps whose interval overlaps the segment's interval form that modality's
    sequence (a segment with no step gets an all-padding row, it is kept).
    Segments of a video absent from a feature file are dropped, reported in a
    warning and listed in ``dropped``.

    Parameters
    ----------
    labels : str or path-like
        The label ``.csd`` (see :func:`load_csd_labels`).
    features : dict of str to path-like
        Modality name -> feature ``.csd`` (e.g. ``{"audio": "CMU_MOSI_COVAREP.csd"}``).
    folds : str, path-like or mapping, default=None
        Standard folds for ``split`` (see :func:`load_standard_folds`).
    label_column : int, default=0
        Column of the label file's features holding the label.
    label_range : (float, float) or None, default=(-3.0, 3.0)
        Range the labels must lie in; None checks only that they are numbers.
    max_steps : int, default=None
        Keep at most the first ``max_steps`` steps of each segment (the original
        counts stay in ``n_steps``). None keeps all; the width is then the
        longest segment, which can be large for 100 Hz audio features.
    nonfinite : "raise" or float, default="raise"
        NaN/inf in a real step raises, or is replaced by this number (counted in
        ``nonfinite_replaced``).

    Returns
    -------
    Bunch
        With data (X), target, modalities, ids, split, intervals, n_steps
        (dict modality -> steps per row before ``max_steps``), dropped,
        nonfinite_replaced.
    """
    check_nonfinite_param(nonfinite)
    if not features:
        raise ValueError("features must name at least one modality -> .csd file.")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be None or a positive int; got {max_steps!r}.")
    meta = load_csd_labels(labels, folds=folds, column=label_column, label_range=label_range)
    keep = np.ones(len(meta.ids), dtype=bool)
    per_modality, dropped = {}, []
    for name, path in features.items():
        rows, missing = _modality_rows(path, meta, keep)
        dropped.append(make_dropped(meta.ids[missing], [f"video not in {name!r} file {path}"]
                                    * int(missing.sum())))
        keep &= ~missing
        per_modality[name] = rows
    dropped = pd.concat(dropped, ignore_index=True)
    warn_dropped(dropped, source=str(labels))
    if not keep.any():
        raise ValueError(f"{labels}: no segment has features in every file of {features}.")
    ids = meta.ids[keep]
    arrays, lengths, n_steps, replaced = {}, {}, {}, {}
    for name, rows in per_modality.items():
        rows = [rows[i] for i in np.flatnonzero(keep)]
        n_steps[name] = np.array([len(r) for r in rows], dtype=np.int64)
        arrays[name] = _pad_rows(rows, max_steps)
        lengths[name] = np.minimum(n_steps[name], arrays[name].shape[1])
        mask = np.arange(arrays[name].shape[1])[None, :] < lengths[name][:, None]
        replaced[name] = handle_nonfinite(arrays[name], mask, nonfinite,
                                          source=str(features[name]), key="features", ids=ids)
    X, modalities = stack_modalities(lengths=lengths, **arrays)
    return Bunch(data=X, target=meta.target[keep], modalities=modalities, ids=ids,
                 split=None if meta.split is None else meta.split[keep],
                 intervals=meta.intervals[keep], n_steps=n_steps, dropped=dropped,
                 nonfinite_replaced=replaced, filename=str(labels))


def _pad_rows(rows, max_steps):
    """(n, T, d) float32 array of the rows' first steps; T is the longest row (or max_steps)."""
    longest = max(max((len(r) for r in rows), default=0), 1)
    n_steps = longest if max_steps is None else min(longest, max_steps)
    seq = np.zeros((len(rows), n_steps, rows[0].shape[1]), dtype=np.float32)
    for i, r in enumerate(rows):
        seq[i, : min(len(r), n_steps)] = r[:n_steps]
    return seq
