"""Partly labeled targets: ``-1`` marks an unlabeled row, as in SelfTrainingClassifier.

The one place that knows the convention: which rows are unlabeled, how string
labels sit next to the int ``-1``, how ``classes_`` and the int codes the networks
train on are derived, and how a semi-supervised classifier scores itself.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets

UNLABELED = -1

# The CMU-MOSI / MOSEI sentiment scale, cut into 7 one-wide classes by the metrics.
SENTIMENT_RANGE = (-3.0, 3.0)


def _is_marker(value, unlabeled) -> bool:
    if isinstance(unlabeled, float) and np.isnan(unlabeled):
        return isinstance(value, numbers.Real) and np.isnan(value)
    if isinstance(unlabeled, numbers.Number) and not isinstance(value, numbers.Number):
        return False  # a string is never the int marker
    return bool(value == unlabeled) and not isinstance(value, bool)


def unlabeled_mask(y, unlabeled=UNLABELED) -> np.ndarray:
    """True on the rows whose label is the ``unlabeled`` marker.

    Numeric ``y`` compares with the marker (``np.nan`` matches NaN, the marker for
    regression scores where -1 is a real value); object arrays hold strings next
    to the int ``-1``; a string array cannot hold the int marker, and a string
    ``"-1"`` in it is refused rather than guessed.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,); got shape {y.shape}.")
    if y.dtype.kind in "US":
        if isinstance(unlabeled, numbers.Number) and (y == str(unlabeled)).any():
            raise ValueError(
                f"y is a string array containing '{unlabeled}'; mark unlabeled rows with the "
                f"int {unlabeled} in an object array, e.g. "
                f"np.array(['pos', {unlabeled}, 'neg'], dtype=object)."
            )
        return y == unlabeled if isinstance(unlabeled, str) else np.zeros(len(y), dtype=bool)
    if y.dtype.kind == "O":
        return np.array([_is_marker(v, unlabeled) for v in y], dtype=bool)
    if isinstance(unlabeled, float) and np.isnan(unlabeled):
        return np.isnan(y.astype(np.float64))
    if isinstance(unlabeled, str):
        return np.zeros(len(y), dtype=bool)
    return y == unlabeled


def encode_partial_labels(y, classes=None):
    """Split partly labeled ``y`` into its classes and int codes (``-1`` stays ``-1``).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, ``-1`` on unlabeled rows.
    classes : array-like or None, default=None
        Every class of the task (the estimators' ``classes`` parameter); a
        labeled class outside it is an error. None: the labeled rows' classes.

    Returns
    -------
    classes : ndarray
        Sorted classes (never ``-1``); empty when nothing is labeled.
    codes : ndarray of int64
        ``classes[codes[i]] == y[i]`` on labeled rows, ``-1`` elsewhere.
    """
    y = np.asarray(y)
    unlabeled = unlabeled_mask(y)
    codes = np.full(len(y), UNLABELED, dtype=np.int64)
    labeled_y = y[~unlabeled]
    if len(labeled_y):
        check_classification_targets(labeled_y)
    present = np.unique(labeled_y)
    if classes is None:
        classes = present
    else:
        classes = np.unique(np.asarray(classes))
        if any(_is_marker(c, UNLABELED) for c in classes.tolist()):
            raise ValueError("classes must not contain -1, which marks unlabeled rows.")
        missing = [c for c in present.tolist() if c not in set(classes.tolist())]
        if missing:
            raise ValueError(
                f"y has labeled class(es) {missing} that are not in classes={classes.tolist()}."
            )
    if len(labeled_y):
        codes[~unlabeled] = np.searchsorted(classes, labeled_y)
    return classes, codes


def decode_partial_labels(classes, codes) -> np.ndarray:
    """Inverse of :func:`encode_partial_labels`: ``classes[codes]``, ``-1`` where ``codes`` is.

    Without a ``-1`` code the result is ``classes[codes]`` itself; with one, numeric
    classes keep their dtype and string classes become an object array holding the
    int ``-1`` next to the strings (the convention ``y`` follows).
    """
    codes = np.asarray(codes)
    unlabeled = codes == UNLABELED
    if not unlabeled.any():
        return classes[codes]
    out = classes[np.where(unlabeled, 0, codes)] if len(classes) else np.zeros(len(codes))
    if out.dtype.kind in "USO":
        out = out.astype(object)
    out[unlabeled] = UNLABELED
    return out


def check_two_labeled_classes(present, estimator) -> None:
    """Raise unless ``present`` (the labeled rows' classes) holds at least two classes."""
    name = type(estimator).__name__
    if len(present) == 0:
        raise ValueError(
            f"y has no labeled row (every value is -1); {name} needs labeled rows of at "
            "least 2 classes."
        )
    if len(present) < 2:
        raise ValueError(
            f"y has labeled rows of 1 class only, {np.asarray(present).tolist()[0]!r}; "
            f"{name} needs labeled rows of at least 2 classes."
        )


class SemiSupervisedClassifierMixin(ClassifierMixin):
    """``score`` is the accuracy on the labeled rows: ``-1`` rows are not errors.

    So ``cross_val_score(estimator, X, y)`` with the default scoring scores what
    it can score, as :func:`mmsense.model_selection.labeled_scorer` does.
    """

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the rows of ``y`` that are labeled (``y != -1``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels, ``-1`` on rows to leave out.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)`` on the labeled rows.
        """
        y = np.asarray(y)
        rows = np.flatnonzero(~unlabeled_mask(y))
        if len(rows) == 0:
            raise ValueError("score needs labeled rows; every value of y is -1.")
        weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
        return accuracy_score(y[rows], self.predict(_safe_indexing(X, rows)), sample_weight=weight)
