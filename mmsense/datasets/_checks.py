"""Bad-input checks shared by the loaders: every error names the file and the key."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

SPLITS = ("train", "valid", "test")
# Split names found in the wild, mapped to ours ("dev" is MMSA's MOSI label.csv).
SPLIT_ALIASES = {"train": "train", "valid": "valid", "dev": "valid", "test": "test"}


def _show(values, limit=10) -> str:
    values = [str(v) for v in values]
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def normalise_split(values, *, source, key) -> np.ndarray:
    """Map split names to "train"/"valid"/"test" ("dev" -> "valid"); raise on anything else."""
    values = pd.Series(values, dtype=object).astype(str).str.strip().str.lower()
    unknown = sorted(set(values) - set(SPLIT_ALIASES))
    if unknown:
        raise ValueError(
            f"{source}: column {key!r} must hold split names train, valid (or dev) or test; "
            f"found {_show(unknown)}."
        )
    return values.map(SPLIT_ALIASES).to_numpy(dtype="<U5")


def check_label_range(y, label_range, *, source, key, ids=None) -> None:
    """Raise if a label is NaN or outside ``label_range`` (skipped when it is None)."""
    y = np.asarray(y, dtype=float)
    bad = np.isnan(y)
    if label_range is not None:
        low, high = label_range
        bad |= (y < low) | (y > high)
    if not bad.any():
        return
    where = np.flatnonzero(bad)
    first = where[0]
    row = f"id {ids[first]!r}" if ids is not None else f"row {first}"
    promise = f"in [{label_range[0]}, {label_range[1]}]" if label_range is not None else "finite"
    raise ValueError(
        f"{source}: {len(where)} label(s) in {key!r} are not {promise} "
        f"(first at {row}: {y[first]!r}). Pass label_range=None if the range is intended."
    )


def check_same_rows(counts: dict, *, source) -> int:
    """Raise unless every key holds the same number of rows; return that number."""
    distinct = set(counts.values())
    if len(distinct) != 1:
        listing = ", ".join(f"{key!r}: {n}" for key, n in counts.items())
        raise ValueError(f"{source}: keys have different numbers of rows ({listing}).")
    return distinct.pop()


def check_unique_ids(ids, *, source, key) -> None:
    ids = pd.Series(ids)
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise ValueError(
            f"{source}: {key!r} must identify each row once; repeated: {_show(duplicated)}."
        )


def make_dropped(ids=(), reasons=(), **columns) -> pd.DataFrame:
    """The ``dropped`` frame of a Bunch: one row per dropped segment, with the reason."""
    frame = pd.DataFrame({"id": pd.Series(list(ids), dtype=object),
                          "reason": pd.Series(list(reasons), dtype=object)})
    for name, values in columns.items():
        frame[name] = list(values)
    return frame


def warn_dropped(dropped: pd.DataFrame, *, source) -> None:
    """Tell the user how many rows were dropped and which (they stay in ``bunch.dropped``)."""
    if len(dropped) == 0:
        return
    reasons = "; ".join(f"{n} {reason}" for reason, n in dropped["reason"].value_counts().items())
    warnings.warn(
        f"{source}: dropped {len(dropped)} segment(s) ({reasons}): {_show(dropped['id'])}. "
        "They are listed in the returned Bunch's `dropped` frame.",
        UserWarning,
        stacklevel=3,
    )
