"""Find every public estimator of mmsense, as ``sklearn.utils.discovery.all_estimators``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from operator import itemgetter

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}


def _public_modules():
    """mmsense and its modules with no private part in their name."""
    import mmsense

    yield mmsense
    for info in pkgutil.walk_packages(mmsense.__path__, prefix="mmsense."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # a module of an optional extra that is not installed
            continue


def _is_deprecated(cls) -> bool:
    return "deprecated" in (cls.__doc__ or "").split("\n", 1)[0].lower()


def all_estimators(type_filter=None):
    """Every public estimator class of mmsense, sorted by name.

    Public means listed in the ``__all__`` of a public module (one whose
    dotted name has no part starting with an underscore).

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or list of them, \
default=None
        Keep only estimators of these kinds; None keeps all.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs.

    See Also
    --------
    sklearn.utils.discovery.all_estimators : The same for scikit-learn.

    Examples
    --------
    >>> from mmsense.utils import all_estimators
    >>> [name for name, _ in all_estimators(type_filter="regressor")]
    ['MMRestRegressor']
    """
    if type_filter is not None:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        unknown = set(kinds) - set(_TYPE_MIXINS)
        if unknown:
            raise ValueError(
                f"type_filter must be None or among {sorted(_TYPE_MIXINS)}; got {sorted(unknown)}."
            )
    found = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            cls = getattr(module, name)
            if (inspect.isclass(cls) and issubclass(cls, BaseEstimator)
                    and not inspect.isabstract(cls) and not _is_deprecated(cls)):
                found[name] = cls
    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is not None:
        estimators = [(n, c) for n, c in estimators
                      if any(issubclass(c, _TYPE_MIXINS[k]) for k in kinds)]
    return estimators
