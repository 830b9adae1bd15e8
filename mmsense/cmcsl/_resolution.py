"""Cross-modal resolution: one label per row from the modalities' propagated labels.

Each modality proposes the label of its nearest centroid together with a
*score*, lower meaning more trustworthy. Where the modalities disagree:

* with ``majority_vote=True`` (only matters for three or more modalities), the
  label proposed by most modalities wins; a tie is broken by the best score
  among the modalities proposing the tied labels;
* otherwise the modality with the best score supplies the label.

Scores, per rule:

* ``"euclidean"`` (the authors' code): the raw distance to the nearest
  centroid. Not comparable across modalities of different dimension or scale.
* ``"median_scaled"``: that distance divided by the modality's median
  nearest-centroid distance over the unlabeled training rows, so each
  modality's typical distance is 1.
* ``"ratio"``: nearest distance / distance to the nearest centroid of another
  class, in [0, 1]: 0 is a row on a centroid, 1 a row equidistant from two
  classes. Scale-free row by row.
* ``"reliability"``: the ratio times the modality's estimated error rate, the
  leave-one-out nearest-labeled-row error on the labeled rows (smoothed as
  ``(errors + 1) / (n + 2)``). A modality that classifies its own labeled rows
  twice as well wins a disagreement unless it is more than twice as unsure of
  the row. It needs two labeled rows of every class (with one, a left-out row
  has no row of its class left).
* ``"auto"``: ``"reliability"`` when every class has two labeled rows, else
  ``"ratio"``.
"""

from __future__ import annotations

import numpy as np

RESOLUTIONS = ("euclidean", "median_scaled", "ratio", "reliability", "auto")


def choose_rule(rule: str, labeled_codes: np.ndarray) -> str:
    """The rule ``"auto"`` stands for: reliability with two labeled rows per class."""
    if rule != "auto":
        return rule
    counts = np.bincount(labeled_codes)
    counts = counts[counts > 0]
    return "reliability" if len(counts) and counts.min() >= 2 else "ratio"


def loo_error(values: np.ndarray, codes: np.ndarray) -> float:
    """Smoothed leave-one-out error of the nearest labeled row, ``(errors + 1) / (n + 2)``.

    ``values`` are one modality's labeled rows, ``codes`` their classes.
    """
    values = np.asarray(values, dtype=np.float64)
    sq = (values**2).sum(axis=1)
    dist = sq[:, None] + sq[None, :] - 2.0 * values @ values.T
    np.fill_diagonal(dist, np.inf)
    errors = int((codes[dist.argmin(axis=1)] != codes).sum()) if len(codes) > 1 else 0
    return (errors + 1.0) / (len(codes) + 2.0)


def nearest_two(class_distances: np.ndarray):
    """Nearest and second-nearest class distance of each row (inf where there is none).

    Column by column: numpy's reductions and partitions along a row of a few
    classes call their inner loop once per row, 5x slower here than three
    element-wise passes per class.
    """
    dtype = np.result_type(class_distances.dtype, np.float32)  # inf needs a float
    nearest = np.full(class_distances.shape[0], np.inf, dtype=dtype)
    second = nearest.copy()
    for column in class_distances.T:
        np.minimum(second, np.maximum(nearest, column), out=second)
        np.minimum(nearest, column, out=nearest)
    return nearest, second


def median_scale(class_distances: np.ndarray, rows: np.ndarray) -> float:
    """Median nearest-centroid distance over ``rows``; 1.0 when it is 0 or there are none."""
    nearest = nearest_two(class_distances)[0][rows]
    scale = float(np.median(nearest)) if nearest.size else 0.0
    return scale if scale > 0 else 1.0


def modality_scores(class_distances: np.ndarray, rule: str, scale: float = 1.0,
                    error: float = 1.0) -> np.ndarray:
    """Score of each row's proposed label under ``rule``; lower is more trusted.

    ``error`` is the modality's :func:`loo_error` (used by ``"reliability"``).
    """
    d1, d2 = nearest_two(class_distances)
    if rule == "euclidean":
        return d1
    if rule == "median_scaled":
        return d1 / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d1 / d2
    # d1 == d2 == 0 (a row on centroids of two classes) or d2 == inf (the modality
    # has centroids of one class only): as unsure as can be
    ratio = np.where(np.isfinite(d2) & (d2 > 0), ratio, 1.0)
    return ratio * error if rule == "reliability" else ratio


def resolve(labels: np.ndarray, scores: np.ndarray, *, majority_vote: bool = True):
    """Pick one label per row.

    Parameters
    ----------
    labels : ndarray of int, shape (n_modalities, n_samples)
        ``-1`` where a modality proposes nothing (it is missing from the row):
        such a modality neither votes nor supplies the label.
    scores : ndarray of float, shape (n_modalities, n_samples)
        Lower is more trusted. Ties go to the earlier modality.
    majority_vote : bool
        Restrict the choice to modalities proposing the most frequent label(s).

    Returns
    -------
    resolved : ndarray of int, shape (n_samples,)
        ``-1`` on rows where no modality proposes a label.
    source : ndarray of int, shape (n_samples,)
        Index of the modality that supplied each label (``-1`` where none did).
    """
    proposed = labels >= 0
    # a proposing modality always beats a silent one, even with an infinite score
    largest = np.finfo(np.float64).max
    candidates = np.where(proposed, np.minimum(scores.astype(np.float64), largest), np.inf)
    if majority_vote and labels.shape[0] > 2:
        agree = (labels[:, None, :] == labels[None, :, :]) & proposed[None, :, :]
        support = np.where(proposed, agree.sum(axis=1), 0)
        candidates[support < support.max(axis=0, keepdims=True)] = np.inf
    source = np.argmin(candidates, axis=0)
    resolved = labels[source, np.arange(labels.shape[1])]
    nothing = ~proposed.any(axis=0)
    resolved[nothing], source[nothing] = -1, -1
    return resolved, source
