"""Plumbing shared by the skorch-backed estimators.

Estimators own a skorch net (composition, built inside ``fit``) rather than
subclassing skorch, because skorch subclasses fail several of scikit-learn's
common checks. This mixin gives them one way to pick the device, seed torch
without touching the caller's random streams, hold out a validation split,
keep the best epoch and stop on a non-finite loss.
"""

from __future__ import annotations

import contextlib
import math

import torch
from skorch.dataset import ValidSplit

from ._best_epoch import KeepBestEpoch
from ._device import resolve_device
from ._guards import FiniteLossGuard
from ._persistence import NetPersistenceMixin
from ._seed import torch_seed_from


def min_rows_for_holdout(fraction: float) -> int:
    """Fewest rows for which a ``fraction`` hold-out leaves a row on both sides."""
    n = 2
    while math.ceil(fraction * n) < 1 or math.floor((1 - fraction) * n) < 1:
        n += 1
    return n


class NeuralEstimatorMixin(NetPersistenceMixin):
    """Mixin for estimators with ``device``, ``random_state``, ``validation_fraction``,
    ``patience`` and ``verbose`` parameters.

    Sets ``device_`` (the device actually used) in :meth:`_torch_fit`; after
    unpickling, ``device_`` follows the device skorch put ``net_`` on (a model
    fitted on CUDA and loaded on a CPU-only machine is moved to the CPU).
    """

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in self.__dict__:
            self.device_ = str(self.net_.device)

    @contextlib.contextmanager
    def _torch_fit(self):
        """Resolve the device and seed torch inside a fork of its random state.

        Yields the int seed drawn from ``random_state``. Fits are reproducible
        under an int ``random_state``, and the caller's torch random streams are
        the same after the fit as before it.
        """
        self.device_ = resolve_device(self.device)
        seed = torch_seed_from(self.random_state)
        devices = [self.device_] if self.device_.startswith("cuda") else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield seed

    def _train_split(self, seed: int, n_samples: int):
        """skorch ``train_split``: a seeded random hold-out, or None without validation."""
        fraction = self.validation_fraction
        if fraction is None:
            return None
        needed = min_rows_for_holdout(fraction)
        if n_samples < needed:
            raise ValueError(
                f"validation_fraction={fraction} holds out part of the training rows, which "
                f"needs at least {needed} samples; got {n_samples} sample(s). Pass more rows "
                "or set validation_fraction=None."
            )
        return ValidSplit(fraction, stratified=False, random_state=seed)

    def _training_callbacks(self, monitor="valid_loss", lower_is_better=True,
                            start_score=None, validation=True) -> list:
        """The loss guard, plus best-epoch selection on ``monitor`` when validating."""
        callbacks = [("finite_loss", FiniteLossGuard(type(self).__name__))]
        if validation:
            callbacks.append(("best_epoch", KeepBestEpoch(
                monitor, lower_is_better=lower_is_better, patience=self.patience,
                start_score=start_score,
            )))
        return callbacks

    @staticmethod
    def _best_epoch(net) -> int:
        """Epoch whose weights ``net`` holds (the last one without validation)."""
        keeper = dict(net.callbacks_).get("best_epoch")
        return keeper.best_epoch_ if keeper is not None else len(net.history)

    @property
    def _verbose_level(self) -> int:
        return int(self.verbose) if self.verbose else 0
