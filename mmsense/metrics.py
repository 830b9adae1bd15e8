"""Multimodal sentiment analysis (MSA) metrics and their scikit-learn scorers.

The definitions follow the community's evaluation code exactly (thuiar/MMSA
``utils/metricsTop.py``, MulT ``eval_metrics.py``), with ``p`` the predicted and
``t`` the true sentiment scores (CMU-MOSI/MOSEI scale, [-3, 3]):

=============  ===============================================================
``mae``        mean ``|p - t|``
``corr``       Pearson r of the raw ``p`` and ``t`` (nan + warning if constant)
``acc7``       clip to [-3, 3], ``np.round`` (half to even), fraction equal
``acc5``       clip to [-2, 2], ``np.round``, fraction equal
``acc3``       clip to [-1, 1], ``np.round``, fraction equal
``acc2_has0``  accuracy of ``p >= 0`` vs ``t >= 0`` over all samples
``f1_has0``    ``f1_score(t >= 0, p >= 0, average="weighted")``
``acc2_non0``  drop samples with ``t == 0``, accuracy of ``p > 0`` vs ``t > 0``
``f1_non0``    same rows, ``f1_score(t > 0, p > 0, average="weighted")``
=============  ===============================================================
"""

import warnings

import numpy as np
from scipy.stats import ConstantInputWarning
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import f1_score, make_scorer

__all__ = [
    "mae",
    "pearson_corr",
    "acc7",
    "acc5",
    "acc3",
    "acc2_has0",
    "f1_has0",
    "acc2_non0",
    "f1_non0",
    "msa_report",
    "get_msa_scorer",
    "msa_scorers",
]


def _check_scores(y_true, y_pred):
    """Return ``y_true`` and ``y_pred`` as finite 1-D float64 arrays of equal length.

    A column vector ``(n, 1)`` is accepted as ``(n,)`` (what regressors such as
    skorch's return); any other shape is an error.
    """
    arrays = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name} must hold numeric sentiment scores; could not convert it to float: {exc}"
            ) from None
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be 1-D (n_samples,) or a column (n_samples, 1); "
                f"got shape {arr.shape}."
            )
        if arr.shape[0] == 0:
            raise ValueError(f"{name} is empty; MSA metrics need at least one sample.")
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ValueError(
                f"{name} must be finite; found {arr[bad[0]]} at index {bad[0]} "
                f"({bad.size} non-finite value(s) in total)."
            )
        arrays.append(arr)
    t, p = arrays
    if t.shape[0] != p.shape[0]:
        raise ValueError(
            f"y_true and y_pred must have the same length; got {t.shape[0]} and {p.shape[0]}."
        )
    return t, p


def mae(y_true, y_pred):
    """Mean absolute error, ``mean(|p - t|)``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        The mean absolute error (0 is perfect).

    Examples
    --------
    >>> from mmsense.metrics import mae
    >>> mae([0.0, 1.0, -2.0], [0.5, 1.0, -1.0])
    0.5
    """
    t, p = _check_scores(y_true, y_pred)
    return float(np.mean(np.abs(p - t)))


def pearson_corr(y_true, y_pred):
    """Pearson correlation of the raw predicted and true scores.

    Undefined when either input is constant: returns nan and emits a
    :class:`scipy.stats.ConstantInputWarning` (a ``RuntimeWarning``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Pearson's r in [-1, 1], or nan when an input is constant.

    Examples
    --------
    >>> from mmsense.metrics import pearson_corr
    >>> pearson_corr([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    1.0
    """
    t, p = _check_scores(y_true, y_pred)
    dt, dp = t - t.mean(), p - p.mean()
    denom = np.sqrt(np.dot(dt, dt) * np.dot(dp, dp))
    if denom == 0.0:
        which = " and ".join(n for n, d in (("y_true", dt), ("y_pred", dp)) if not d.any())
        warnings.warn(
            f"{which} is constant; the Pearson correlation is undefined, returning nan.",
            ConstantInputWarning,
            stacklevel=2,
        )
        return float("nan")
    # rounding can push |r| a hair above 1
    return float(np.clip(np.dot(dt, dp) / denom, -1.0, 1.0))


def _multiclass_acc(y_true, y_pred, bound):
    t, p = _check_scores(y_true, y_pred)
    t = np.round(np.clip(t, -bound, bound))
    p = np.round(np.clip(p, -bound, bound))
    return float(np.mean(p == t))


def acc7(y_true, y_pred):
    """Seven-class accuracy: clip to [-3, 3], round half to even, compare.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Fraction of samples whose rounded scores agree, in [0, 1].

    Examples
    --------
    >>> from mmsense.metrics import acc7
    >>> acc7([2.5, -3.0, 0.4], [1.6, -7.0, -0.4])
    1.0
    """
    return _multiclass_acc(y_true, y_pred, 3.0)


def acc5(y_true, y_pred):
    """Five-class accuracy: clip to [-2, 2], round half to even, compare.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Fraction of samples whose rounded scores agree, in [0, 1].

    Examples
    --------
    >>> from mmsense.metrics import acc5
    >>> acc5([3.0, -2.6], [2.2, -1.4])
    0.5
    """
    return _multiclass_acc(y_true, y_pred, 2.0)


def acc3(y_true, y_pred):
    """Three-class accuracy: clip to [-1, 1], round half to even, compare.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Fraction of samples whose rounded scores agree, in [0, 1].

    Examples
    --------
    >>> from mmsense.metrics import acc3
    >>> acc3([0.5, 3.0], [0.0, 0.6])
    1.0
    """
    return _multiclass_acc(y_true, y_pred, 1.0)


def acc2_has0(y_true, y_pred):
    """Binary accuracy counting zero as positive: ``p >= 0`` vs ``t >= 0``, all samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Fraction of samples on the same side of zero, in [0, 1].

    Examples
    --------
    >>> from mmsense.metrics import acc2_has0
    >>> acc2_has0([0.0, -1.0], [0.0, 1.0])
    0.5
    """
    t, p = _check_scores(y_true, y_pred)
    return float(np.mean((p >= 0) == (t >= 0)))


def f1_has0(y_true, y_pred):
    """Weighted F1 of ``p >= 0`` vs ``t >= 0`` over all samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Weighted F1 score, in [0, 1].

    Examples
    --------
    >>> from mmsense.metrics import f1_has0
    >>> f1_has0([0.0, -1.0], [0.5, -2.0])
    1.0
    """
    t, p = _check_scores(y_true, y_pred)
    return float(f1_score(t >= 0, p >= 0, average="weighted"))


def _non_zero(y_true, y_pred, metric):
    """Binarise with ``> 0`` after dropping ``t == 0``; nan + warning when nothing is left."""
    t, p = _check_scores(y_true, y_pred)
    keep = t != 0
    if not keep.any():
        warnings.warn(
            f"every y_true is 0; {metric} is undefined (it drops zero labels), returning nan.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return None, None
    return t[keep] > 0, p[keep] > 0


def acc2_non0(y_true, y_pred):
    """Binary accuracy without zero labels: drop ``t == 0``, compare ``p > 0`` vs ``t > 0``.

    Returns nan with an :class:`~sklearn.exceptions.UndefinedMetricWarning`
    when every true score is 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Accuracy over the samples with a non-zero label, in [0, 1], or nan.

    Examples
    --------
    >>> from mmsense.metrics import acc2_non0
    >>> acc2_non0([0.0, -1.0, 2.0], [1.0, 0.0, 1.0])
    1.0
    """
    t, p = _non_zero(y_true, y_pred, "acc2_non0")
    return float("nan") if t is None else float(np.mean(p == t))


def f1_non0(y_true, y_pred):
    """Weighted F1 without zero labels: drop ``t == 0``, ``p > 0`` vs ``t > 0``.

    Returns nan with an :class:`~sklearn.exceptions.UndefinedMetricWarning`
    when every true score is 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    float
        Weighted F1 over the samples with a non-zero label, in [0, 1], or nan.

    Examples
    --------
    >>> from mmsense.metrics import f1_non0
    >>> f1_non0([0.0, -1.0, 2.0], [1.0, -0.5, 0.3])
    1.0
    """
    t, p = _non_zero(y_true, y_pred, "f1_non0")
    return float("nan") if t is None else float(f1_score(t, p, average="weighted"))


_METRICS = {
    "mae": mae,
    "corr": pearson_corr,
    "acc7": acc7,
    "acc5": acc5,
    "acc3": acc3,
    "acc2_has0": acc2_has0,
    "f1_has0": f1_has0,
    "acc2_non0": acc2_non0,
    "f1_non0": f1_non0,
}

# scorer name -> (metric, greater_is_better); MAE is negated as sklearn's neg_mean_absolute_error
_SCORERS = {("neg_mae" if k == "mae" else k): (f, k != "mae") for k, f in _METRICS.items()}


def msa_report(y_true, y_pred):
    """All MSA metrics of one prediction, as a dict of plain floats.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True sentiment scores.
    y_pred : array-like of shape (n_samples,)
        Predicted sentiment scores.

    Returns
    -------
    report : dict
        Keys, in this order: ``mae, corr, acc7, acc5, acc3, acc2_has0, f1_has0,
        acc2_non0, f1_non0``. ``pandas.DataFrame([report])`` makes a table row.

    See Also
    --------
    msa_scorers : The same metrics as scikit-learn scorers.

    References
    ----------
    .. [1] W. Yu et al., "CH-SIMS: A Chinese Multimodal Sentiment Analysis Dataset
       with Fine-grained Annotations of Modality", ACL 2020 (thuiar/MMSA metricsTop.py).
    .. [2] Y.-H. H. Tsai et al., "Multimodal Transformer for Unaligned Multimodal
       Language Sequences", ACL 2019 (MulT eval_metrics.py).

    Examples
    --------
    >>> from mmsense.metrics import msa_report
    >>> report = msa_report([-1.0, 0.0, 2.0, 1.4], [-0.6, 0.2, 1.5, -0.2])
    >>> list(report)[:3]
    ['mae', 'corr', 'acc7']
    >>> report["mae"], report["acc2_non0"]
    (0.675, 0.6666666666666666)
    """
    _check_scores(y_true, y_pred)
    return {name: metric(y_true, y_pred) for name, metric in _METRICS.items()}


def get_msa_scorer(name):
    """The scikit-learn scorer of one MSA metric.

    Parameters
    ----------
    name : str
        One of ``neg_mae, corr, acc7, acc5, acc3, acc2_has0, f1_has0, acc2_non0,
        f1_non0``. ``neg_mae`` is minus the MAE, so that greater is better.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` as made by :func:`sklearn.metrics.make_scorer`.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from mmsense.metrics import get_msa_scorer
    >>> X, y = [[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]
    >>> round(get_msa_scorer("neg_mae")(LinearRegression().fit(X, y), X, y), 6)
    -0.0
    """
    if not isinstance(name, str) or name not in _SCORERS:
        raise ValueError(f"Unknown MSA scorer name {name!r}; valid names are {sorted(_SCORERS)}.")
    metric, greater_is_better = _SCORERS[name]
    return make_scorer(metric, greater_is_better=greater_is_better)


def msa_scorers(names=None):
    """A dict of MSA scorers for ``GridSearchCV(scoring=...)`` or ``cross_validate``.

    Parameters
    ----------
    names : iterable of str, default=None
        Scorer names (see :func:`get_msa_scorer`); None means all nine.

    Returns
    -------
    scorers : dict
        Name -> scorer, in the order given (default: ``neg_mae, corr, acc7, acc5,
        acc3, acc2_has0, f1_has0, acc2_non0, f1_non0``).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from mmsense.metrics import msa_scorers
    >>> search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, scoring=msa_scorers(),
    ...                       refit="neg_mae")
    """
    if names is None:
        names = list(_SCORERS)
    elif isinstance(names, str):
        raise ValueError(
            f"names must be an iterable of scorer names, not the string {names!r}; "
            f"use get_msa_scorer({names!r}) for one scorer."
        )
    return {name: get_msa_scorer(name) for name in names}
