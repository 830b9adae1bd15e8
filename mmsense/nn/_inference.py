"""Batched inference over the network-input dict, wherever the module's weights live."""

from __future__ import annotations

import torch

from .._contract import n_input_rows

# Rows per forward pass at predict time: inference keeps no activations for the
# backward pass, so batches far larger than the training batch fit in memory.
INFERENCE_BATCH_SIZE = 4096


def module_device(module: torch.nn.Module) -> torch.device:
    """Where the module's weights are (after unpickling on a CPU-only machine: the CPU)."""
    return next(module.parameters()).device


def batch_of(inputs: dict, rows, device) -> dict:
    """Rows ``rows`` of every array in the network-input dict, as tensors on ``device``."""
    return {key: torch.as_tensor(values[rows]).to(device) for key, values in inputs.items()}


def _to_cpu(result):
    return tuple(t.cpu() for t in result) if isinstance(result, tuple) else result.cpu()


@torch.no_grad()
def predict_batches(module: torch.nn.Module, inputs: dict,
                    batch_size: int = INFERENCE_BATCH_SIZE, method: str = "forward"):
    """``module.<method>(**batch)`` over all rows in eval mode, concatenated on the CPU.

    A method returning a tuple of tensors gives a tuple of concatenated tensors.
    Submodules with a ``max_batch_rows`` attribute lower ``batch_size`` to it.
    """
    # an encoder may cap the rows per batch (a Transformer's attention grows with T^2)
    batch_size = min([batch_size] + [m.max_batch_rows for m in module.modules()
                                     if hasattr(m, "max_batch_rows")])
    was_training = module.training
    module.eval()
    device = module_device(module)
    run = module if method == "forward" else getattr(module, method)
    results = [_to_cpu(run(**batch_of(inputs, slice(lo, lo + batch_size), device)))
               for lo in range(0, n_input_rows(inputs), batch_size)]
    module.train(was_training)
    if results and isinstance(results[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*results))
    return torch.cat(results) if results else torch.zeros(0)
