"""Permutation importance of whole modalities, and its bar display."""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import check_scoring
from sklearn.utils import Bunch, check_random_state

from .._contract import parse_modalities
from ._plotting import axes_or_new


def modality_importance(estimator, X, y, *, modalities=None, scoring=None, n_repeats=5,
                        random_state=None, n_jobs=None):
    """Permutation importance of each modality: the score lost when it is shuffled.

    Each modality's whole column block (every step and feature of a
    sequence, its NaN padding included) is permuted across rows as one
    piece, so every row keeps a valid sequence, only taken from another row.
    :func:`sklearn.inspection.permutation_importance` shuffles single
    columns, which mixes padding into real steps of sequence modalities
    (partly-NaN steps the estimators reject) and measures single features
    rather than modalities.

    The permutations are drawn in a fixed order: ``rng =
    check_random_state(random_state)``, then for each modality (in the spec's
    order) and each repeat, ``rng.permutation(n_samples)``.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted model taking the contract's ``X`` (a Pipeline too).
    X : ndarray or DataFrame of shape (n_samples, n_features)
        Rows to score, usually held out.
    y : array-like of shape (n_samples,)
        Targets.
    modalities : dict, default=None
        The contract's spec; None reads the estimator's ``modalities``
        parameter (in a Pipeline, the last step that has one).
    scoring : str, callable or None, default=None
        Scorer; None uses the estimator's ``score``.
    n_repeats : int, default=5
        Permutations per modality.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations.
    n_jobs : int, default=None
        Modalities scored in parallel with joblib.

    Returns
    -------
    result : Bunch
        ``importances_mean`` and ``importances_std`` (n_modalities,),
        ``importances`` (n_modalities, n_repeats): baseline score minus the
        permuted score, as :func:`sklearn.inspection.permutation_importance`
        returns per feature; ``modalities``: the modality names;
        ``baseline_score``: the unpermuted score.

    See Also
    --------
    ModalityImportanceDisplay : Bar chart of the result.
    sklearn.inspection.permutation_importance : The same per column.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.inspection import modality_importance
    >>> spec = {"text": 8, "noise": 8}
    >>> X, y, _ = make_multimodal_sentiment(200, spec, random_state=0,
    ...                                     modality_informativeness={"noise": 0.0})
    >>> res = modality_importance(Ridge().fit(X, y), X, y, modalities=spec, random_state=0)
    >>> res.modalities
    ['text', 'noise']
    >>> bool(res.importances_mean[0] > 10 * abs(res.importances_mean[1]))
    True
    """
    if not isinstance(n_repeats, numbers.Integral) or isinstance(n_repeats, bool) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int; got {n_repeats!r}.")
    if modalities is None:
        modalities = _estimator_modalities(estimator)
    specs = parse_modalities(modalities, n_columns=X.shape[1])
    scorer = check_scoring(estimator, scoring=scoring)
    baseline = float(scorer(estimator, X, y))
    rng = check_random_state(random_state)
    perms = [[rng.permutation(X.shape[0]) for _ in range(n_repeats)] for _ in specs]
    permuted = Parallel(n_jobs=n_jobs)(
        delayed(_permuted_scores)(estimator, X, y, spec.columns, rows, scorer)
        for spec, rows in zip(specs, perms)
    )
    importances = baseline - np.asarray(permuted, dtype=float).reshape(len(specs), n_repeats)
    return Bunch(importances_mean=importances.mean(axis=1),
                 importances_std=importances.std(axis=1),
                 importances=importances,
                 modalities=[spec.name for spec in specs],
                 baseline_score=baseline)


def _estimator_modalities(estimator):
    """The ``modalities`` parameter of the estimator or of a Pipeline's last step having one."""
    params = estimator.get_params(deep=True)
    found = [v for k, v in params.items() if (k == "modalities" or k.endswith("__modalities"))
             and v is not None]
    if not found:
        raise ValueError(
            f"modalities=None and {type(estimator).__name__} has no 'modalities' parameter set; "
            "pass modalities= (the contract's spec, e.g. {'text': 768, 'audio': (375, 5)})."
        )
    return found[-1]


def _permuted_scores(estimator, X, y, columns, permutations, scorer):
    """Scores with the ``columns`` block replaced by its rows in each permutation's order."""
    scores = []
    for rows in permutations:
        if hasattr(X, "iloc"):
            X_perm = X.copy()
            X_perm.iloc[:, columns] = X.iloc[rows, columns].to_numpy()
        else:
            X_perm = np.array(X, copy=True)
            X_perm[:, columns] = X_perm[rows, columns]
        scores.append(scorer(estimator, X_perm, y))
    return scores


class ModalityImportanceDisplay:
    """Horizontal bars of each modality's permutation importance, with its spread.

    Build it with :meth:`from_estimator` (runs :func:`modality_importance`)
    or from its result. All attributes ending in ``_`` are set by :meth:`plot`.

    Parameters
    ----------
    importances : array-like of shape (n_modalities, n_repeats)
        Score drops of each permutation.
    modalities : list of str
        Modality names.
    score_name : str, default="score"
        Name of the score, for the x axis label.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure containing the bars.
    bars_ : matplotlib BarContainer
        One bar per modality (length: the mean importance).

    See Also
    --------
    modality_importance : Computes the importances.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mmsense.inspection import ModalityImportanceDisplay
    >>> disp = ModalityImportanceDisplay([[0.3, 0.5], [0.0, 0.02]], ["text", "audio"]).plot()
    >>> [round(float(bar.get_width()), 3) for bar in disp.bars_]
    [0.4, 0.01]
    """

    def __init__(self, importances, modalities, *, score_name="score"):
        self.importances = importances
        self.modalities = modalities
        self.score_name = score_name

    def plot(self, ax=None):
        """Draw the bars (mean) with error bars (standard deviation).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.

        Returns
        -------
        display : ModalityImportanceDisplay
            Object that stores the drawn artists.
        """
        fig, ax = axes_or_new(ax, "ModalityImportanceDisplay.plot")
        values = np.asarray(self.importances, dtype=float)
        values = values.reshape(len(self.modalities), -1)
        self.bars_ = ax.barh(list(self.modalities), values.mean(axis=1),
                             xerr=values.std(axis=1), capsize=4)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.invert_yaxis()  # first modality on top, as in the spec
        ax.set(xlabel=f"drop in {self.score_name} when permuted", ylabel="modality")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, modalities=None, scoring=None, n_repeats=5,
                       random_state=None, n_jobs=None, ax=None):
        """Compute :func:`modality_importance` and draw it.

        Parameters
        ----------
        estimator : fitted estimator
            See :func:`modality_importance`.
        X : ndarray or DataFrame of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,)
            Targets.
        modalities : dict, default=None
            See :func:`modality_importance`.
        scoring : str, callable or None, default=None
            See :func:`modality_importance`.
        n_repeats : int, default=5
            See :func:`modality_importance`.
        random_state : int, RandomState instance or None, default=None
            See :func:`modality_importance`.
        n_jobs : int, default=None
            See :func:`modality_importance`.
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : ModalityImportanceDisplay
            The drawn display; ``result_`` holds the Bunch.
        """
        result = modality_importance(estimator, X, y, modalities=modalities, scoring=scoring,
                                     n_repeats=n_repeats, random_state=random_state,
                                     n_jobs=n_jobs)
        name = scoring if isinstance(scoring, str) else "score"
        display = cls(result.importances, result.modalities, score_name=name)
        display.result_ = result
        return display.plot(ax=ax)
