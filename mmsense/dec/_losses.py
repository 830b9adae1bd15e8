"""The DEC losses: Student-t soft assignment, sharpened target, KL, disentanglement.

All functions take and return torch tensors; they are small enough to be
checked against direct numpy formulas (see ``tests/test_dec_losses.py``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def log_soft_assignment(z: torch.Tensor, centers: torch.Tensor, dof: float = 1.0) -> torch.Tensor:
    """Log of DEC's Student-t soft assignment, ``(n, k)``.

    ``q_ij ∝ (1 + ||z_i - mu_j||^2 / a) ** (-(a + 1) / 2)``, normalised over ``j``.
    Computed in log space so that far-away points give a finite ``log q``
    (the KL and cross-entropy terms need it).
    """
    dist2 = (z[:, None, :] - centers[None, :, :]).pow(2).sum(-1)
    logits = -(dof + 1.0) / 2.0 * torch.log1p(dist2 / dof)
    return logits - torch.logsumexp(logits, dim=1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target ``p_ij ∝ q_ij^2 / f_j`` with ``f_j = sum_i q_ij``, detached.

    ``q`` must be the soft assignment of the whole training set: the cluster
    frequencies ``f_j`` are dataset-level quantities.
    """
    q = q.detach()
    weight = q.pow(2) / q.sum(0, keepdim=True)
    return weight / weight.sum(1, keepdim=True)


def kl_divergence(p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """``KL(P || Q)`` summed over clusters, averaged over rows (0 log 0 = 0)."""
    return (torch.xlogy(p, p) - p * log_q).sum(1).mean()


def labeled_cross_entropy(log_q: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean ``-log q[i, y_i]`` over the rows with ``y_i != -1``; 0 when the batch has none."""
    labeled = labels >= 0
    if not bool(labeled.any()):
        return log_q.new_zeros(())
    return F.nll_loss(log_q[labeled], labels[labeled])


def disentanglement_penalty(z: torch.Tensor) -> torch.Tensor:
    """Mean squared off-diagonal entry of the batch covariance of ``z``.

    Zero when the latent dimensions are uncorrelated in the batch; zero for a
    batch of one row or a one-dimensional ``z`` (no covariance to penalise).
    """
    n, d = z.shape
    if n < 2 or d < 2:
        return z.new_zeros(())
    centerd = z - z.mean(0, keepdim=True)
    cov = centerd.T @ centerd / (n - 1)
    off_diagonal = cov - torch.diag(torch.diagonal(cov))
    return off_diagonal.pow(2).sum() / (d * (d - 1))


def reconstruction_loss(reconstructed: dict, targets: dict, present: dict | None = None
                        ) -> torch.Tensor:
    """Mean over modalities of each modality's mean squared error.

    Averaging per modality keeps a wide modality from drowning a narrow one.
    With ``present`` (boolean masks by modality name), a modality's error is
    taken over its present rows only, and a modality missing from every row
    of the batch is left out of the mean (0 when every modality is).
    """
    losses = []
    for name, target in targets.items():
        rows = None if present is None else present[name].bool()
        if rows is None or bool(rows.all()):
            losses.append(F.mse_loss(reconstructed[name], target))
        elif bool(rows.any()):
            losses.append(F.mse_loss(reconstructed[name][rows], target[rows]))
    if not losses:
        return next(iter(targets.values())).new_zeros(())
    return torch.stack(losses).mean()


def assignment_change(previous, current) -> float:
    """Fraction of rows whose hard cluster assignment changed."""
    return float((previous != current).sum()) / len(current)


class AutoencoderLoss(nn.Module):
    """Phase-1 criterion: ``reconstruction_weight * recon + disentanglement_weight * disent``.

    Used as a skorch criterion; the autoencoder's forward returns
    ``(z, reconstructed, targets, present)`` and needs no ``y``.
    """

    def __init__(self, reconstruction_weight: float = 1.0, disentanglement_weight: float = 0.1):
        super().__init__()
        self.reconstruction_weight = reconstruction_weight
        self.disentanglement_weight = disentanglement_weight

    def forward(self, y_pred, y_true=None):
        z, reconstructed, targets, present = y_pred
        loss = self.reconstruction_weight * reconstruction_loss(reconstructed, targets, present)
        if self.disentanglement_weight:
            loss = loss + self.disentanglement_weight * disentanglement_penalty(z)
        return loss
