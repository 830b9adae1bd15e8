"""The skorch net behind MMRestRegressor: MMC + L1 loss, PSD projection, per-epoch clustering."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.utils import to_device, to_tensor

from torch.utils.data import DataLoader, Subset

from .._contract import modality_input
from ..nn import LengthBuckets, check_finite_loss
from ._clusters import fit_centers
from ._losses import inter_cluster_loss, intra_cluster_loss, sentiment_bins, vote_bins


@dataclass(frozen=True)
class MMCConfig:
    """The MMC loss and clustering settings the net reads (see MMRestRegressor)."""

    n_clusters: int
    receptive_field: int
    margin: float
    alpha: float
    inter_weight: float
    metric_reg: float
    eta: float
    max_pairs: int | None
    label_range: tuple
    metric_loss: bool
    single_metric: bool


class MMRestNet(NeuralNet):
    """skorch ``NeuralNet`` training an :class:`MMRestModule`.

    * loss: ``eta * L_MMC + L1`` on training batches; the validation loss is the
      L1 (MAE) of the prediction alone, the paper's selection criterion, so early
      stopping selects on validation MAE. Both parts are recorded per batch as
      ``{train,valid}_mmc`` and ``{train,valid}_l1``.
    * after every optimiser step, M0 and the dM_i are projected back to PSD;
    * before the first epoch (one forward pass over the training split) and
      after every epoch's training pass (on the shared-space points that pass
      computed, so no second forward pass) the whole training split is
      re-clustered (``_clusters.py``) and the bins re-voted; validation and the
      next epoch use these centers;
    * with ``bucket_by_length``, training batches group rows of similar
      sequence lengths (see :class:`mmsense.nn.LengthBuckets`).
    """

    def __init__(self, module, *, mmc, seed, bucket_by_length=True, **kwargs):
        super().__init__(module, **kwargs)
        self.mmc = mmc
        self.seed = seed
        self.bucket_by_length = bucket_by_length

    def initialize(self):
        super().initialize()
        # seeded subsampling of pairs in the intra-cluster loss
        self.pair_rng_ = np.random.RandomState(self.seed)
        self.n_reclusters_ = 0
        self.epoch_points_ = []
        return self

    def mmc_loss(self, shared, y_true):
        """``L_MMC = L_intra + inter_weight * L_inter + metric_reg * ||M0||_F^2`` on a batch."""
        cfg, module = self.mmc, self.module_
        points = shared.reshape(-1, shared.shape[-1])
        point_bins = sentiment_bins(y_true, cfg.label_range).repeat_interleave(shared.shape[1])
        centers, metrics = module.centers, module.cluster_metrics()
        intra = intra_cluster_loss(points, point_bins, centers, metrics, cfg.receptive_field,
                                   cfg.margin, cfg.max_pairs, self.pair_rng_)
        inter = inter_cluster_loss(points, centers, metrics, cfg.alpha)
        return intra + cfg.inter_weight * inter + cfg.metric_reg * (module.metric**2).sum()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_hat, _, _, shared = y_pred
        y_true = to_tensor(y_true, device=self.device).to(y_hat.dtype)
        l1 = F.l1_loss(y_hat, y_true)
        use_mmc = training and self.mmc.metric_loss
        with torch.set_grad_enabled(use_mmc and torch.is_grad_enabled()):
            mmc = self.mmc_loss(shared, y_true)
        prefix = "train" if training else "valid"
        self.history.record_batch(f"{prefix}_l1", l1.item())
        self.history.record_batch(f"{prefix}_mmc", mmc.item())
        return l1 + self.mmc.eta * mmc if use_mmc else l1

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        check_finite_loss(step["loss"], "MMRestRegressor", len(self.history))
        if not self.mmc.single_metric:
            self.module_.project_metrics_()
        # the epoch's shared-space points, re-clustered after the epoch (no second pass)
        shared = step["y_pred"][3].detach()
        self.epoch_points_.append((shared, to_tensor(batch[1], device=shared.device)))
        return step

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not training or iterator is None:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        if self.n_reclusters_ == 0:
            self.recluster_(*self.embed_dataset(iterator.dataset))
        self.epoch_points_ = []
        super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        shared, y = zip(*self.epoch_points_)
        self.epoch_points_ = []
        shift = self.recluster_(torch.cat(shared).double().cpu().numpy(),
                                torch.cat(y).double().cpu().numpy())
        self.history.record("centre_shift", shift)

    def get_iterator(self, dataset, training=False):
        if training and self.bucket_by_length:
            costs = self._sequence_costs(dataset)
            if costs is not None:
                return DataLoader(dataset, batch_sampler=LengthBuckets(costs, self.batch_size))
        return super().get_iterator(dataset, training)

    def _sequence_costs(self, dataset):
        """Per row, the sum over sequence modalities of (real steps / max steps); None if none."""
        rows = slice(None)
        if isinstance(dataset, Subset):
            dataset, rows = dataset.dataset, np.asarray(dataset.indices)
        inputs = getattr(dataset, "X", None)
        specs = [s for s in self.module_.encoders.specs if s.is_sequence]
        if not isinstance(inputs, dict) or not specs:
            return None
        return sum(np.asarray(modality_input(inputs, s)[1])[rows] / s.n_steps for s in specs)

    @torch.no_grad()
    def embed_dataset(self, dataset):
        """Shared-space points ``(n, n_modalities, d)`` and targets of a dataset, as numpy."""
        self.module_.eval()
        shared, targets = [], []
        for Xi, yi in self.get_iterator(dataset, training=False):
            shared.append(self.module_.embed(**to_device(Xi, self.device)).cpu())
            targets.append(torch.as_tensor(yi))
        return torch.cat(shared).double().numpy(), torch.cat(targets).double().numpy()

    def recluster_(self, shared, y):
        """k-means on the training split's shared-space points, identities kept; bin vote."""
        cfg, module = self.mmc, self.module_
        points = shared.reshape(-1, shared.shape[-1])
        point_bins = np.repeat(sentiment_bins(y, cfg.label_range), shared.shape[1])
        previous = None if self.n_reclusters_ == 0 else module.centers.double().cpu().numpy()
        centers = fit_centers(points, cfg.n_clusters, previous, random_state=self.seed)
        bins = vote_bins(points, point_bins, centers, cfg.receptive_field)
        module.centers.copy_(torch.as_tensor(centers, dtype=module.centers.dtype))
        module.bins.copy_(torch.as_tensor(bins))
        self.n_reclusters_ += 1
        # how far the centres moved (None on the first clustering), for verbose=2
        return None if previous is None else float(np.linalg.norm(centers - previous, axis=1).mean())
