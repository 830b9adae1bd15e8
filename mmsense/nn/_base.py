"""Plumbing shared by the skorch-backed estimators.

Estimators own a skorch net (composition, built inside ``fit``) rather than
subclassing skorch, because skorch subclasses fail several of scikit-learn's
common checks. This mixin gives them one way to pick the device, seed torch,
turn a validated ``X`` into network inputs, hold out a validation split and
stop early.
"""

from __future__ import annotations

import numbers

from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from .._contract import split_modalities
from ._device import resolve_device
from ._encoders import net_inputs
from ._persistence import NetPersistenceMixin
from ._seed import seed_torch, torch_seed_from


class NeuralEstimatorMixin(NetPersistenceMixin):
    """Mixin for estimators with ``device``, ``random_state``, ``validation_fraction``,
    ``patience`` and ``verbose`` parameters.

    Sets ``device_`` (the device actually used) during :meth:`_start_torch_fit`;
    after unpickling, ``device_`` follows the device skorch put ``net_`` on (a
    model fitted on CUDA and loaded on a CPU-only machine is moved to the CPU).
    """

    def __setstate__(self, state):
        super().__setstate__(state)
        if "net_" in self.__dict__:
            self.device_ = str(self.net_.device)

    def _start_torch_fit(self) -> int:
        """Resolve the device and seed torch; return the int seed used."""
        self.device_ = resolve_device(self.device)
        seed = torch_seed_from(self.random_state)
        seed_torch(seed)
        return seed

    @staticmethod
    def _net_inputs(X, specs) -> dict:
        """Per-modality arrays (and sequence lengths) for the network."""
        return net_inputs(split_modalities(X, specs))

    def _check_training_params(self):
        """Validate the parameters this mixin reads; raise ``ValueError`` naming the bad one."""
        frac = self.validation_fraction
        if frac is not None and not (isinstance(frac, numbers.Real) and 0 < frac < 1):
            raise ValueError(
                f"validation_fraction must be None or a float in (0, 1); got {frac!r}."
            )
        patience = self.patience
        if patience is not None and not (
            isinstance(patience, numbers.Integral) and not isinstance(patience, bool) and patience > 0
        ):
            raise ValueError(f"patience must be None or a positive int; got {patience!r}.")

    def _train_split(self, seed: int):
        """skorch ``train_split``: a seeded random hold-out, or None without validation."""
        if self.validation_fraction is None:
            return None
        return ValidSplit(self.validation_fraction, stratified=False, random_state=seed)

    def _early_stopping_callbacks(self) -> list:
        """Early stopping on the validation loss, restoring the best epoch's weights."""
        if self.validation_fraction is None or self.patience is None:
            return []
        return [(
            "early_stopping",
            EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True),
        )]

    @property
    def _verbose_level(self) -> int:
        return int(self.verbose) if self.verbose else 0
