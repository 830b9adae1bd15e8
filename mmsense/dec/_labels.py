"""Partly-labelled targets: ``-1`` marks an unlabelled row, as in SelfTrainingClassifier."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

UNLABELLED = -1


def unlabelled_mask(y: np.ndarray) -> np.ndarray:
    """True where ``y`` is the int ``-1``.

    Strings go in an object array next to the int ``-1``; a string array has no
    unlabelled row, and a string ``"-1"`` in it is refused rather than guessed.
    """
    if y.dtype.kind in "US":
        if (y == str(UNLABELLED)).any():
            raise ValueError(
                "y is a string array containing '-1'; mark unlabelled rows with the int -1 "
                "in an object array, e.g. np.array(['pos', -1, 'neg'], dtype=object)."
            )
        return np.zeros(len(y), dtype=bool)
    if y.dtype.kind == "O":
        return np.array(
            [isinstance(v, numbers.Number) and not isinstance(v, bool) and v == UNLABELLED
             for v in y], dtype=bool,
        )
    return y == UNLABELLED


def encode_partial_labels(y: np.ndarray):
    """Split partly-labelled ``y`` into its classes and int codes (``-1`` stays ``-1``).

    Returns
    -------
    classes : ndarray
        Sorted labels of the labelled rows (never ``-1``); empty if none.
    codes : ndarray of int64
        ``classes[codes[i]] == y[i]`` on labelled rows, ``-1`` elsewhere.
    """
    unlabelled = unlabelled_mask(y)
    codes = np.full(len(y), UNLABELLED, dtype=np.int64)
    if unlabelled.all():
        return y[:0], codes
    labelled_y = y[~unlabelled]
    check_classification_targets(labelled_y)
    classes, codes[~unlabelled] = np.unique(labelled_y, return_inverse=True)
    return classes, codes
