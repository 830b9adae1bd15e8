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
from ._progress import named_callbacks, progress_callbacks, user_callbacks
from ._threads import TORCH_METHODS, check_n_threads, with_torch_threads
from ._seed import seed_torch, torch_seed_from


class NeuralEstimatorMixin:
    """Mixin for estimators with ``device``, ``random_state``, ``validation_fraction``,
    ``patience``, ``verbose`` and ``callbacks`` parameters.

    The torch work of every public method (fit, predict, transform, ...) runs with
    ``n_threads`` torch threads, the process-wide setting restored afterwards.

    The user's skorch callbacks are reachable as ``callbacks__<name>__<param>`` in
    ``get_params(deep=True)`` / ``set_params``, as in skorch, so grids can search them.

    Sets ``device_`` (the device actually used) during :meth:`_start_torch_fit`;
    after unpickling, ``device_`` follows the device skorch put ``net_`` on (a
    model fitted on CUDA and loaded on a CPU-only machine is moved to the CPU).
    """

    def __init_subclass__(cls, **kwargs):
        # as scikit-learn's set_output wraps transform: every estimator gets the thread
        # setting without repeating it in each method
        super().__init_subclass__(**kwargs)
        for name in TORCH_METHODS:
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "__mmsense_threads__", False):
                setattr(cls, name, with_torch_threads(method))

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
        check_n_threads(getattr(self, "n_threads", None))
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

    def _extra_callbacks(self, title, metric=None, **kwargs) -> list:
        """The progress line callback (``verbose``) then the user's ``callbacks``."""
        return (progress_callbacks(self._verbose_level, title, metric, **kwargs)
                + user_callbacks(getattr(self, "callbacks", None)))

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        if deep:
            for name, callback in named_callbacks(getattr(self, "callbacks", None)).items():
                for key, value in callback.get_params(deep=False).items():
                    params[f"callbacks__{name}__{key}"] = value
        return params

    def set_params(self, **params):
        nested = {key: params.pop(key) for key in list(params)
                  if key.startswith("callbacks__")}
        super().set_params(**params)
        by_name = named_callbacks(getattr(self, "callbacks", None))
        for key, value in nested.items():
            _, name, param = (key.split("__", 2) + [""])[:3]
            if name not in by_name or not param:
                raise ValueError(
                    f"Invalid parameter {key!r} for {type(self).__name__}: callbacks holds "
                    f"{sorted(by_name) or 'no callback'}; use callbacks__<name>__<param>."
                )
            by_name[name].set_params(**{param: value})
        return self
