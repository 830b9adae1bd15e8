"""Torch plumbing shared by the mmsense estimators.

Device choice, seeding, the skorch glue (``NeuralEstimatorMixin``), the shared
modality encoders and layer stacks, batching, batched inference, best-epoch
selection and the non-finite guards.
"""

from ._base import NeuralEstimatorMixin
from ._batching import LengthBuckets
from ._best_epoch import BestWeights, KeepBestEpoch
from ._denormals import flush_denormals
from ._device import resolve_device
from ._encoders import (
    LSTMEncoder,
    ModalityEncoders,
    StaticEncoder,
    TransformerEncoder,
    lengths_to_mask,
    sinusoidal_positions,
)
from ._guards import check_finite_loss, check_finite_output
from ._history import epoch_history
from ._inference import INFERENCE_BATCH_SIZE, batch_of, module_device, predict_batches
from ._layers import mlp
from ._progress import EpochLog, ProgressCallback, step_line
from ._seed import torch_seed_from
from ._side_by_side import side_by_side
from ._threads import torch_threads

__all__ = [
    "NeuralEstimatorMixin",
    "LengthBuckets",
    "BestWeights",
    "KeepBestEpoch",
    "flush_denormals",
    "resolve_device",
    "LSTMEncoder",
    "ModalityEncoders",
    "StaticEncoder",
    "TransformerEncoder",
    "lengths_to_mask",
    "sinusoidal_positions",
    "check_finite_loss",
    "check_finite_output",
    "epoch_history",
    "INFERENCE_BATCH_SIZE",
    "batch_of",
    "module_device",
    "predict_batches",
    "mlp",
    "torch_seed_from",
    "EpochLog",
    "ProgressCallback",
    "step_line",
    "torch_threads",
    "side_by_side",
]
