"""The skorch net behind MMRestRegressor: MMC + L1 loss, PSD projection, per-epoch clustering."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.utils import to_device, to_tensor

from torch.utils.data import BatchSampler, DataLoader, SequentialSampler, Subset

from ..nn import LengthBuckets, check_finite_loss, side_by_side
from ..nn._batching import sequence_costs
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
    * missing modalities (the module's ``present`` mask): their shared-space
      points are left out of the clustering, the bin vote and both cluster losses;
    * unlabeled rows (NaN targets, semi-supervised fits): their points take part
      in the clustering and the inter-cluster loss; the bin vote, the
      intra-cluster loss and the L1 loss use the labeled rows alone.
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

    def mmc_loss(self, shared, present, y_true):
        """``L_MMC = L_intra + inter_weight * L_inter + metric_reg * ||M0||_F^2`` on a batch.

        The inter-cluster loss runs over every present point, the intra-cluster
        loss over the present points of labeled rows (it needs their bins).
        """
        cfg, module = self.mmc, self.module_
        labeled = ~torch.isnan(y_true)
        bins = sentiment_bins(torch.nan_to_num(y_true), cfg.label_range)
        voters = present & labeled[:, None]
        centers, metrics = module.centers, module.cluster_metrics()
        intra = intra_cluster_loss(shared[voters], bins[:, None].expand_as(voters)[voters],
                                   centers, metrics, cfg.receptive_field, cfg.margin,
                                   cfg.max_pairs, self.pair_rng_)
        inter = inter_cluster_loss(shared[present], centers, metrics, cfg.alpha)
        return intra + cfg.inter_weight * inter + cfg.metric_reg * (module.metric**2).sum()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_hat, _, _, shared, present = y_pred
        y_true = to_tensor(y_true, device=self.device).to(y_hat.dtype)
        l1 = labeled_l1(y_hat, y_true)
        use_mmc = training and self.mmc.metric_loss
        with torch.set_grad_enabled(use_mmc and torch.is_grad_enabled()):
            mmc = self.mmc_loss(shared, present, y_true)
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
        shared, present = step["y_pred"][3].detach(), step["y_pred"][4]
        self.epoch_points_.append((shared, present, to_tensor(batch[1], device=shared.device)))
        return step

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        with side_by_side(self.module_, training):
            self._run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def _run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not training or iterator is None:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        if self.n_reclusters_ == 0:
            self.recluster_(*self.embed_dataset(iterator.dataset))
        self.epoch_points_ = []
        super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        shared, present, y = zip(*self.epoch_points_)
        self.epoch_points_ = []
        shift = self.recluster_(torch.cat(shared).double().cpu().numpy(),
                                torch.cat(y).double().cpu().numpy(),
                                torch.cat(present).cpu().numpy())
        self.history.record("center_shift", shift)

    def get_iterator(self, dataset, training=False):
        # Whole batches fetched with one index per array (batch_size=None), not row by row
        # and collated: a tenth of the epoch's non-encoder time on MOSI's sizes.
        if training and self.bucket_by_length:
            costs = self._sequence_costs(dataset)
            if costs is not None:
                return DataLoader(dataset, sampler=LengthBuckets(costs, self.batch_size),
                                  batch_size=None)
        if not training:  # in row order: callbacks may align cached predictions with y
            size = self.get_params_for("iterator_valid").get("batch_size", self.batch_size)
            size = len(dataset) if size == -1 else size
            batches = BatchSampler(SequentialSampler(dataset), size, drop_last=False)
            return DataLoader(dataset, sampler=batches, batch_size=None)
        return super().get_iterator(dataset, training)

    def _sequence_costs(self, dataset):
        """Per row, the sum over sequence modalities of (real steps / max steps); None if none."""
        rows = slice(None)
        if isinstance(dataset, Subset):
            dataset, rows = dataset.dataset, np.asarray(dataset.indices)
        inputs = getattr(dataset, "X", None)
        costs = sequence_costs(inputs) if isinstance(inputs, dict) else None
        return None if costs is None else costs[rows]

    @torch.no_grad()
    def embed_dataset(self, dataset):
        """Shared-space points ``(n, n_modalities, d)``, targets and presence mask, as numpy."""
        self.module_.eval()
        shared, targets, present = [], [], []
        for Xi, yi in self.get_iterator(dataset, training=False):
            Xi = to_device(Xi, self.device)
            shared.append(self.module_.embed(**Xi).cpu())
            present.append(self.module_.presence(**Xi).cpu())
            targets.append(torch.as_tensor(yi))
        return (torch.cat(shared).double().numpy(), torch.cat(targets).double().numpy(),
                torch.cat(present).numpy())

    def recluster_(self, shared, y, present=None):
        """k-means on the training split's shared-space points, identities kept; bin vote.

        Only present points (``present``, ``(n, n_modalities)`` bool; None: all)
        are clustered, and only those of labeled rows (``y`` not NaN) vote.
        """
        cfg, module = self.mmc, self.module_
        if present is None:
            present = np.ones(shared.shape[:2], dtype=bool)
        voters = present & ~np.isnan(y)[:, None]
        point_bins = np.broadcast_to(
            sentiment_bins(np.nan_to_num(y), cfg.label_range)[:, None], voters.shape)
        previous = None if self.n_reclusters_ == 0 else module.centers.double().cpu().numpy()
        centers = fit_centers(shared[present], cfg.n_clusters, previous, random_state=self.seed)
        bins = vote_bins(shared[voters], point_bins[voters], centers, cfg.receptive_field)
        module.centers.copy_(torch.as_tensor(centers, dtype=module.centers.dtype))
        module.bins.copy_(torch.as_tensor(bins))
        self.n_reclusters_ += 1
        # how far the centers moved (None on the first clustering), for verbose=2
        return (None if previous is None
                else float(np.linalg.norm(centers - previous, axis=1).mean()))


def labeled_l1(y_hat, y_true):
    """Mean absolute error over the rows whose target is not NaN (unlabeled rows).

    A batch without a labeled row gives 0, still attached to the graph so that
    the backward pass runs.
    """
    labeled = ~torch.isnan(y_true)
    if not labeled.any():
        return y_hat.sum() * 0.0
    return F.l1_loss(y_hat[labeled], y_true[labeled])
