"""What every display shares: the lazy matplotlib import and unwrapping a Pipeline."""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from ..utils._optional import import_optional

PLOT_EXTRA_HINT = 'pip install "mmsense[plot]"'


def import_pyplot(caller: str):
    """``matplotlib.pyplot``, or an ImportError naming the ``plot`` extra.

    Imported only when something is drawn, so that mmsense itself never needs
    matplotlib.
    """
    return import_optional("matplotlib.pyplot", f"{caller} draws with matplotlib, which is not "
                           f"installed. Install the 'plot' extra: {PLOT_EXTRA_HINT}")


def axes_or_new(ax, caller: str):
    """``(figure, ax)``: the given Axes and its figure, or a new figure with one Axes."""
    plt = import_pyplot(caller)
    if ax is None:
        fig, ax = plt.subplots()
    return ax.figure, ax


def final_step(estimator, X=None):
    """The last step of a Pipeline and ``X`` transformed by the steps before it.

    Any other estimator is returned unchanged with ``X``, so that displays
    accept a fitted Pipeline wherever they accept its final estimator.
    """
    if isinstance(estimator, Pipeline):
        if X is not None and len(estimator) > 1:
            X = estimator[:-1].transform(X)
        return estimator[-1], X
    return estimator, X


def as_2d_float(name: str, values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2); got shape {values.shape}.")
    return values
