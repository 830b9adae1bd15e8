"""Batches of rows with similar sequence lengths, for training and for inference."""

from __future__ import annotations

import numpy as np
import torch

from .._contract import lengths_key


def sequence_costs(inputs: dict):
    """Per row, the sum over sequence modalities of real steps / steps; None without any.

    ``inputs`` is a network-input dict (see :func:`mmsense._contract.network_inputs`).
    Rows of similar cost have similar lengths in every modality, since a clip's
    duration drives them all.
    """
    names = [name for name in inputs if lengths_key(name) in inputs]
    if not names:
        return None
    return sum(np.asarray(inputs[lengths_key(name)]) / np.shape(inputs[name])[1]
               for name in names)


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
