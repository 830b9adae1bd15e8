"""Batches of rows with similar sequence lengths, for recurrent encoders."""

from __future__ import annotations

import numpy as np
import torch


class LengthBuckets:
    """Batch sampler: rows of similar sequence length share a batch, batches in random order.

    The LSTM runs over each batch's longest sequence (``trim_to_longest``), so
    grouping similar lengths removes most padded steps. Rows are ordered by
    ``cost`` plus a uniform jitter of ``jitter`` (so batch composition changes
    between epochs), cut into batches, and the batches shuffled. Uses torch's
    global generator, seeded by the estimator.
    """

    def __init__(self, cost, batch_size, jitter=0.1):
        cost = np.asarray(cost, dtype=np.float64)
        span = cost.max() - cost.min()
        self.cost = torch.as_tensor((cost - cost.min()) / span if span > 0 else cost * 0)
        self.batch_size = batch_size
        self.jitter = jitter

    def __len__(self):
        return -(-len(self.cost) // self.batch_size)

    def __iter__(self):
        key = self.cost + self.jitter * torch.rand(len(self.cost), dtype=self.cost.dtype)
        batches = torch.argsort(key).split(self.batch_size)
        for b in torch.randperm(len(batches)).tolist():
            yield batches[b].tolist()
