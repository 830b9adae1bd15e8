"""A reference-style MMRest training loop, for timing only: OUR re-implementation.

It re-creates, from reading the MMRest authors' public code (github.com/hurriedpi/MMRest,
``src/model.py``, ``modules/encoders.py``, ``PyMMLCNLoss.py``, ``optimizers.py``,
``solver.py``, ``data_loader.py``), the work their training loop does per batch, on
the inputs our benchmark uses (text as a 768-d vector in place of their BERT, whose
cost is not part of the comparison). No line of their code is copied; shapes and
per-batch work follow theirs:

* batches of 64 in random order, padded to the batch's longest sequence, time-major;
* audio and vision: ``nn.LSTM(in, width)`` over ``pack_padded_sequence(...,
  enforce_sorted=False)``, the final hidden state, dropout 0.1, ``Linear(width, 64)``;
  text: ``Linear(768, 64)`` for the clustering space;
* decision branch: 1x1 convolutions to 50 channels per modality and over the
  concatenation (896 channels), a 1x1 convolution 200 -> 512, then
  ``512 -> 128 -> 128 -> 1`` with tanh, whose middle layer is evaluated twice;
* the projection bias from the last batch's clusters (nearest and second-nearest
  center under the per-cluster metrics), added with weight 0.05;
* the metric loss of every batch: ``KMeans(7, n_init=10, max_iter=100)`` on the 3B
  shared-space points (NumPy, on the CPU), nearest-center cells, their same-bin and
  different-bin pairs (at most 4000 each per cell), a Python loop over clusters for
  the intra-cluster term and over cluster pairs for the inter-cluster term, the
  Frobenius term of M0, divided by the number of points;
* Adam (lr 1e-4, weight decay 1e-4) with gradient-norm clipping at 1 for the network;
  for M0 and the seven dM_i a PSD-projecting Adam: after each step every matrix is
  symmetrised and eigendecomposed one at a time in float64;
* an epoch is the training pass and a validation pass (their loop also evaluates
  the test split every epoch; that pass is left out, as in our epoch).

Not reproduced: their unused layers (three 256036-wide ``Clip`` blocks and others,
which hold memory but no per-batch work), logging, checkpoints.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

N_BINS = 7
BIN_MIDPOINTS = (-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5)


class PackedLSTMEncoder(nn.Module):
    """LSTM over a packed, time-major batch; the final hidden state, dropout, Linear."""

    def __init__(self, in_features, width, out_dim=64, dropout=0.1):
        super().__init__()
        self.lstm = nn.LSTM(in_features, width)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(width, out_dim)

    def forward(self, values, lengths):
        packed = pack_padded_sequence(values, lengths.clamp(min=1), enforce_sorted=False)
        _, (hidden, _) = self.lstm(packed)
        return self.linear(self.dropout(hidden[-1]))


def conv_block(in_channels, out_channels=50):
    return nn.Sequential(nn.Conv1d(in_channels, out_channels, 1), nn.ReLU())


class ReferenceNet(nn.Module):
    """Encoders, the decision branch and the projection bias, shaped as the authors' model."""

    def __init__(self, n_text, audio_features, vision_features, width=64, dim=64):
        super().__init__()
        self.audio = PackedLSTMEncoder(audio_features, width, dim)
        self.vision = PackedLSTMEncoder(vision_features, width, dim)
        self.text = nn.Linear(n_text, dim)
        self.text_conv, self.audio_conv, self.vision_conv = (
            conv_block(n_text), conv_block(dim), conv_block(dim))
        self.joint_conv = conv_block(n_text + 2 * dim)
        self.to_512 = nn.Conv1d(200, 512, 1)
        self.head = nn.ModuleList([nn.Linear(512, 128), nn.Linear(128, 128), nn.Linear(128, 1)])
        self.dropout = nn.Dropout(0.1)

    def decision(self, text, audio, vision):
        parts = [self.text_conv(text[..., None]), self.vision_conv(vision[..., None]),
                 self.audio_conv(audio[..., None]),
                 self.joint_conv(torch.cat([text, audio, vision], 1)[..., None])]
        fused = self.to_512(torch.cat(parts, 1)).squeeze(-1)
        first, middle, last = self.head
        hidden = torch.tanh(first(self.dropout(fused)))
        middle(hidden)  # the authors' head evaluates this layer twice
        return last(torch.tanh(middle(hidden))).squeeze(-1)

    def forward(self, batch, clusters):
        text = batch["text"]
        audio = self.audio(batch["audio"], batch["audio_lengths"])
        vision = self.vision(batch["vision"], batch["vision_lengths"])
        points = torch.cat([self.text(text), audio, vision], 0)
        prediction = self.decision(text, audio, vision)
        if clusters is not None:
            prediction = prediction + 0.05 * projection_bias(points, *clusters)
        return prediction, points


def projection_bias(points, centers, metric0, metrics):
    """Mean over the three modality blocks of u^T M0 v / |v|_M0 (near / second center)."""
    diff = points[:, None, :] - centers[None]
    dist = (torch.einsum("bkd,kde->bke", diff, metrics) * diff).sum(-1)
    near, second = dist.topk(2, largest=False).indices.unbind(1)
    u, v = points - centers[near], centers[second] - centers[near]
    num = ((u @ metric0) * v).sum(-1)
    den = ((v @ metric0) * v).sum(-1).clamp_min(1e-12).sqrt()
    return (num / den).view(3, -1).mean(0)


def label_bins(y):
    """Seven sentiment bins of scores in [-3, 3] (edges at +-0.5, +-1.5, +-2.5)."""
    return np.digitize(y, [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])


def split_pairs(members, bins, cap, seed):
    """Same-bin and different-bin pairs of a cell's members, each capped at ``cap``."""
    first, second = np.triu_indices(len(members), 1)
    pairs = np.stack([members[first], members[second]], 1)
    same = bins[pairs[:, 0]] == bins[pairs[:, 1]]
    out = []
    for chosen in (pairs[same], pairs[~same]):
        if len(chosen) > cap:
            chosen = chosen[np.random.RandomState(seed).choice(len(chosen), cap, replace=False)]
        out.append(chosen)
    return out


def pair_sum(points, pairs, metric):
    if len(pairs) == 0:
        return points.new_zeros(())
    diff = points[pairs[:, 0]] - points[pairs[:, 1]]
    return ((diff @ metric) * diff).sum()


class BatchClusterLoss(nn.Module):
    """The metric loss with a fresh k-means of every batch (the authors' per-batch work)."""

    def __init__(self, dim=64, k=7, v1=0.8, v2=1.0, xi=3.0, alpha=1.0, beta=0.01,
                 max_pairs=4000, seed=0):
        super().__init__()
        self.metric0 = nn.Parameter(torch.eye(dim))
        self.local = nn.Parameter(torch.eye(dim).repeat(k, 1, 1))
        self.k, self.v1, self.v2, self.xi, self.alpha, self.beta = k, v1, v2, xi, alpha, beta
        self.max_pairs, self.seed = max_pairs, seed
        self.clusters = None  # (centers, M0, metrics) of the last batch, for the bias

    def cells(self, points, bins):
        kmeans = KMeans(self.k, n_init=10, max_iter=100, random_state=self.seed).fit(points)
        centers = kmeans.cluster_centers_
        nearest = ((points[:, None] - centers[None]) ** 2).sum(-1).argmin(1)
        cells = [np.flatnonzero(nearest == i) for i in range(len(centers))]
        kept = [i for i, c in enumerate(cells) if len(c)]
        center_bins = [int(np.bincount(bins[cells[i]]).argmax()) for i in kept]
        return centers[kept], [cells[i] for i in kept], nearest, center_bins

    def forward(self, points, y):
        bins = label_bins(y.numpy())
        centers, cells, nearest, _ = self.cells(points.detach().numpy(), bins)
        k, eye = len(centers), torch.eye(points.shape[1])
        metrics = self.metric0[None] + self.local[:k] + self.beta * eye
        centers_t = torch.as_tensor(centers, dtype=points.dtype)
        total = points.new_zeros(())
        for i, members in enumerate(cells):
            same, different = split_pairs(members, bins, self.max_pairs, self.seed)
            total = total + F.relu(pair_sum(points, same, metrics[i])
                                   - pair_sum(points, different, metrics[i]) + self.xi)
            own = points[torch.as_tensor(nearest == i)]
            for j in range(k):
                if j != i:
                    total = total + self.v1 * self.inter(own, centers_t, metrics, i, j)
        total = total + self.v2 * (self.metric0 ** 2).sum()
        metric0 = (self.metric0 + self.metric0.t()).detach() / 2
        self.clusters = (centers_t, metric0, metrics.detach())
        return total / len(points)

    def inter(self, own, centers, metrics, i, j):
        rho = self.alpha * ((centers[i] - centers[j]) ** 2).sum()
        pos, neg = own - centers[i], own - centers[j]
        d_pos = ((pos @ metrics[i]) * pos).sum(1)
        d_neg = ((neg @ metrics[j]) * neg).sum(1)
        return F.relu(d_pos - d_neg + rho).sum()


@torch.no_grad()
def project_each_psd(matrices):
    """Symmetrise, then clip negative eigenvalues, one matrix at a time in float64."""
    for matrix in matrices.view(-1, *matrices.shape[-2:]):
        sym = ((matrix + matrix.t()) / 2).double()
        values, vectors = torch.linalg.eigh(sym)
        matrix.copy_((vectors * values.clamp(min=0)) @ vectors.t())


def collate(data, rows):
    """Tensors of ``rows``: sequences padded to the batch's longest, time-major."""
    batch = {"text": torch.as_tensor(data["text"][rows]), "y": torch.as_tensor(data["y"][rows])}
    for name in ("audio", "vision"):
        lengths = torch.as_tensor(data[f"{name}_lengths"][rows])
        longest = max(int(lengths.max()), 1)
        values = torch.as_tensor(data[name][rows, :longest])
        batch[name], batch[f"{name}_lengths"] = values.transpose(0, 1), lengths
    return batch


class ReferenceTrainer:
    """Builds the reference-style network, its metric loss and optimisers; runs epochs."""

    def __init__(self, n_text, audio_features, vision_features, width=64, batch_size=64,
                 seed=0):
        torch.manual_seed(seed)
        self.net = ReferenceNet(n_text, audio_features, vision_features, width)
        self.metric_loss = BatchClusterLoss(seed=seed)
        self.main = torch.optim.Adam(self.net.parameters(), lr=1e-4, weight_decay=1e-4)
        self.metric = torch.optim.Adam(self.metric_loss.parameters(), lr=1e-4,
                                       weight_decay=1e-4)
        self.batch_size, self.rng = batch_size, np.random.RandomState(seed)

    def train_step(self, batch):
        self.main.zero_grad()
        self.metric.zero_grad()
        prediction, points = self.net(batch, self.metric_loss.clusters)
        loss = F.l1_loss(prediction, batch["y"]) + 0.01 * self.metric_loss(
            points, batch["y"].repeat(3))
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        nn.utils.clip_grad_norm_(self.metric_loss.parameters(), 1.0)
        self.metric.step()
        self.main.step()
        project_each_psd(self.metric_loss.metric0.data)
        project_each_psd(self.metric_loss.local.data)
        return loss.item()

    def epoch(self, train, valid):
        """One training pass over ``train`` and a validation pass; returns the valid MAE."""
        self.net.train()
        order = self.rng.permutation(len(train["y"]))
        for start in range(0, len(order), self.batch_size):
            self.train_step(collate(train, order[start:start + self.batch_size]))
        self.net.eval()
        errors = []
        with torch.no_grad():
            for start in range(0, len(valid["y"]), self.batch_size):
                batch = collate(valid, np.arange(start, min(start + self.batch_size,
                                                            len(valid["y"]))))
                prediction, _ = self.net(batch, self.metric_loss.clusters)
                errors.append((prediction - batch["y"]).abs())
        return float(torch.cat(errors).mean())
