"""TrainingHistoryDisplay: training and validation curves of a neural estimator."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.exceptions import NotFittedError

from ._plotting import final_step, import_pyplot

_NOT_CURVES = ("epoch", "dur", "changed", "batches")


class TrainingHistoryDisplay:
    """Training and validation curves, one panel per quantity, the kept epoch marked.

    Build it with :meth:`from_estimator` from any fitted neural estimator of
    mmsense (its ``history_``, or its skorch ``net_.history``), or directly
    from curves. All attributes ending in ``_`` are set by :meth:`plot`.

    Parameters
    ----------
    panels : dict of str to dict of str to (array-like, array-like)
        Panel title -> curve name -> ``(epochs, values)``.
    best_epochs : dict of str to int, default=None
        Panel title -> epoch whose weights the model kept, drawn as a dotted
        vertical line. Panels not listed get no line.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        One Axes per panel, in the order of ``panels``.
    figure_ : matplotlib Figure
        Figure containing the panels.
    lines_ : dict of str to dict of str to matplotlib Line2D
        Panel title -> curve name -> its line.
    best_lines_ : dict of str to matplotlib Line2D
        Panel title -> the vertical line at the kept epoch.

    See Also
    --------
    EmbeddingDisplay : The latent space the training produced.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mmsense import MMRestRegressor
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.inspection import TrainingHistoryDisplay
    >>> spec = {"text": 8, "audio": (5, 3)}
    >>> X, y, _ = make_multimodal_sentiment(50, spec, random_state=0)
    >>> disp = TrainingHistoryDisplay.from_estimator(MMRestRegressor(
    ...     modalities=spec, hidden_dim=8, max_epochs=3, random_state=0).fit(X, y))
    >>> list(disp.lines_)
    ['L_MMC', 'L1 (MAE)']
    >>> sorted(disp.lines_["L1 (MAE)"])
    ['train', 'valid']
    """

    def __init__(self, panels, *, best_epochs=None):
        self.panels = panels
        self.best_epochs = best_epochs

    def plot(self, ax=None):
        """Draw one panel per entry of ``panels``.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per panel; None creates a figure with the panels side by side.

        Returns
        -------
        display : TrainingHistoryDisplay
            Object that stores the drawn artists.
        """
        plt = import_pyplot("TrainingHistoryDisplay.plot")
        titles = list(self.panels)
        if not titles:
            raise ValueError("panels is empty: there is no curve to draw.")
        if ax is None:
            fig, axes = plt.subplots(1, len(titles), figsize=(4.5 * len(titles), 3.5),
                                     squeeze=False, layout="constrained")
            axes = axes.ravel()
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != len(titles):
                raise ValueError(
                    f"ax holds {len(axes)} Axes but the history has {len(titles)} panels "
                    f"({titles}); pass one Axes per panel."
                )
            fig = axes[0].figure
        best = self.best_epochs or {}
        self.lines_, self.best_lines_ = {}, {}
        for axis, title in zip(axes, titles):
            self.lines_[title] = {}
            for name, (epochs, values) in self.panels[title].items():
                (line,) = axis.plot(epochs, values, marker=".", label=name)
                self.lines_[title][name] = line
            if best.get(title) is not None:
                self.best_lines_[title] = axis.axvline(
                    best[title], color="0.3", linestyle=":", label=f"kept epoch {best[title]}")
            axis.set(title=title, xlabel="epoch")
            axis.legend(fontsize=8)
        self.ax_, self.figure_ = axes, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Curves of a fitted neural estimator (or a Pipeline ending in one).

        * :class:`~mmsense.MMRestRegressor`: L_MMC and L1 (training and
          validation) in two panels, ``best_epoch_`` marked.
        * :class:`~mmsense.DECPretrainer`: phase 1 (autoencoder losses), phase
          2 (the clustering loss and its terms) and, with a labeled hold-out,
          its accuracy, each phase in its own panel with its kept epoch.
        * :class:`~mmsense.DECClassifier`: its pretrainer's panels, then the
          fine-tuning loss and held-out accuracy.
        * anything else with a per-epoch ``history_`` list or a skorch
          ``net_``: losses in one panel, other scores in another.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            The model whose training is shown.
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per panel; None creates a figure.

        Returns
        -------
        display : TrainingHistoryDisplay
            The drawn display.
        """
        panels, best = history_panels(estimator)
        return cls(panels, best_epochs=best).plot(ax=ax)


def history_panels(estimator):
    """``(panels, best_epochs)`` for :class:`TrainingHistoryDisplay` from a fitted estimator."""
    est, _ = final_step(estimator)
    history = getattr(est, "history_", None)
    if history is None and hasattr(est, "net_"):
        history = list(est.net_.history)
    if history is None:
        raise NotFittedError(
            f"{type(est).__name__} has no training history (history_ or net_.history): "
            "fit it first, or pass a neural estimator."
        )
    if isinstance(history, dict):  # DECPretrainer: {"autoencoder": ..., "clustering": ...}
        return _dec_pretrainer_panels(est)
    if hasattr(est, "pretrainer_"):
        return _dec_classifier_panels(est)
    if any("train_mmc" in row for row in history):
        panels = _drop_empty({title: {part: _curve(history, f"{part}_{key}")
                                      for part in ("train", "valid")}
                              for title, key in (("L_MMC", "mmc"), ("L1 (MAE)", "l1"))})
        return panels, dict.fromkeys(panels, int(est.best_epoch_))
    return _generic_panels(est, history)


def _curve(rows, key):
    """``(epochs, values)`` of the rows holding a number under ``key``."""
    pairs = [(row.get("epoch", i + 1), row[key]) for i, row in enumerate(rows)
             if isinstance(row.get(key), numbers.Real) and not isinstance(row.get(key), bool)]
    return (np.array([p[0] for p in pairs], dtype=float),
            np.array([p[1] for p in pairs], dtype=float))


def _drop_empty(panels):
    panels = {title: {name: c for name, c in curves.items() if len(c[0])}
              for title, curves in panels.items()}
    return {title: curves for title, curves in panels.items() if curves}


def _keys(rows, exclude=_NOT_CURVES):
    keys = dict.fromkeys(k for row in rows for k in row if k not in exclude)
    return [k for k in keys if not k.endswith("_best") and len(_curve(rows, k)[0])]


def _dec_pretrainer_panels(est, prefix=""):
    auto, clustering = est.history_["autoencoder"], est.history_["clustering"]
    phase1, phase2 = f"{prefix}phase 1: autoencoder", f"{prefix}phase 2: clustering"
    phase2_holdout = f"{prefix}phase 2: labeled hold-out"
    panels = _drop_empty({
        phase1: {key: _curve(auto, key) for key in ("train_loss", "valid_loss")},
        phase2: {key: _curve(clustering, key) for key in _keys(clustering)
                 if not key.startswith("holdout")},
        phase2_holdout: {"accuracy": _curve(clustering, "holdout_accuracy")},
    })
    best = {}
    if phase1 in panels:
        best[phase1] = _kept_autoencoder_epoch(est, auto)
    if phase2 in panels:
        best[phase2] = best[phase2_holdout] = int(est.best_epoch_)
    return panels, best


def _kept_autoencoder_epoch(est, rows):
    """Phase 1's kept epoch: its skorch best-epoch callback's, else the last epoch."""
    keeper = dict(getattr(est.net_, "callbacks_", [])).get("best_epoch")
    return int(getattr(keeper, "best_epoch_", len(rows)))


def _dec_classifier_panels(est):
    panels, best = ({}, {}) if est.pretrainer_ is None else _dec_pretrainer_panels(
        est.pretrainer_, prefix="pretraining ")
    rows = est.history_
    tune = _drop_empty({
        "fine-tuning loss": {key: _curve(rows, key) for key in ("train_loss", "valid_loss")},
        "fine-tuning held-out accuracy": {"accuracy": _curve(rows, "valid_acc")},
    })
    panels.update(tune)
    best.update(dict.fromkeys(tune, int(est.best_epoch_)))
    return panels, best


def _generic_panels(est, rows):
    keys = _keys(rows)
    panels = _drop_empty({
        "loss": {k: _curve(rows, k) for k in keys if k.endswith("loss")},
        "score": {k: _curve(rows, k) for k in keys if not k.endswith("loss")},
    })
    kept = getattr(est, "best_epoch_", None)
    if kept is None:
        epochs, valid = _curve(rows, "valid_loss")
        kept = int(epochs[int(np.argmin(valid))]) if len(valid) else None
    return panels, dict.fromkeys(panels, kept)
