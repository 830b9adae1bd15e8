"""Batched inference over the network-input dict, wherever the module's weights live."""

from __future__ import annotations

import numpy as np
import torch

from .._contract import n_input_rows
from ._batching import sequence_costs
from ._side_by_side import side_by_side

# Rows per forward pass at predict time: inference keeps no activations for the
# backward pass, so batches far larger than the training batch fit in memory.
INFERENCE_BATCH_SIZE = 4096
# Rows per batch when the inputs have sequences: rows sorted by length are cut into
# batches this small so that each is padded only to its own longest row.
SORTED_BATCH_SIZE = 256


def module_device(module: torch.nn.Module) -> torch.device:
    """Where the module's weights are (after unpickling on a CPU-only machine: the CPU)."""
    return next(module.parameters()).device


def batch_of(inputs: dict, rows, device) -> dict:
    """Rows ``rows`` of every array in the network-input dict, as tensors on ``device``."""
    return {key: torch.as_tensor(values[rows]).to(device) for key, values in inputs.items()}


def inference_batches(inputs: dict, batch_size: int):
    """The rows of each inference batch: slices in row order, or, with sequences, index
    arrays of rows sorted by length (at most ``min(batch_size, SORTED_BATCH_SIZE)`` each)."""
    n_rows = n_input_rows(inputs)
    costs = sequence_costs(inputs)
    if costs is None:
        return [slice(lo, lo + batch_size) for lo in range(0, n_rows, batch_size)]
    order = np.argsort(costs, kind="stable")
    size = min(batch_size, SORTED_BATCH_SIZE)
    return [order[lo: lo + size] for lo in range(0, n_rows, size)]


def _in_row_order(parts, batches):
    """Concatenate per-batch outputs and put the rows back in the input order."""
    joined = torch.cat(parts) if parts else torch.zeros(0)
    if not batches or isinstance(batches[0], slice):
        return joined
    rows = torch.as_tensor(np.concatenate(batches))
    ordered = torch.empty_like(joined)
    ordered[rows] = joined
    return ordered


def _to_cpu(result):
    return tuple(t.cpu() for t in result) if isinstance(result, tuple) else result.cpu()


@torch.no_grad()
def predict_batches(module: torch.nn.Module, inputs: dict,
                    batch_size: int = INFERENCE_BATCH_SIZE, method: str = "forward"):
    """``module.<method>(**batch)`` over all rows in eval mode, concatenated on the CPU.

    A method returning a tuple of tensors gives a tuple of concatenated tensors.
    Submodules with a ``max_batch_rows`` attribute lower ``batch_size`` to it. Rows with
    sequences are batched by length (see :func:`inference_batches`); the outputs come
    back in the input's row order.
    """
    # an encoder may cap the rows per batch (a Transformer's attention grows with T^2)
    batch_size = min([batch_size] + [m.max_batch_rows for m in module.modules()
                                     if hasattr(m, "max_batch_rows")])
    was_training = module.training
    module.eval()
    device = module_device(module)
    run = module if method == "forward" else getattr(module, method)
    batches = inference_batches(inputs, batch_size)
    with side_by_side(module, training=False):
        results = [_to_cpu(run(**batch_of(inputs, rows, device))) for rows in batches]
    module.train(was_training)
    if results and isinstance(results[0], tuple):
        return tuple(_in_row_order(parts, batches) for parts in zip(*results))
    return _in_row_order(results, batches)
