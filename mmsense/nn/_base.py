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

import numpy as np
import torch
from skorch.dataset import ValidSplit
from skorch.utils import to_numpy

from ._best_epoch import KeepBestEpoch
from ._device import resolve_device
from ._guards import FiniteLossGuard
from ._persistence import NetPersistenceMixin
from ._progress import named_callbacks, progress_callbacks, user_callbacks
from ._seed import torch_seed_from
from ._threads import TORCH_METHODS, with_torch_threads


def min_rows_for_holdout(fraction: float) -> int:
    """Fewest rows for which a ``fraction`` hold-out leaves a row on both sides."""
    n = 2
    while math.ceil(fraction * n) < 1 or math.floor((1 - fraction) * n) < 1:
        n += 1
    return n


class LabeledValidSplit(ValidSplit):
    """skorch ``train_split`` for NaN-marked unlabeled targets: hold out labeled rows only.

    The hold-out is drawn from the rows whose target is not NaN exactly as
    ``ValidSplit(fraction, stratified=False)`` draws it from all rows, so with
    every row labeled both give the same split; unlabeled rows all train.
    """

    def __init__(self, cv, random_state=None):
        super().__init__(cv, stratified=False, random_state=random_state)

    def __call__(self, dataset, y=None, groups=None):
        labeled = ~np.isnan(np.asarray(to_numpy(y), dtype=np.float64))
        rows = np.flatnonzero(labeled)
        train, valid = next(iter(self.check_cv(None).split(rows)))
        train = np.concatenate([rows[train], np.flatnonzero(~labeled)])
        return (torch.utils.data.Subset(dataset, train),
                torch.utils.data.Subset(dataset, rows[valid]))


class NeuralEstimatorMixin(NetPersistenceMixin):
    """Mixin for estimators with ``device``, ``random_state``, ``validation_fraction``,
    ``patience``, ``verbose``, ``callbacks`` and ``n_threads`` parameters.

    The torch work of every public method (fit, predict, transform, ...) runs with
    ``n_threads`` torch threads, the process-wide setting restored afterwards.
    The user's skorch callbacks are reachable as ``callbacks__<name>__<param>`` in
    ``get_params(deep=True)`` / ``set_params``, as in skorch, so grids can search them.

    Sets ``device_`` (the device actually used) in :meth:`_torch_fit`; after
    unpickling, ``device_`` follows the device skorch put ``net_`` on (a model
    fitted on CUDA and loaded on a CPU-only machine is moved to the CPU).
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

    def _train_split(self, seed: int, n_samples: int, n_labeled: int | None = None):
        """skorch ``train_split``: a seeded random hold-out, or None without validation.

        With ``n_labeled`` (NaN-marked unlabeled targets), the hold-out is drawn
        from the labeled rows only (:class:`LabeledValidSplit`).
        """
        fraction = self.validation_fraction
        if fraction is None:
            return None
        needed = min_rows_for_holdout(fraction)
        if n_labeled is not None and n_labeled < needed:
            raise ValueError(
                f"validation_fraction={fraction} holds out part of the labeled rows (validation "
                f"scores labeled rows only), which needs at least {needed} labeled rows; got "
                f"{n_labeled}. Label more rows, pass validation_data or set "
                "validation_fraction=None."
            )
        if n_samples < needed:
            raise ValueError(
                f"validation_fraction={fraction} holds out part of the training rows, which "
                f"needs at least {needed} samples; got {n_samples} sample(s). Pass more rows "
                "or set validation_fraction=None."
            )
        if n_labeled is not None:
            return LabeledValidSplit(fraction, random_state=seed)
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

    def _extra_callbacks(self, title, metric=None, **kwargs) -> list:
        """The progress line callback (``verbose``) then the user's ``callbacks``."""
        return (progress_callbacks(self._verbose_level, title, metric, **kwargs)
                + user_callbacks(getattr(self, "callbacks", None)))

    def get_params(self, deep=True):
        """Get the parameters of this estimator, those of its callbacks included.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of contained objects, and of each
            callback as ``callbacks__<name>__<param>``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep:
            for name, callback in named_callbacks(getattr(self, "callbacks", None)).items():
                for key, value in callback.get_params(deep=False).items():
                    params[f"callbacks__{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator, those of its callbacks included.

        Parameters
        ----------
        **params : dict
            Estimator parameters, ``<component>__<param>`` for nested objects and
            ``callbacks__<name>__<param>`` for a callback of ``callbacks``.

        Returns
        -------
        self : object
            The estimator.
        """
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
