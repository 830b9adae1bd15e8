"""Stop a fit whose loss or outputs stop being finite, with an error a user can act on."""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback

_HINT = ("the input is probably unscaled or has extreme values; put ModalityScaler "
         "(or StandardScaler) in front of the estimator, or lower lr")


def check_finite_loss(loss, estimator: str, epoch: int, what: str = "training loss") -> None:
    """Raise ``FloatingPointError`` naming the estimator and epoch if ``loss`` is not finite."""
    value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{estimator}: the {what} became {value} in epoch {epoch}; {_HINT}."
        )


def check_finite_output(values: torch.Tensor, estimator: str, what: str) -> None:
    """Raise ``FloatingPointError`` if a network output has NaN or inf (never return them)."""
    bad = ~torch.isfinite(values)
    if bad.any():
        rows = int(bad.reshape(len(values), -1).any(1).sum()) if values.ndim else 1
        raise FloatingPointError(
            f"{estimator}: {what} is not finite for {rows} row(s); {_HINT}."
        )


class FiniteLossGuard(Callback):
    """skorch callback: raise as soon as a training batch's loss is NaN or inf."""

    def __init__(self, estimator: str):
        self.estimator = estimator

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and loss is not None:
            check_finite_loss(loss, self.estimator, len(net.history))
