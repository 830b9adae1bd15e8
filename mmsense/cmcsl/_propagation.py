"""Label propagation inside one modality, seeded by the labeled rows.

Two modes:

* ``"nearest_seed"`` (the authors' code): every labeled row is a centroid and
  each row takes the label of its nearest labeled row.
* ``"kmeans"`` (the paper's text): k-means started from the labeled rows (or
  from their class means), iterated until no assignment changes; each cluster
  then takes the majority label of the labeled rows it holds.

Distances are computed in row chunks with torch (``|x|^2 - 2 x.c + |c|^2``,
one matmul per chunk, on the GPU when asked), so memory is bounded by
``chunk_size x n_centroids`` whatever the number of rows. The result of every
mode is the same table: for each row, its Euclidean distance to the nearest
centroid of each class. Labels and every resolution rule follow from it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

CLUSTERINGS = ("nearest_seed", "kmeans")
KMEANS_INITS = ("seeds", "class_means")


@dataclass
class Propagation:
    """What propagation inside one modality produced.

    Attributes
    ----------
    class_distances : ndarray of shape (n_samples, n_classes)
        Euclidean distance from each row to the nearest centroid of each class
        (``inf`` for a class with no centroid).
    centroids : ndarray of shape (n_centroids, n_features)
    centroid_labels : ndarray of shape (n_centroids,)
        Encoded class of each centroid.
    n_iter : int
        k-means iterations run (0 for ``"nearest_seed"``).
    """

    class_distances: np.ndarray
    centroids: np.ndarray
    centroid_labels: np.ndarray
    n_iter: int = 0

    @property
    def labels(self) -> np.ndarray:
        """Encoded label of the nearest centroid for each row."""
        return self.class_distances.argmin(axis=1)


def _chunks(n: int, chunk_size: int):
    for lo in range(0, n, chunk_size):
        yield lo, min(lo + chunk_size, n)


class _PartialSqDistances:
    """``|c|^2 - 2 x.c`` for every row of a chunk and every centroid: the squared
    distances less ``|x|^2``.

    ``|x|^2`` is the same for every centroid of a row, so it is added only after
    the minimum over centroids is taken, saving a pass over the big matrix. Every
    chunk's matrix is written into one buffer: a fresh chunk-sized matrix would be
    fresh memory each time, and first touches of fresh memory are slow on virtual
    machines (the buffer cut a fit's kernel time from 1.76 to 1.42 CPU s,
    benchmarks/results/cmcsl.md).
    """

    def __init__(self, c: torch.Tensor, chunk_rows: int):
        self.c = c
        self.c_sq = _row_sq_norms(c)[None, :]
        self.buffer = torch.empty((chunk_rows, c.shape[0]), dtype=c.dtype, device=c.device)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The chunk's matrix, a view of the buffer valid until the next call."""
        out = self.buffer[: x.shape[0]]
        return torch.addmm(self.c_sq, x, self.c.T, beta=1.0, alpha=-2.0, out=out)


def _row_sq_norms(x: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(x, dim=1).square_()


def class_distances(X, centroids, centroid_labels, n_classes, *, chunk_size, device):
    """Distance from every row of ``X`` to the nearest centroid of each class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centroids : ndarray of shape (n_centroids, n_features)
    centroid_labels : ndarray of int, shape (n_centroids,)
        Values in ``[0, n_classes)``.
    n_classes : int
    chunk_size : int
        Rows of ``X`` handled at once; peak extra memory is about
        ``chunk_size * (n_centroids + n_features)`` values.
    device : str
        Torch device for the distance computation.

    Returns
    -------
    ndarray of shape (n_samples, n_classes), dtype of ``X``
    """
    out = np.full((X.shape[0], n_classes), np.inf, dtype=X.dtype)
    # centroids sorted by class, so each class is a contiguous block of columns
    order = np.argsort(centroid_labels, kind="stable")
    counts = np.bincount(np.asarray(centroid_labels)[order], minlength=n_classes)
    bounds = np.r_[0, np.cumsum(counts)]
    present = np.flatnonzero(counts)
    c = torch.as_tensor(np.asarray(centroids, dtype=X.dtype)[order], device=device)
    partial_sq_distances = _PartialSqDistances(c, min(chunk_size, X.shape[0]))
    for lo, hi in _chunks(X.shape[0], chunk_size):
        x = torch.as_tensor(X[lo:hi]).to(device)
        partial = partial_sq_distances(x)
        mins = torch.stack([partial[:, bounds[k]:bounds[k + 1]].amin(dim=1) for k in present],
                           dim=1)
        d = (mins + _row_sq_norms(x)[:, None]).clamp_min_(0.0).sqrt_()
        out[lo:hi, present] = d.cpu().numpy()
    return out


def _assign(X, c, chunk_size, device) -> np.ndarray:
    """Index of the nearest centroid for every row."""
    partial_sq_distances = _PartialSqDistances(c, min(chunk_size, X.shape[0]))
    out = np.empty(X.shape[0], dtype=np.int64)
    for lo, hi in _chunks(X.shape[0], chunk_size):
        x = torch.as_tensor(X[lo:hi]).to(device)
        out[lo:hi] = partial_sq_distances(x).argmin(dim=1).cpu().numpy()
    return out


def _update(X, assignment, c, chunk_size, device) -> torch.Tensor:
    """Mean of each cluster's rows; an empty cluster keeps its previous centroid."""
    sums = torch.zeros(c.shape, dtype=torch.float64, device=device)
    counts = torch.zeros(c.shape[0], dtype=torch.float64, device=device)
    # one float64 buffer for every chunk (fresh memory per chunk costs page faults)
    buffer = torch.empty((min(chunk_size, X.shape[0]), X.shape[1]), dtype=torch.float64,
                         device=device)
    for lo, hi in _chunks(X.shape[0], chunk_size):
        rows = buffer[: hi - lo].copy_(torch.as_tensor(X[lo:hi]))
        idx = torch.as_tensor(assignment[lo:hi], device=device)
        sums.index_add_(0, idx, rows)
        counts.index_add_(0, idx, torch.ones_like(idx, dtype=torch.float64))
    filled = counts > 0
    new = c.clone()
    new[filled] = (sums[filled] / counts[filled, None]).to(c.dtype)
    return new


def seeded_kmeans(X, init, *, max_iter, chunk_size, device):
    """Lloyd's k-means from the given initial centroids, until no assignment changes.

    Returns
    -------
    centroids : ndarray of shape (n_clusters, n_features)
    assignment : ndarray of int64, shape (n_samples,)
        Nearest final centroid of each row.
    n_iter : int
    """
    c = torch.as_tensor(np.asarray(init, dtype=X.dtype), device=device)
    assignment = _assign(X, c, chunk_size, device)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        c = _update(X, assignment, c, chunk_size, device)
        new_assignment = _assign(X, c, chunk_size, device)
        changed = not np.array_equal(new_assignment, assignment)
        assignment = new_assignment
        if not changed:
            return c.cpu().numpy(), assignment, n_iter
    warnings.warn(
        f"k-means did not converge within max_iter={max_iter} iterations; "
        "increase kmeans_max_iter.",
        ConvergenceWarning,
    )
    # one last update so the centroids are the means of the returned assignment
    c = _update(X, assignment, c, chunk_size, device)
    return c.cpu().numpy(), _assign(X, c, chunk_size, device), n_iter


def label_clusters(assignment, labeled, y_encoded, initial_labels, n_classes):
    """Label each cluster by the majority of the labeled rows it holds.

    A cluster without a labeled row keeps its initial label (its seed's class);
    a tie keeps the initial label when it is among the tied classes, else the
    smallest tied class.
    """
    n_clusters = len(initial_labels)
    votes = np.zeros((n_clusters, n_classes), dtype=np.int64)
    np.add.at(votes, (assignment[labeled], y_encoded[labeled]), 1)
    labels = np.asarray(initial_labels).copy()
    for k in np.flatnonzero(votes.sum(axis=1)):
        tied = np.flatnonzero(votes[k] == votes[k].max())
        if labels[k] not in tied:
            labels[k] = tied[0]
    return labels


def class_means(X, labeled, y_encoded, n_classes) -> np.ndarray:
    """Mean of the labeled rows of each class, ``(n_classes, n_features)``."""
    Xl = np.asarray(X[labeled], dtype=np.float64)
    yl = y_encoded[labeled]
    return np.stack([Xl[yl == k].mean(axis=0) for k in range(n_classes)]).astype(X.dtype)


def propagate(X, labeled, y_encoded, n_classes, *, clustering="nearest_seed",
              kmeans_init="seeds", max_iter=300, chunk_size=65536, device="cpu"):
    """Propagate the labeled rows' labels to every row of one modality.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labeled : ndarray of bool, shape (n_samples,)
    y_encoded : ndarray of int, shape (n_samples,)
        Encoded class of each row; read only where ``labeled``.
    n_classes : int
        Every labeled class must lie in ``[0, n_classes)``.
    clustering : {"nearest_seed", "kmeans"}
    kmeans_init : {"seeds", "class_means"}
    max_iter : int
    chunk_size : int
    device : str

    Returns
    -------
    Propagation
    """
    if clustering == "nearest_seed":
        centroids = X[labeled]
        centroid_labels = y_encoded[labeled]
        n_iter = 0
    else:
        present = np.unique(y_encoded[labeled])
        if kmeans_init == "seeds":
            init, initial_labels = X[labeled], y_encoded[labeled]
        else:
            init = class_means(X, labeled, y_encoded, n_classes)[present]
            initial_labels = present
        centroids, assignment, n_iter = seeded_kmeans(
            X, init, max_iter=max_iter, chunk_size=chunk_size, device=device
        )
        centroid_labels = label_clusters(assignment, labeled, y_encoded, initial_labels,
                                         n_classes)
    distances = class_distances(X, centroids, centroid_labels, n_classes,
                                chunk_size=chunk_size, device=device)
    return Propagation(distances, np.asarray(centroids), np.asarray(centroid_labels), n_iter)
