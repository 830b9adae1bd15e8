"""Cross-validation for semi-supervised estimators, where ``y == -1`` marks unlabelled rows.

scikit-learn's own CV treats -1 as one more class: ``StratifiedKFold`` stratifies on
it and ``scoring="accuracy"`` counts every unlabelled row as an error. Here the
splitter stratifies only the labelled rows (and spreads the unlabelled ones over the
folds, so every training set keeps some), and the scorer ignores unlabelled rows.
"""

import numbers

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import BaseCrossValidator, StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length

from .metrics import _SCORERS, get_msa_scorer

__all__ = ["labelled_scorer", "LabelledStratifiedKFold", "RepeatedLabelledStratifiedKFold"]


def _labelled_mask(y, unlabelled):
    """Boolean mask of the rows whose label is not ``unlabelled``.

    Works for numeric and object (e.g. string + -1) labels, the encodings that
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier` accepts.
    """
    if y is None:
        raise ValueError("y is required: unlabelled rows are found by y == unlabelled.")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (n_samples,); got shape {y.shape}.")
    if isinstance(unlabelled, float) and np.isnan(unlabelled):
        # NaN never equals itself; this is the marker for regression, where -1 is a real score
        return ~np.isnan(y.astype(np.float64))
    # an object array compares elementwise with any scalar, strings included
    return np.asarray(y.astype(object, copy=False) != unlabelled, dtype=bool)


class _LabelledScorer:
    """Scorer that evaluates ``scorer`` on the labelled rows only (picklable)."""

    def __init__(self, scorer, unlabelled):
        self.scorer = scorer
        self.unlabelled = unlabelled

    def __call__(self, estimator, X, y, **kwargs):
        mask = _labelled_mask(y, self.unlabelled)
        if not mask.any():
            raise ValueError(
                f"No labelled rows to score: every y equals unlabelled={self.unlabelled!r}. "
                "Use LabelledStratifiedKFold so that each test fold holds labelled rows."
            )
        rows = np.flatnonzero(mask)
        # row-aligned metadata (sample_weight, ...) follows the same rows
        kwargs = {
            k: _safe_indexing(v, rows) if hasattr(v, "__len__") and len(v) == len(mask) else v
            for k, v in kwargs.items()
        }
        return self.scorer(estimator, _safe_indexing(X, rows), _safe_indexing(y, rows), **kwargs)

    def __repr__(self):
        return f"labelled_scorer({self.scorer!r}, unlabelled={self.unlabelled!r})"


def labelled_scorer(scoring, unlabelled=-1):
    """Wrap a scorer so that it scores only the rows with ``y != unlabelled``.

    Parameters
    ----------
    scoring : str or callable
        An MSA scorer name (see :func:`mmsense.metrics.get_msa_scorer`), any
        scikit-learn scorer name (``"accuracy"``, ``"f1_macro"``, ...) or a
        callable ``scorer(estimator, X, y)``.
    unlabelled : int, str or float nan, default=-1
        The label that marks unlabelled rows. For regression targets such as
        sentiment scores, where -1 is a real value, mark unlabelled rows with
        ``np.nan`` and pass ``unlabelled=np.nan``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, usable as ``scoring=`` in
        ``cross_val_score``, ``cross_validate`` and ``GridSearchCV``.
        It raises a ValueError when no row of ``y`` is labelled.

    See Also
    --------
    LabelledStratifiedKFold : Folds that each hold labelled rows.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from mmsense.model_selection import labelled_scorer
    >>> X, y = [[0], [0], [0], [0]], [1, 1, 0, -1]
    >>> clf = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 1, 0, 0])
    >>> round(labelled_scorer("accuracy")(clf, X, y), 4)
    0.6667
    """
    if isinstance(scoring, str):
        scorer = get_msa_scorer(scoring) if scoring in _SCORERS else get_scorer(scoring)
    elif callable(scoring):
        scorer = scoring
    else:
        raise ValueError(
            f"scoring must be a scorer name or a callable scorer(estimator, X, y); "
            f"got {type(scoring).__name__}."
        )
    return _LabelledScorer(scorer, unlabelled)


class LabelledStratifiedKFold(BaseCrossValidator):
    """Stratified K-fold over the labelled rows; unlabelled rows spread evenly.

    The labelled rows (``y != unlabelled``) are split exactly as
    :class:`~sklearn.model_selection.StratifiedKFold` splits them (same warnings
    and errors, e.g. a class with fewer labelled rows than ``n_splits``); the
    unlabelled rows are dealt out over the folds so fold sizes differ by at most
    one. Every test fold therefore holds labelled rows to score, and every
    training set keeps unlabelled rows to learn from.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each class and the unlabelled rows before splitting.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling when ``shuffle=True``; must be None otherwise.
    unlabelled : int or str, default=-1
        The label that marks unlabelled rows.

    See Also
    --------
    RepeatedLabelledStratifiedKFold : The same, repeated with reshuffling.
    labelled_scorer : A scorer that ignores unlabelled rows.
    sklearn.model_selection.StratifiedKFold : The fully supervised splitter.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.model_selection import LabelledStratifiedKFold
    >>> y = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    >>> for train, test in LabelledStratifiedKFold(n_splits=2).split(np.zeros((8, 1)), y):
    ...     print(test, y[test])
    [0 2 4 5] [ 0  1 -1 -1]
    [1 3 6 7] [ 0  1 -1 -1]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None, unlabelled=-1):
        # sklearn splitters validate in __init__; so does this one, with their messages
        StratifiedKFold(n_splits, shuffle=shuffle, random_state=random_state)
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.unlabelled = unlabelled

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
            Labels, ``unlabelled`` on unlabelled rows.
        groups : None
            Ignored.

        Returns
        -------
        generator of (ndarray, ndarray)
            Row indices of the training and test sets of each fold.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.split needs y: it stratifies on the labelled rows."
            )
        check_consistent_length(X, y)
        return super().split(X, y)

    def _iter_test_indices(self, X, y, groups=None):
        mask = _labelled_mask(y, self.unlabelled)
        labelled, unlabelled = np.flatnonzero(mask), np.flatnonzero(~mask)
        if labelled.size == 0:
            raise ValueError(
                f"y has no labelled rows (every label equals unlabelled={self.unlabelled!r}); "
                "there is nothing to stratify or score."
            )
        # one generator for both parts: an int seed gives the same folds on every call
        rng = check_random_state(self.random_state) if self.shuffle else None
        skf = StratifiedKFold(self.n_splits, shuffle=self.shuffle, random_state=rng)
        y_labelled = np.asarray(y)[labelled]
        if y_labelled.dtype == object:
            # StratifiedKFold rejects mixed object labels; strata only need distinct codes
            y_labelled = np.unique(y_labelled.astype(str), return_inverse=True)[1]
        labelled_folds = [test for _, test in skf.split(np.zeros(labelled.size), y_labelled)]
        if self.shuffle:
            unlabelled = rng.permutation(unlabelled)
        # fill the smallest labelled folds first so total fold sizes differ by at most one
        order = np.argsort([len(f) for f in labelled_folds], kind="stable")
        unlabelled_folds = np.array_split(unlabelled, self.n_splits)
        sizes = sorted(range(self.n_splits), key=lambda k: -len(unlabelled_folds[k]))
        extra = dict(zip(order, (unlabelled_folds[k] for k in sizes)))
        for k, test in enumerate(labelled_folds):
            yield np.sort(np.concatenate([labelled[test], extra[k]]))


class RepeatedLabelledStratifiedKFold(BaseCrossValidator):
    """:class:`LabelledStratifiedKFold` repeated ``n_repeats`` times with new shuffles.

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
    unlabelled : int or str, default=-1
        The label that marks unlabelled rows.

    See Also
    --------
    LabelledStratifiedKFold : One repetition.
    sklearn.model_selection.RepeatedStratifiedKFold : The fully supervised splitter.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.model_selection import RepeatedLabelledStratifiedKFold
    >>> y = np.array([0, 0, 1, 1, 0, 1, -1, -1, -1, -1])
    >>> cv = RepeatedLabelledStratifiedKFold(n_splits=2, n_repeats=3, random_state=0)
    >>> cv.get_n_splits(), len(list(cv.split(np.zeros((10, 1)), y)))
    (6, 6)
    """

    def __init__(self, n_splits=5, *, n_repeats=2, random_state=None, unlabelled=-1):
        if not isinstance(n_repeats, numbers.Integral) or isinstance(n_repeats, bool):
            raise ValueError(f"n_repeats must be an integer; got {n_repeats!r}.")
        if n_repeats < 1:
            raise ValueError(f"n_repeats must be at least 1; got {n_repeats}.")
        LabelledStratifiedKFold(n_splits)  # validates n_splits
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.unlabelled = unlabelled

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
            Labels, ``unlabelled`` on unlabelled rows.
        groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray
            Row indices of the training and test sets of each fold.
        """
        rng = check_random_state(self.random_state)
        for _ in range(self.n_repeats):
            cv = LabelledStratifiedKFold(
                self.n_splits, shuffle=True, random_state=rng, unlabelled=self.unlabelled
            )
            yield from cv.split(X, y)
