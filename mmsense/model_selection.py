"""Cross-validation for semi-supervised estimators, where ``y == -1`` marks unlabeled rows.

scikit-learn's own CV treats -1 as one more class: ``StratifiedKFold`` stratifies on
it and ``scoring="accuracy"`` counts every unlabeled row as an error. Here the
splitter stratifies only the labeled rows (and spreads the unlabeled ones over the
folds, so every training set keeps some), and the scorer ignores unlabeled rows.
"""

import numbers
import warnings

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import BaseCrossValidator, StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length

from sklearn.utils import deprecated

from ._labels import unlabeled_mask
from .metrics import _SCORERS, get_msa_scorer

__all__ = ["labeled_scorer", "LabeledStratifiedKFold", "RepeatedLabeledStratifiedKFold",
           "labelled_scorer", "LabelledStratifiedKFold", "RepeatedLabelledStratifiedKFold"]


def _labeled_mask(y, unlabeled):
    """Boolean mask of the rows whose label is not ``unlabeled``."""
    if y is None:
        raise ValueError("y is required: unlabeled rows are found by y == unlabeled.")
    return ~unlabeled_mask(y, unlabeled)


class _LabeledScorer:
    """Scorer that evaluates ``scorer`` on the labeled rows only (picklable)."""

    def __init__(self, scorer, unlabeled, name):
        self.scorer = scorer
        self.unlabeled = unlabeled
        # scikit-learn's displays and reports name a callable scorer by __name__
        self.__name__ = f"labeled_{name}"

    def __call__(self, estimator, X, y, **kwargs):
        mask = _labeled_mask(y, self.unlabeled)
        if not mask.any():
            raise ValueError(
                f"No labeled rows to score: every y equals unlabeled={self.unlabeled!r}. "
                "Use LabeledStratifiedKFold so that each test fold holds labeled rows."
            )
        rows = np.flatnonzero(mask)
        # row-aligned metadata (sample_weight, ...) follows the same rows
        kwargs = {
            k: _safe_indexing(v, rows) if hasattr(v, "__len__") and len(v) == len(mask) else v
            for k, v in kwargs.items()
        }
        return self.scorer(estimator, _safe_indexing(X, rows), _safe_indexing(y, rows), **kwargs)

    def __repr__(self):
        return f"labeled_scorer({self.scorer!r}, unlabeled={self.unlabeled!r})"


def labeled_scorer(scoring, unlabeled=-1):
    """Wrap a scorer so that it scores only the rows with ``y != unlabeled``.

    Parameters
    ----------
    scoring : str or callable
        An MSA scorer name (see :func:`mmsense.metrics.get_msa_scorer`), any
        scikit-learn scorer name (``"accuracy"``, ``"f1_macro"``, ...) or a
        callable ``scorer(estimator, X, y)``.
    unlabeled : int, str or float nan, default=-1
        The label that marks unlabeled rows. For regression targets such as
        sentiment scores, where -1 is a real value, mark unlabeled rows with
        ``np.nan`` and pass ``unlabeled=np.nan``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, usable as ``scoring=`` in
        ``cross_val_score``, ``cross_validate`` and ``GridSearchCV``.
        It raises a ValueError when no row of ``y`` is labeled.

    See Also
    --------
    LabeledStratifiedKFold : Folds that each hold labeled rows.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from mmsense.model_selection import labeled_scorer
    >>> X, y = [[0], [0], [0], [0]], [1, 1, 0, -1]
    >>> clf = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 1, 0, 0])
    >>> round(labeled_scorer("accuracy")(clf, X, y), 4)
    0.6667
    """
    if isinstance(scoring, str):
        scorer = get_msa_scorer(scoring) if scoring in _SCORERS else get_scorer(scoring)
        name = scoring
    elif callable(scoring):
        scorer = scoring
        name = getattr(scoring, "__name__", type(scoring).__name__)
    else:
        raise ValueError(
            f"scoring must be a scorer name or a callable scorer(estimator, X, y); "
            f"got {type(scoring).__name__}."
        )
    return _LabeledScorer(scorer, unlabeled, name)


class LabeledStratifiedKFold(BaseCrossValidator):
    """Stratified K-fold over the labeled rows; unlabeled rows spread evenly.

    The labeled rows (``y != unlabeled``) are split exactly as
    :class:`~sklearn.model_selection.StratifiedKFold` splits them (same warnings
    and errors, e.g. a class with fewer labeled rows than ``n_splits``); the
    unlabeled rows are dealt out over the folds so fold sizes differ by at most
    one. Every test fold therefore holds labeled rows to score, and every
    training set keeps unlabeled rows to learn from.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each class and the unlabeled rows before splitting.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling when ``shuffle=True``; must be None otherwise.
    unlabeled : int or str, default=-1
        The label that marks unlabeled rows.

    See Also
    --------
    RepeatedLabeledStratifiedKFold : The same, repeated with reshuffling.
    labeled_scorer : A scorer that ignores unlabeled rows.
    sklearn.model_selection.StratifiedKFold : The fully supervised splitter.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.model_selection import LabeledStratifiedKFold
    >>> y = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    >>> for train, test in LabeledStratifiedKFold(n_splits=2).split(np.zeros((8, 1)), y):
    ...     print(test, y[test])
    [0 2 4 5] [ 0  1 -1 -1]
    [1 3 6 7] [ 0  1 -1 -1]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None, unlabeled=-1):
        # sklearn splitters validate in __init__; so does this one, with their messages
        StratifiedKFold(n_splits, shuffle=shuffle, random_state=random_state)
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.unlabeled = unlabeled

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splitting iterations, ``n_splits``.

        Parameters
        ----------
        X : object, default=None
            Ignored; present for API compatibility.
        y : object, default=None
            Ignored; present for API compatibility.
        groups : object, default=None
            Ignored; present for API compatibility.

        Returns
        -------
        int
            The number of (train, test) splits :meth:`split` yields.
        """
        return self.n_splits

    def split(self, X, y, groups=None):
        """Generate train/test indices; ``y`` is required and ``groups`` ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; only its length is used.
        y : array-like of shape (n_samples,)
            Labels, ``unlabeled`` on unlabeled rows.
        groups : None
            Ignored.

        Returns
        -------
        generator of (ndarray, ndarray)
            Row indices of the training and test sets of each fold.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.split needs y: it stratifies on the labeled rows."
            )
        check_consistent_length(X, y)
        return super().split(X, y)

    def _iter_test_indices(self, X, y, groups=None):
        mask = _labeled_mask(y, self.unlabeled)
        labeled, unlabeled = np.flatnonzero(mask), np.flatnonzero(~mask)
        if labeled.size == 0:
            raise ValueError(
                f"y has no labeled rows (every label equals unlabeled={self.unlabeled!r}); "
                "there is nothing to stratify or score."
            )
        # one generator for both parts: an int seed gives the same folds on every call
        rng = check_random_state(self.random_state) if self.shuffle else None
        skf = StratifiedKFold(self.n_splits, shuffle=self.shuffle, random_state=rng)
        y_labeled = np.asarray(y)[labeled]
        if y_labeled.dtype == object:
            # StratifiedKFold rejects mixed object labels; strata only need distinct codes
            y_labeled = np.unique(y_labeled.astype(str), return_inverse=True)[1]
        labeled_folds = [test for _, test in skf.split(np.zeros(labeled.size), y_labeled)]
        if self.shuffle:
            unlabeled = rng.permutation(unlabeled)
        # fill the smallest labeled folds first so total fold sizes differ by at most one
        order = np.argsort([len(f) for f in labeled_folds], kind="stable")
        # array_split puts the larger pieces first
        extra = dict(zip(order, np.array_split(unlabeled, self.n_splits)))
        for k, test in enumerate(labeled_folds):
            yield np.sort(np.concatenate([labeled[test], extra[k]]))


class RepeatedLabeledStratifiedKFold(BaseCrossValidator):
    """:class:`LabeledStratifiedKFold` repeated ``n_repeats`` times with new shuffles.

    The default, 5 folds x 2 repeats, is the 5x2 repeated stratified CV of the
    CMCSL benchmark.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    n_repeats : int, default=2
        Number of repetitions, at least 1.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling of every repetition.
    unlabeled : int or str, default=-1
        The label that marks unlabeled rows.

    See Also
    --------
    LabeledStratifiedKFold : One repetition.
    sklearn.model_selection.RepeatedStratifiedKFold : The fully supervised splitter.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.model_selection import RepeatedLabeledStratifiedKFold
    >>> y = np.array([0, 0, 1, 1, 0, 1, -1, -1, -1, -1])
    >>> cv = RepeatedLabeledStratifiedKFold(n_splits=2, n_repeats=3, random_state=0)
    >>> cv.get_n_splits(), len(list(cv.split(np.zeros((10, 1)), y)))
    (6, 6)
    """

    def __init__(self, n_splits=5, *, n_repeats=2, random_state=None, unlabeled=-1):
        if not isinstance(n_repeats, numbers.Integral) or isinstance(n_repeats, bool):
            raise ValueError(f"n_repeats must be an integer; got {n_repeats!r}.")
        if n_repeats < 1:
            raise ValueError(f"n_repeats must be at least 1; got {n_repeats}.")
        LabeledStratifiedKFold(n_splits)  # validates n_splits
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.unlabeled = unlabeled

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splitting iterations, ``n_splits * n_repeats``.

        Parameters
        ----------
        X : object, default=None
            Ignored; present for API compatibility.
        y : object, default=None
            Ignored; present for API compatibility.
        groups : object, default=None
            Ignored; present for API compatibility.

        Returns
        -------
        int
            The number of (train, test) splits :meth:`split` yields.
        """
        return self.n_splits * self.n_repeats

    def split(self, X, y, groups=None):
        """Generate train/test indices of every fold of every repetition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data; only its length is used.
        y : array-like of shape (n_samples,)
            Labels, ``unlabeled`` on unlabeled rows.
        groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray
            Row indices of the training and test sets of each fold.
        """
        rng = check_random_state(self.random_state)
        for _ in range(self.n_repeats):
            cv = LabeledStratifiedKFold(
                self.n_splits, shuffle=True, random_state=rng, unlabeled=self.unlabeled
            )
            yield from cv.split(X, y)


# -- deprecated spellings (kept for one release) ----------------------------------------------

_RENAMED = "{old} is deprecated and will be removed in 0.3; use {new} (scikit-learn's spelling)."


def labelled_scorer(scoring, unlabelled=-1):
    """Deprecated alias of :func:`labeled_scorer`.

    Parameters
    ----------
    scoring : str or callable
        See :func:`labeled_scorer`.
    unlabelled : int, str or float nan, default=-1
        See ``unlabeled`` in :func:`labeled_scorer`.

    Returns
    -------
    scorer : callable
        See :func:`labeled_scorer`.
    """
    warnings.warn(_RENAMED.format(old="labelled_scorer", new="labeled_scorer"), FutureWarning,
                  stacklevel=2)
    return labeled_scorer(scoring, unlabeled=unlabelled)


@deprecated(_RENAMED.format(old="LabelledStratifiedKFold", new="LabeledStratifiedKFold"))
class LabelledStratifiedKFold(LabeledStratifiedKFold):
    """Deprecated alias of :class:`LabeledStratifiedKFold`."""


@deprecated(_RENAMED.format(old="RepeatedLabelledStratifiedKFold",
                            new="RepeatedLabeledStratifiedKFold"))
class RepeatedLabelledStratifiedKFold(RepeatedLabeledStratifiedKFold):
    """Deprecated alias of :class:`RepeatedLabeledStratifiedKFold`."""
