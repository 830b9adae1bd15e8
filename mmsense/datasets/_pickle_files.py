"""Reading the split dictionaries of MMSA and MulT pickles, with errors naming file and key."""

from __future__ import annotations

import pickle
from collections.abc import Mapping

import numpy as np

from ._checks import SPLIT_ALIASES, SPLITS


def read_pickle(path) -> Mapping:
    """Unpickle a dataset file (only open pickles you trust: unpickling can run code)."""
    source = str(path)
    with open(path, "rb") as handle:
        try:
            data = pickle.load(handle)
        except UnicodeDecodeError:
            # pickles written by Python 2 (early MulT releases) hold byte strings
            handle.seek(0)
            data = pickle.load(handle, encoding="latin1")
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
            raise ValueError(f"{source}: not a readable pickle file ({exc!r}).") from exc
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{source}: expected a dict with 'train', 'valid' and 'test' keys; "
            f"found a {type(data).__name__}."
        )
    return data


def split_parts(data, *, source):
    """[(split name, its dict)] in train, valid, test order ("dev" read as valid)."""
    parts = []
    for split in SPLITS:
        present = [key for key, ours in SPLIT_ALIASES.items() if ours == split and key in data]
        if len(present) > 1:
            raise ValueError(f"{source}: holds both {present}; which is the valid split?")
        if present:
            part = data[present[0]]
            if not isinstance(part, Mapping):
                raise ValueError(f"{source}: {present[0]!r} must be a dict of arrays.")
            parts.append((split, part))
    if not parts:
        raise ValueError(
            f"{source}: expected keys 'train', 'valid' and 'test'; found {sorted(map(str, data))}."
        )
    return parts


def get_key(part, key, *, source, split):
    if key not in part:
        raise ValueError(
            f"{source}: split {split!r} has no key {key!r}; keys found: {sorted(map(str, part))}."
        )
    return part[key]


def stacked(parts, key, *, source, ndim=None, dtype=np.float32) -> np.ndarray:
    """Concatenate ``key`` over the splits, checking dimensions agree."""
    arrays = []
    for split, part in parts:
        value = np.asarray(get_key(part, key, source=source, split=split))
        if ndim is not None and value.ndim != ndim:
            raise ValueError(
                f"{source}: {split}[{key!r}] must be {ndim}-D; found shape {value.shape}."
            )
        if arrays and value.shape[1:] != arrays[0].shape[1:]:
            raise ValueError(
                f"{source}: {key!r} has shape {value.shape[1:]} per row in {split!r} but "
                f"{arrays[0].shape[1:]} in {parts[0][0]!r}."
            )
        if dtype is not None:
            try:
                value = value.astype(dtype, copy=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{source}: {split}[{key!r}] is not numeric ({exc}).") from exc
        arrays.append(value)
    return np.concatenate(arrays) if len(arrays) > 1 else arrays[0]


def split_column(parts, key, *, source) -> np.ndarray:
    """The split name of each row, from the row count of ``key`` in each split."""
    counts = [len(get_key(part, key, source=source, split=split)) for split, part in parts]
    return np.repeat([split for split, _ in parts], counts).astype("<U5")


def as_text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def row_ids(parts, *, rows_key, key="id") -> np.ndarray:
    """Segment ids as strings.

    A row of several parts (e.g. MulT's video, start, end) is joined with "_".
    A file without ``key`` in every split gets positions "<split>/<row>", counting
    the rows of ``rows_key``.
    """
    if not all(key in part for _, part in parts):
        positions = [(split, i) for split, part in parts for i in range(len(part[rows_key]))]
        return np.array([f"{split}/{i}" for split, i in positions], dtype=object)
    ids = []
    for _, part in parts:
        for value in part[key]:
            value = np.asarray(value, dtype=object).reshape(-1)
            ids.append("_".join(as_text(v) for v in value))
    return np.array(ids, dtype=object)
