"""Torch plumbing shared by the mmsense estimators: device, seeding, encoders, skorch glue."""

from ._base import NeuralEstimatorMixin
from ._device import resolve_device
from ._progress import EpochLog, ProgressCallback, step_line
from ._encoders import (
    LSTMEncoder,
    ModalityEncoders,
    StaticEncoder,
    TransformerEncoder,
    lengths_key,
    lengths_to_mask,
    net_inputs,
    sinusoidal_positions,
)
from ._inference import inference_batch_size, row_elements
from ._seed import seed_torch, torch_seed_from
from ._threads import torch_threads

__all__ = [
    "NeuralEstimatorMixin",
    "EpochLog",
    "ProgressCallback",
    "step_line",
    "resolve_device",
    "LSTMEncoder",
    "ModalityEncoders",
    "StaticEncoder",
    "TransformerEncoder",
    "lengths_key",
    "lengths_to_mask",
    "net_inputs",
    "sinusoidal_positions",
    "seed_torch",
    "torch_seed_from",
    "torch_threads",
    "inference_batch_size",
    "row_elements",
]
