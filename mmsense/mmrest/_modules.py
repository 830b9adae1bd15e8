"""MMRest's torch network: encoders into the shared space, the metrics, and PDLF."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._contract import modality_present
from ..nn import ModalityEncoders
from ._losses import project_psd, projection_bias


class DecisionFusion(nn.Module):
    """PDLF's decision branch: per-modality 1x1 Conv1D to ``decision_dim``, concatenation,
    a 1x1 Conv1D over the concatenation, then an MLP to one score.

    Each modality's shared vector is a length-1 sequence of ``hidden_dim`` channels.
    A modality missing from a row contributes nothing: its block is zeroed after
    its conv.
    """

    def __init__(self, n_modalities, hidden_dim, decision_dim, dropout=0.0):
        super().__init__()
        self.modality_convs = nn.ModuleList(
            nn.Conv1d(hidden_dim, decision_dim, kernel_size=1) for _ in range(n_modalities)
        )
        self.fusion_conv = nn.Conv1d(n_modalities * decision_dim, decision_dim, kernel_size=1)
        self.mlp = nn.Sequential(
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(decision_dim, decision_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(decision_dim, 1),
        )
        self.activation = nn.ReLU()

    def forward(self, shared, present):
        # A missing modality's block is zeroed, not made up for by rescaling the others:
        # the fusion conv weighs each modality's channels with its own weights (it is not
        # an average), so no fixed factor such as n_modalities / n_present turns a partial
        # row into a full one; it would only amplify whichever modality is left. The fusion
        # learns how to score partial rows from the training rows that have them.
        weights = present.to(shared.dtype)
        blocks = [
            self.activation(_pointwise(conv, shared[:, m])) * weights[:, m, None]
            for m, conv in enumerate(self.modality_convs)
        ]
        fused = _pointwise(self.fusion_conv, torch.cat(blocks, dim=1))
        return self.mlp(fused).squeeze(-1)


def _pointwise(conv, values):
    """A 1x1 ``Conv1d`` applied to length-1 sequences ``(n, channels)``, as the matrix
    product it is (the convolution kernel took ~25x longer on these shapes on the CPU)."""
    return F.linear(values, conv.weight[..., 0], conv.bias)


class MMRestModule(nn.Module):
    """Encoders to the shared ``hidden_dim`` space, the global and local metrics, PDLF.

    ``forward(**inputs)`` returns ``(y, decision, bias, shared, present)``: the
    prediction ``decision + gamma * bias``, the decision score ``y'``, the
    projection bias (zeros when ``projection_bias=False``), the shared-space
    points ``(n, n_modalities, hidden_dim)`` and which of them exist
    (``(n, n_modalities)`` bool: a missing modality's point is the encoder's
    output for a zero input, which the fusion, the bias and the net's
    clustering and losses leave out).

    The cluster centers and their sentiment bins are buffers set by the net once
    per epoch (see ``_clusters.py``); they travel with ``state_dict`` so early
    stopping restores centers that match the restored weights.
    """

    def __init__(self, specs, hidden_dim=64, decision_dim=50, n_clusters=7, beta=0.01,
                 gamma=0.05, projection_bias=True, signed_bias=False, single_metric=False,
                 dropout=0.0, lstm_hidden_dim=None):
        super().__init__()
        self.names = [spec.name for spec in specs]
        self.encoders = ModalityEncoders(specs, out_dim=hidden_dim,
                                         hidden_size=lstm_hidden_dim or hidden_dim)
        self.decision = DecisionFusion(len(self.names), hidden_dim, decision_dim, dropout)
        self.beta = beta
        self.gamma = gamma
        self.projection_bias = projection_bias
        self.signed_bias = signed_bias
        self.single_metric = single_metric
        # M0 starts as the identity and each dM_i at zero, so training starts Euclidean;
        # with single_metric both stay fixed (every M_i = (1 + beta) I).
        self.metric = nn.Parameter(torch.eye(hidden_dim), requires_grad=not single_metric)
        self.local_metrics = nn.Parameter(
            torch.zeros(n_clusters, hidden_dim, hidden_dim), requires_grad=not single_metric
        )
        self.register_buffer("centers", torch.zeros(n_clusters, hidden_dim))
        self.register_buffer("bins", torch.zeros(n_clusters, dtype=torch.long))

    def cluster_metrics(self):
        """``M_i = M0 + dM_i + beta * I`` for every cluster, ``(k, d, d)``."""
        eye = torch.eye(self.metric.shape[0], device=self.metric.device, dtype=self.metric.dtype)
        return self.metric[None] + self.local_metrics + self.beta * eye

    def embed(self, **inputs):
        """Shared-space points, ``(n, n_modalities, hidden_dim)``."""
        encoded = self.encoders(inputs)
        return torch.stack([encoded[name] for name in self.names], dim=1)

    def presence(self, **inputs):
        """Which rows have each modality, ``(n, n_modalities)`` bool."""
        return torch.stack([modality_present(inputs, spec) for spec in self.encoders.specs],
                           dim=1)

    def assign(self, shared, present):
        """Projection bias and nearest / second-nearest clusters under the learned metrics."""
        bins = self.bins if self.signed_bias else None
        return projection_bias(shared, self.centers, self.cluster_metrics(), self.metric, bins,
                               present=present)

    def explain(self, **inputs):
        """``(decision, bias, nearest, second, shared, present)`` of a batch, for ``embed``.

        The bias is computed even with ``projection_bias=False``.
        """
        shared, present = self.embed(**inputs), self.presence(**inputs)
        bias, nearest, second = self.assign(shared, present)
        return self.decision(shared, present), bias, nearest, second, shared, present

    @torch.no_grad()
    def project_metrics_(self):
        """Keep M0 and every dM_i positive semi-definite (after each optimiser step)."""
        self.metric.copy_(project_psd(self.metric))
        self.local_metrics.copy_(project_psd(self.local_metrics))

    def forward(self, **inputs):
        shared, present = self.embed(**inputs), self.presence(**inputs)
        decision = self.decision(shared, present)
        if self.projection_bias:
            bias = self.assign(shared, present)[0]
        else:
            bias = torch.zeros_like(decision)
        return decision + self.gamma * bias, decision, bias, shared, present
