"""label_budget_curve and LabelBudgetDisplay: scores as the labeled fraction grows."""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, _safe_indexing, check_random_state

from ._plotting import axes_or_new

_UNLABELED = ("hide", "drop")


def label_budget_curve(estimator, X, y, *, fractions=(0.1, 0.25, 0.5, 1.0), cv=5,
                       scoring=None, n_repeats=1, unlabeled="hide", random_state=None,
                       n_jobs=None):
    """Held-out scores as the fraction of labeled training rows grows.

    scikit-learn's :func:`~sklearn.model_selection.learning_curve` grows the
    number of rows; semi-supervised methods keep every row and grow the number
    of *labels*. For each cross-validation split, each repeat and each
    fraction, a random subset of the training part's labeled rows keeps its
    label (stratified by class for classifiers, at least one row per class)
    and the other training rows are hidden: their ``y`` is set to ``-1``
    (``unlabeled="hide"``, for semi-supervised estimators) or they are left
    out (``unlabeled="drop"``, for supervised baselines and regressors). The
    fitted clone is scored on the test part's labeled rows only, which never
    change with the fraction. Within a repeat the labeled subsets are nested
    (a larger fraction adds rows to a smaller one's), so the curve shows the
    effect of the added labels, not of a new draw.

    Parameters
    ----------
    estimator : estimator
        Unfitted estimator; cloned for every fit.
    X : array-like of shape (n_samples, n_features)
        Input rows.
    y : array-like of shape (n_samples,)
        Targets; ``-1`` marks rows that are unlabeled from the start (they
        stay unlabeled in every fit and are never scored).
    fractions : array-like of float in (0, 1], default=(0.1, 0.25, 0.5, 1.0)
        Fractions of the training part's labeled rows that keep their label.
    cv : int, cross-validation generator or iterable, default=5
        Splits of all rows, as in :func:`~sklearn.model_selection.check_cv`
        (an int gives stratified folds of ``y`` for classifiers).
    scoring : str, callable or None, default=None
        Scorer applied to the test part's labeled rows; None uses the
        estimator's ``score``.
    n_repeats : int, default=1
        Random label subsets drawn per split and fraction.
    unlabeled : {"hide", "drop"}, default="hide"
        How the training rows without a label are given to the estimator.
        ``"hide"`` needs a classifier (``-1`` is a valid regression score).
    random_state : int, RandomState instance or None, default=None
        Seeds the label subsets.
    n_jobs : int, default=None
        Fits run in parallel with joblib.

    Returns
    -------
    result : Bunch
        ``fractions`` (n_fractions,); ``n_labeled`` (n_fractions, n_runs), the
        labeled training rows of each fit; ``scores`` (n_fractions, n_runs),
        with ``n_runs = n_splits * n_repeats``; ``scores_mean`` and
        ``scores_std`` (n_fractions,).

    See Also
    --------
    LabelBudgetDisplay : Plots one or several such curves.
    sklearn.model_selection.learning_curve : The same idea over all rows.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.semi_supervised import SelfTrainingClassifier
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.inspection import label_budget_curve
    >>> X, y, _ = make_multimodal_sentiment(120, {"x": 6}, task="binary", random_state=0)
    >>> res = label_budget_curve(SelfTrainingClassifier(LogisticRegression()), X, y,
    ...                          fractions=[0.1, 0.5], cv=3, random_state=0)
    >>> res.scores.shape, res.n_labeled[:, 0].tolist()
    ((2, 3), [8, 40])
    """
    fractions = _check_fractions(fractions)
    if unlabeled not in _UNLABELED:
        raise ValueError(f"unlabeled must be one of {_UNLABELED}; got {unlabeled!r}.")
    if unlabeled == "hide" and is_regressor(estimator):
        raise ValueError(
            "unlabeled='hide' marks hidden labels with y=-1, which a regressor would read as "
            "a score; use unlabeled='drop' for regressors."
        )
    if not isinstance(n_repeats, numbers.Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int; got {n_repeats!r}.")
    y = np.asarray(y)
    labeled = y != -1
    classifier = is_classifier(estimator)
    splits = list(check_cv(cv, y, classifier=classifier).split(np.zeros((len(y), 1)), y))
    scorer = check_scoring(estimator, scoring=scoring)
    rng = check_random_state(random_state)
    jobs = []
    for train, test in splits:
        train_labeled = train[labeled[train]]
        test_labeled = test[labeled[test]]
        if not len(test_labeled):
            raise ValueError("A test fold has no labeled row to score; use fewer folds.")
        for _ in range(n_repeats):
            order = rng.permutation(len(train_labeled))
            for frac in fractions:
                keep = train_labeled[_first_of_each(order, y[train_labeled], frac, classifier)]
                jobs.append((train, keep, test_labeled))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(clone(estimator), X, y, train, keep, test, scorer, unlabeled)
        for train, keep, test in jobs
    )
    # the jobs cycle through the fractions: fraction i has every len(fractions)-th job from i
    by_fraction = [slice(i, None, len(fractions)) for i in range(len(fractions))]
    scores = np.array([results[s] for s in by_fraction], dtype=float)
    n_labeled = np.array([[len(keep) for _, keep, _ in jobs[s]] for s in by_fraction])
    return Bunch(fractions=fractions, n_labeled=n_labeled, scores=scores,
                 scores_mean=scores.mean(axis=1), scores_std=scores.std(axis=1))


def _check_fractions(fractions):
    fractions = np.asarray(fractions, dtype=float).ravel()
    if (not len(fractions) or np.any((fractions <= 0) | (fractions > 1))
            or np.isnan(fractions).any()):
        raise ValueError(f"fractions must be floats in (0, 1]; got {fractions.tolist()}.")
    return fractions


def _first_of_each(order, y_train, fraction, classifier):
    """Positions that keep their label: a prefix of ``order`` per class (or overall)."""
    groups = [order[y_train[order] == c] for c in np.unique(y_train)] if classifier else [order]
    return np.sort(np.concatenate([g[: max(1, int(round(fraction * len(g))))] for g in groups]))


def _fit_and_score(estimator, X, y, train, keep, test, scorer, unlabeled):
    if unlabeled == "drop":
        rows, y_fit = keep, y[keep]
    else:
        rows = train
        y_fit = np.where(np.isin(train, keep), y[train], -1).astype(y.dtype)
    estimator.fit(_safe_indexing(X, rows), y_fit)
    return float(scorer(estimator, _safe_indexing(X, test), y[test]))


class LabelBudgetDisplay:
    """Score against labeled fraction, one line per estimator, spread shaded.

    Build it with :meth:`from_estimator` (runs :func:`label_budget_curve` for
    each estimator) or from precomputed results. All attributes ending in
    ``_`` are set by :meth:`plot`.

    Parameters
    ----------
    fractions : array-like of shape (n_fractions,)
        Labeled fractions (x axis).
    scores : dict of str to array-like of shape (n_fractions, n_runs)
        Estimator name -> its scores over the runs of each fraction.
    score_name : str, default="score"
        Label of the y axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure containing the curves.
    lines_ : dict of str to matplotlib Line2D
        Estimator name -> line of its mean scores.
    fill_between_ : dict of str to matplotlib PolyCollection
        Estimator name -> band of mean +- one standard deviation.

    See Also
    --------
    label_budget_curve : Computes the scores.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mmsense.inspection import LabelBudgetDisplay
    >>> disp = LabelBudgetDisplay([0.1, 0.5, 1.0], {"a": [[0.6, 0.7], [0.8, 0.8], [0.9, 0.9]]})
    >>> disp.plot().lines_["a"].get_ydata().tolist()
    [0.6499999999999999, 0.8, 0.9]
    """

    def __init__(self, fractions, scores, *, score_name="score"):
        self.fractions = fractions
        self.scores = scores
        self.score_name = score_name

    def plot(self, ax=None, *, std=True):
        """Draw one line (mean) and band (mean +- std) per estimator.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.
        std : bool, default=True
            Shade mean +- one standard deviation over the runs.

        Returns
        -------
        display : LabelBudgetDisplay
            Object that stores the drawn artists.
        """
        fig, ax = axes_or_new(ax, "LabelBudgetDisplay.plot")
        x = np.asarray(self.fractions, dtype=float)
        self.lines_, self.fill_between_ = {}, {}
        for name, scores in self.scores.items():
            scores = np.asarray(scores, dtype=float).reshape(len(x), -1)
            mean, spread = scores.mean(axis=1), scores.std(axis=1)
            (line,) = ax.plot(x, mean, marker="o", label=name)
            self.lines_[name] = line
            if std:
                self.fill_between_[name] = ax.fill_between(
                    x, mean - spread, mean + spread, alpha=0.2, color=line.get_color())
        ax.set(xlabel="fraction of training labels kept", ylabel=self.score_name)
        ax.legend()
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimators, X, y, *, fractions=(0.1, 0.25, 0.5, 1.0), cv=5,
                       scoring=None, n_repeats=1, unlabeled="hide", random_state=None,
                       n_jobs=None, score_name=None, ax=None):
        """Compute and plot :func:`label_budget_curve` for one or several estimators.

        Every estimator sees the same splits and the same label subsets (same
        ``random_state``), so the curves compare the methods, not the draws.

        Parameters
        ----------
        estimators : estimator or dict of str to estimator
            Unfitted estimators, by display name. A value may also be a pair
            ``(estimator, unlabeled)`` to override ``unlabeled`` for it (e.g.
            ``(LogisticRegression(), "drop")`` as a supervised baseline).
        X : array-like of shape (n_samples, n_features)
            Input rows.
        y : array-like of shape (n_samples,)
            Targets (``-1``: unlabeled from the start).
        fractions : array-like of float, default=(0.1, 0.25, 0.5, 1.0)
            See :func:`label_budget_curve`.
        cv : int, cross-validation generator or iterable, default=5
            See :func:`label_budget_curve`.
        scoring : str, callable or None, default=None
            See :func:`label_budget_curve`.
        n_repeats : int, default=1
            See :func:`label_budget_curve`.
        unlabeled : {"hide", "drop"}, default="hide"
            See :func:`label_budget_curve`.
        random_state : int, RandomState instance or None, default=None
            See :func:`label_budget_curve`; give an int so that every
            estimator gets the same subsets.
        n_jobs : int, default=None
            See :func:`label_budget_curve`.
        score_name : str, default=None
            Y axis label; None uses ``scoring`` (or "score").
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : LabelBudgetDisplay
            The drawn display; ``results_`` holds each estimator's Bunch.
        """
        if not isinstance(estimators, dict):
            estimators = {type(estimators).__name__: estimators}
        if isinstance(random_state, np.random.RandomState):
            random_state = random_state.randint(np.iinfo(np.int32).max)
        results = {}
        for name, est in estimators.items():
            est, how = est if isinstance(est, tuple) else (est, unlabeled)
            results[name] = label_budget_curve(
                est, X, y, fractions=fractions, cv=cv, scoring=scoring, n_repeats=n_repeats,
                unlabeled=how, random_state=random_state, n_jobs=n_jobs)
        if score_name is None:
            score_name = scoring if isinstance(scoring, str) else "score"
        display = cls(_check_fractions(fractions),
                      {name: res.scores for name, res in results.items()},
                      score_name=score_name)
        display.results_ = results
        return display.plot(ax=ax)
