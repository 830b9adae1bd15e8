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
"""

from __future__ import annotations

import numpy as np

RESOLUTIONS = ("euclidean", "median_scaled", "ratio")


def nearest_two(class_distances: np.ndarray):
    """Nearest and second-nearest class distance of each row."""
    part = np.partition(class_distances, 1, axis=1)
    return part[:, 0], part[:, 1]


def median_scale(class_distances: np.ndarray, rows: np.ndarray) -> float:
    """Median nearest-centroid distance over ``rows``; 1.0 when it is 0 or there are none."""
    nearest = class_distances[rows].min(axis=1)
    scale = float(np.median(nearest)) if nearest.size else 0.0
    return scale if scale > 0 else 1.0


def modality_scores(class_distances: np.ndarray, rule: str, scale: float = 1.0) -> np.ndarray:
    """Score of each row's proposed label under ``rule``; lower is more trusted."""
    d1, d2 = nearest_two(class_distances)
    if rule == "euclidean":
        return d1
    if rule == "median_scaled":
        return d1 / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d1 / d2
    # d1 == d2 == 0 (a row on centroids of two classes) or d2 == inf (the modality
    # has centroids of one class only): as unsure as can be
    return np.where(np.isfinite(d2) & (d2 > 0), ratio, 1.0)


def resolve(labels: np.ndarray, scores: np.ndarray, *, majority_vote: bool = True):
    """Pick one label per row.

    Parameters
    ----------
    labels : ndarray of int, shape (n_modalities, n_samples)
    scores : ndarray of float, shape (n_modalities, n_samples)
        Lower is more trusted. Ties go to the earlier modality.
    majority_vote : bool
        Restrict the choice to modalities proposing the most frequent label(s).

    Returns
    -------
    resolved : ndarray of int, shape (n_samples,)
    source : ndarray of int, shape (n_samples,)
        Index of the modality that supplied each label.
    """
    candidates = scores.astype(np.float64, copy=True)
    if majority_vote and labels.shape[0] > 2:
        support = (labels[:, None, :] == labels[None, :, :]).sum(axis=1)
        candidates[support < support.max(axis=0, keepdims=True)] = np.inf
    source = np.argmin(candidates, axis=0)
    resolved = labels[source, np.arange(labels.shape[1])]
    return resolved, source
