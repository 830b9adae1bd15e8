"""MMRest's metric pieces: sentiment bins, metric distances, the MMC losses, PSD projection
and the projection bias of PDLF.

Every function is plain torch (or numpy for the bin vote) on whatever device its
inputs live on, so each can be checked against a direct numpy computation.

Notation: ``points`` are shared-space representations ``(m, d)``, ``centers``
the cluster centers ``(k, d)``, ``metrics`` the per-cluster metrics
``M_i = M0 + dM_i + beta * I`` stacked ``(k, d, d)``, and
``d_M(a, b) = (a - b)^T M (a - b)``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# The paper cuts the label range into 7 sentiment intervals (MOSI/MOSEI's 7 classes).
N_SENTIMENT_BINS = 7


def sentiment_bins(y, label_range, n_bins=N_SENTIMENT_BINS):
    """Index of the equal-width bin of ``label_range`` holding each label, 0 .. n_bins-1.

    Works on numpy arrays and torch tensors; the upper end of the range falls in
    the last bin.
    """
    low, high = label_range
    scaled = (y - low) * (n_bins / (high - low))
    if isinstance(y, torch.Tensor):
        return scaled.floor().long().clamp(0, n_bins - 1)
    return np.clip(np.floor(scaled).astype(np.int64), 0, n_bins - 1)


def vote_bins(points, point_bins, centers, receptive_field):
    """Sentiment bin of each cluster: the majority bin among its receptive field.

    The receptive field of center ``C_i`` is its ``receptive_field`` nearest points
    (Euclidean, the distance k-means clusters by). A tie goes to the tied bin
    closest to the field's mean bin, then to the lower one.

    Parameters
    ----------
    points : ndarray of shape (m, d)
    point_bins : ndarray of int of shape (m,)
    centers : ndarray of shape (k, d)
    receptive_field : int

    Returns
    -------
    ndarray of int64 of shape (k,)
    """
    size = min(int(receptive_field), len(points))
    # expanded form: no (k, m, d) intermediate on large training sets
    sq_dist = (centers**2).sum(1)[:, None] - 2 * centers @ points.T + (points**2).sum(1)[None, :]
    field = np.argpartition(sq_dist, size - 1, axis=1)[:, :size]
    bins = np.empty(len(centers), dtype=np.int64)
    for i, members in enumerate(field):
        counts = np.bincount(point_bins[members], minlength=N_SENTIMENT_BINS)
        tied = np.flatnonzero(counts == counts.max())
        mean_bin = point_bins[members].mean()
        bins[i] = tied[np.argmin(np.abs(tied - mean_bin))]
    return bins


def quadratic_forms(a, metrics, b):
    """``a^T M b`` along the last axis, with matmul's broadcasting: ``(a @ M * b).sum(-1)``.

    ``metrics`` is one ``(d, d)`` matrix, or a stack ``(k, d, d)`` against ``a`` and ``b``
    of shape ``(k, p, d)``. The same value as ``einsum("kpd,kde,kpe->kp")``, several times
    faster on the CPU, where einsum runs the last contraction as one 1 x d by d x 1 matrix
    product per entry.
    """
    return ((a @ metrics) * b).sum(-1)


def metric_distances(points, centers, metrics):
    """``d_Mj(x_n, C_j)`` for every point and cluster, ``(m, k)``."""
    diff = points[:, None, :] - centers[None, :, :]
    per_cluster = diff.transpose(0, 1)  # (k, m, d)
    return quadratic_forms(per_cluster, metrics, per_cluster).t()


def receptive_fields(points, centers, receptive_field):
    """Indices ``(k, size)`` of each center's nearest points (Euclidean), size <= m."""
    size = min(int(receptive_field), points.shape[0])
    with torch.no_grad():
        return torch.cdist(centers, points).topk(size, dim=1, largest=False).indices


def _pair_indices(size, n_clusters, max_pairs, rng, device):
    """Pairs ``(a, b)`` of positions in each receptive field, ``(k, P)`` each.

    All ``size * (size - 1) / 2`` pairs, or a seeded subsample of ``max_pairs``
    per cluster when there are more.
    """
    first, second = torch.triu_indices(size, size, offset=1)
    n_pairs = first.numel()
    if max_pairs is not None and n_pairs > max_pairs:
        pick = np.argsort(rng.random_sample((n_clusters, n_pairs)), axis=1)[:, :max_pairs]
        pick = torch.as_tensor(pick)
        first, second = first[pick], second[pick]
    else:
        first = first.expand(n_clusters, -1)
        second = second.expand(n_clusters, -1)
    return first.to(device), second.to(device)


def intra_cluster_loss(points, point_bins, centers, metrics, receptive_field, margin,
                       max_pairs=None, rng=None):
    """MMC's intra-cluster loss, summed over clusters.

    For cluster ``i`` with receptive field ``R_i`` (its nearest points)::

        max(0, sum_{same-bin pairs in R_i} d_Mi - sum_{different-bin pairs in R_i} d_Mi + margin)

    Parameters
    ----------
    points : tensor of shape (m, d)
    point_bins : int tensor of shape (m,)
    centers : tensor of shape (k, d)
    metrics : tensor of shape (k, d, d)
    receptive_field : int
    margin : float
        The paper's xi.
    max_pairs : int, optional
        Cap on pairs per cluster; a seeded subsample (``rng``) is used above it.
    rng : numpy RandomState, optional
        Needed only when the cap applies.
    """
    field = receptive_fields(points, centers, receptive_field)
    size = field.shape[1]
    if size < 2:
        return points.new_zeros(())
    first, second = _pair_indices(size, centers.shape[0], max_pairs, rng, points.device)
    index_a, index_b = field.gather(1, first), field.gather(1, second)
    diff = points[index_a] - points[index_b]
    dist = quadratic_forms(diff, metrics, diff)
    same = (point_bins[index_a] == point_bins[index_b]).to(dist.dtype)
    per_cluster = F.relu((dist * same).sum(1) - (dist * (1 - same)).sum(1) + margin)
    return per_cluster.sum()


def inter_cluster_loss(points, centers, metrics, alpha):
    """MMC's inter-cluster loss.

    Each point ``x_n`` is assigned to its nearest center ``i`` (Euclidean, as in
    k-means); then ``sum_n sum_{j != i} max(0, d_Mi(x_n, C_i) - d_Mj(x_n, C_j) + rho_ij)``
    with ``rho_ij = alpha * ||C_j - C_i||^2``.
    """
    with torch.no_grad():
        assign = torch.cdist(points, centers).argmin(1)
        rho = alpha * torch.cdist(centers, centers) ** 2
    dist = metric_distances(points, centers, metrics)
    own = dist.gather(1, assign[:, None])
    hinge = F.relu(own - dist + rho[assign])
    others = 1 - F.one_hot(assign, centers.shape[0]).to(hinge.dtype)
    return (hinge * others).sum()


def project_psd(matrices):
    """Nearest PSD matrices: symmetrise, eigendecompose, clip negative eigenvalues to 0.

    Accepts one ``(d, d)`` matrix or a stack ``(..., d, d)``. A matrix whose
    symmetric part is already PSD comes back as that symmetric part, exactly.
    """
    sym = (matrices + matrices.transpose(-1, -2)) / 2
    eigvals, eigvecs = torch.linalg.eigh(sym)
    clipped = (eigvecs * eigvals.clamp_min(0).unsqueeze(-2)) @ eigvecs.transpose(-1, -2)
    already_psd = (eigvals >= 0).all(-1)[..., None, None]
    return torch.where(already_psd, sym, clipped)


def projection_bias(shared, centers, metrics, metric0, bins=None, eps=1e-12, present=None):
    """PDLF's projection bias, averaged over the modality blocks a sample has.

    For each sample and modality block ``f``: ``near`` and ``second`` are the
    nearest and second-nearest centers under the learned metrics ``M_j``;
    ``u = f - C_near``, ``v = C_second - C_near`` and the block's bias is the
    M0-projection of ``u`` on ``v``: ``u^T M0 v / sqrt(v^T M0 v)``.

    With ``bins`` (the clusters' sentiment bins) the bias is multiplied by
    ``sign(bin_second - bin_near)``: positive when ``f`` leans towards a more
    positive neighbour cluster, negative towards a more negative one, zero when
    both clusters share a bin (the sentiment-signed variant).

    With ``present``, a sample's bias is the mean over its present blocks only
    (0 for a sample with none), and a missing block has no nearest or
    second-nearest cluster (-1): its point is not a real point.

    Parameters
    ----------
    shared : tensor of shape (n, n_modalities, d)
    centers : tensor of shape (k, d)
    metrics : tensor of shape (k, d, d)
    metric0 : tensor of shape (d, d)
    bins : int tensor of shape (k,), optional
    eps : float
        Floor of ``v^T M0 v`` under the square root.
    present : bool tensor of shape (n, n_modalities), optional
        Which blocks exist; None: all of them.

    Returns
    -------
    bias : tensor of shape (n,)
    nearest, second : int tensors of shape (n, n_modalities)
        ``second`` is -1 with a single cluster, whose bias is then 0 (no neighbour);
        both are -1 for a missing block.
    """
    n, n_modalities, d = shared.shape
    if centers.shape[0] == 1:
        nearest = torch.zeros(n, n_modalities, dtype=torch.long, device=shared.device)
        if present is not None:
            nearest = torch.where(present, nearest, -1)
        return shared.new_zeros(n), nearest, torch.full_like(nearest, -1)
    dist = metric_distances(shared.reshape(-1, d), centers, metrics)
    order = dist.topk(2, dim=1, largest=False).indices.view(n, n_modalities, 2)
    nearest, second = order[..., 0], order[..., 1]
    u = shared - centers[nearest]
    v = centers[second] - centers[nearest]
    numerator = quadratic_forms(u, metric0, v)
    length = quadratic_forms(v, metric0, v).clamp_min(eps).sqrt()
    block_bias = numerator / length
    if bins is not None:
        block_bias = block_bias * torch.sign(bins[second] - bins[nearest]).to(block_bias.dtype)
    if present is None:
        return block_bias.mean(1), nearest, second
    total = torch.where(present, block_bias, torch.zeros_like(block_bias)).sum(1)
    bias = total / present.sum(1).clamp(min=1).to(total.dtype)
    return bias, torch.where(present, nearest, -1), torch.where(present, second, -1)
