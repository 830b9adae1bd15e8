"""Parameter constraints for every public estimator: scikit-learn's own machinery.

Each estimator declares ``_parameter_constraints`` (a table, parameter -> list of
allowed kinds) and calls ``self._validate_params()`` first thing in ``fit``, as
scikit-learn's estimators do; errors then read like scikit-learn's ("The 'lr'
parameter of MMRestRegressor must be a float in the range (0.0, inf). Got 0
instead.") and ``check_param_validation`` can test them.

The constraint classes live in scikit-learn's private
``sklearn.utils._param_validation``. This is the one module that imports them, so a
move there is fixed here once. (``sklearn-compat`` re-exports only ``_fit_context``
and ``validate_params``, not the constraint classes, so it would not spare this
import.)
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = ["HasMethods", "Interval", "InvalidParameterError", "Options", "StrOptions",
           "validate_parameter_constraints",
           "Int", "Float", "DEVICE", "NEURAL_TRAINING_CONSTRAINTS"]


class _IntervalNotBool(Interval):
    """An interval (of ints or reals) that refuses ``True``/``False``."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def Int(low, high=None, closed="left"):
    """Integers in ``[low, high]`` (``high=None``: no upper bound), bools excluded."""
    if high is not None and closed == "left":
        closed = "both"
    return _IntervalNotBool(Integral, low, high, closed=closed)


def Float(low, high=None, closed="left"):
    """Real numbers (ints included, bools excluded) in the given interval."""
    return _IntervalNotBool(Real, low, high, closed=closed)


class _Device(StrOptions):
    """``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``."""

    def __init__(self):
        super().__init__({"auto", "cpu", "cuda"})

    def is_satisfied_by(self, val):
        if type(val).__name__ == "device" and type(val).__module__ == "torch":
            return True
        if not isinstance(val, str):
            return False
        prefix, colon, index = val.partition(":")
        return val in self.options or (prefix == "cuda" and colon == ":" and index.isdigit())

    def __str__(self):
        return "a str among {'auto', 'cpu', 'cuda', 'cuda:N'} or a torch.device"


DEVICE = [_Device()]


def check_layer_sizes(name, sizes) -> None:
    """Raise ``ValueError`` unless every entry of ``sizes`` (a tuple or list) is an int >= 1.

    The constraint table checks the container; this checks what is in it.
    """
    if not all(isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) and v >= 1
               for v in sizes):
        raise ValueError(f"{name} must be a tuple of positive ints; got {sizes!r}.")


# The training parameters every skorch-backed estimator shares (NeuralEstimatorMixin).
NEURAL_TRAINING_CONSTRAINTS = {
    "validation_fraction": [Interval(RealNotInt, 0, 1, closed="neither"), None],
    "patience": [Int(1), None],
    "device": DEVICE,
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callbacks": [list, None],
    "n_threads": [Int(1), None],
}
