"""Stable sentiment clusters: one k-means over the whole training set per epoch.

The authors' code runs k-means on every mini-batch, so the local metric ``dM_i``
ends up attached to whatever cluster k-means happens to number ``i`` in that
batch. Here the clusters live across epochs instead: after each epoch's
training pass the shared-space points of the whole training set are
re-clustered, warm-started from the previous centers (so Lloyd's iterations
keep each center's index), and the new centers are matched to the previous ones
by the Hungarian algorithm on squared center distances. The matching only
changes the order when k-means relocated or swapped a center, which keeps
``dM_i`` with the same sentiment cluster throughout training.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

# restarts of the first (cold) k-means; warm starts need one
_COLD_START_N_INIT = 3


def match_clusters(previous, centers):
    """Reorder ``centers`` so that row ``i`` is the center closest to ``previous[i]``.

    A one-to-one assignment minimising the total squared distance
    (``scipy.optimize.linear_sum_assignment``).

    Returns
    -------
    ndarray of shape (k, d)
    """
    cost = ((previous[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    return centers[cols[np.argsort(rows)]]


def fit_centers(points, n_clusters, previous=None, random_state=None):
    """k-means centers of ``points``, in the order of ``previous`` when given.

    Parameters
    ----------
    points : ndarray of shape (m, d)
    n_clusters : int
    previous : ndarray of shape (n_clusters, d), optional
        Last epoch's centers: used as the initialisation and as the identity to keep.
    random_state : int, optional

    Returns
    -------
    ndarray of shape (n_clusters, d), float64
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < n_clusters:
        raise ValueError(
            f"n_clusters={n_clusters} needs at least {n_clusters} shared-space points to "
            f"cluster; the training split gives {len(points)}."
        )
    if previous is None:
        kmeans = KMeans(n_clusters, n_init=_COLD_START_N_INIT, random_state=random_state)
        return kmeans.fit(points).cluster_centers_
    previous = np.asarray(previous, dtype=np.float64)
    kmeans = KMeans(n_clusters, init=previous, n_init=1, random_state=random_state)
    return match_clusters(previous, kmeans.fit(points).cluster_centers_)
