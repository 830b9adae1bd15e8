"""The CMU standard folds: which videos are train, valid and test."""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np

from ._checks import SPLIT_ALIASES, SPLITS, _show

# Split of a segment whose video is in no fold (kept, never dropped).
UNASSIGNED = "unassigned"


def load_standard_folds(folds) -> dict:
    """Read standard folds: a mapping (or JSON file of one) split -> list of video ids.

    Keys ``train``, ``valid`` (or ``dev``) and ``test``, as in
    ``cmu_mosi_std_folds.json``. A video listed in two folds is an error.

    Parameters
    ----------
    folds : str, path-like or mapping
        A ``cmu_*_std_folds.json`` file, or a mapping with ``train``,
        ``valid``/``dev`` and ``test`` lists of video ids.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}`` (absent keys give empty lists).
    """
    source = "folds" if isinstance(folds, Mapping) else str(folds)
    if not isinstance(folds, Mapping):
        try:
            with open(folds, encoding="utf-8") as handle:
                folds = json.load(handle)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not a JSON file ({exc}).") from exc
        if not isinstance(folds, Mapping):
            raise ValueError(f"{source}: expected a JSON object split -> list of video ids.")
    unknown = sorted(set(folds) - set(SPLIT_ALIASES))
    if unknown:
        raise ValueError(f"{source}: keys must be train, valid (or dev), test; found {unknown}.")
    result = {split: [] for split in SPLITS}
    for key, videos in folds.items():
        if isinstance(videos, str) or not all(isinstance(v, str) for v in videos):
            raise ValueError(f"{source}: {key!r} must be a list of video id strings.")
        result[SPLIT_ALIASES[key]].extend(videos)
    every = [v for split in SPLITS for v in result[split]]
    if len(every) != len(set(every)):
        repeated = sorted({v for v in every if every.count(v) > 1})
        raise ValueError(f"{source}: videos listed in more than one fold: {_show(repeated)}.")
    return result


def split_of_videos(videos, folds) -> np.ndarray:
    """Split name of each video ("unassigned" when in no fold)."""
    fold_of = {video: split for split, members in folds.items() for video in members}
    return np.array([fold_of.get(v, UNASSIGNED) for v in videos], dtype="<U10")
