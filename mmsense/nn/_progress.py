"""Progress lines for every mmsense estimator: one convention, plain text, no colour codes.

``verbose=1``: one line per epoch with the epoch (i/N), the training loss, the validation
metric that drives early stopping, a ``*`` on the best epoch so far, the elapsed time and
an estimate of the time left. ``verbose=2`` appends detail columns (each estimator says
which). :class:`EpochLog` writes the lines; :class:`ProgressCallback` feeds it from a
skorch net's history, and loops outside skorch (DEC's clustering phase) call it directly.
Lines go to standard output, as scikit-learn's verbose output does.

skorch's own ``PrintLog`` is left silent (the nets get ``verbose=0``): its table colours
values with ANSI codes even when the output is a pipe or a file.
"""

from __future__ import annotations

import sys
import time

from skorch.callbacks import Callback


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f}s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class EpochLog:
    """Writes one progress line per epoch.

    Parameters
    ----------
    title : str
        What is training (e.g. ``"MMRestRegressor"``), printed once before the first epoch.
    max_epochs : int
        The epoch cap N of "epoch i/N" (early stopping may end sooner).
    metric : str or None
        Name shown for the validation metric (e.g. ``"valid MAE"``); None when there is
        no validation data.
    lower_is_better : bool
        Direction of ``metric`` for the best-epoch mark.
    file : file-like or None
        Destination; None is ``sys.stdout`` at the time of writing.

    See Also
    --------
    ProgressCallback : The same lines from a skorch net's history.

    Examples
    --------
    >>> from mmsense.nn import EpochLog
    >>> log = EpochLog("my loop", 2, "valid MAE")
    >>> log.begin()
    my loop: up to 2 epochs
    >>> log.epoch(1, 0.9, 0.7)  # doctest: +ELLIPSIS
      epoch 1/2  loss 0.9  valid MAE 0.7 *  ...s elapsed  <= ...s left
    >>> log.epoch(2, 0.8, 0.75, {"changed": 0.05})  # doctest: +ELLIPSIS
      epoch 2/2  loss 0.8  valid MAE 0.75    ...s elapsed  <= ...s left  changed 0.05
    """

    def __init__(self, title, max_epochs, metric=None, *, lower_is_better=True, file=None):
        self.title, self.max_epochs, self.metric = title, max_epochs, metric
        self.lower_is_better, self.file = lower_is_better, file
        self.best, self.start = None, None

    def begin(self, note=""):
        """Start the clock and print the title line."""
        self.start, self.best = time.perf_counter(), None
        self._write(f"{self.title}: up to {self.max_epochs} epochs{note}")

    def epoch(self, i, loss, value=None, details=None):
        """Print epoch ``i``'s line; ``details`` (name -> value) are appended as is."""
        if self.start is None:
            self.begin()
        is_best = value is not None and (
            self.best is None
            or (value < self.best if self.lower_is_better else value > self.best)
        )
        if is_best:
            self.best = value
        elapsed = time.perf_counter() - self.start
        left = elapsed / i * (self.max_epochs - i)
        width = len(str(self.max_epochs))
        parts = [f"  epoch {i:>{width}}/{self.max_epochs}", f"loss {_number(loss)}"]
        if self.metric is not None:
            parts.append(f"{self.metric} {_number(value)}{' *' if is_best else '  '}")
        parts += [f"{_duration(elapsed)} elapsed", f"<= {_duration(left)} left"]
        parts += [f"{name} {_number(v)}" for name, v in (details or {}).items()]
        self._write("  ".join(parts))

    def end(self, message):
        """A closing line (why training stopped, which epoch was kept)."""
        self._write(f"  {message}")

    def _write(self, text):
        print(text, file=self.file or sys.stdout, flush=True)


class ProgressCallback(Callback):
    """skorch callback printing an :class:`EpochLog` line at the end of every epoch.

    Parameters
    ----------
    title : str
    metric : str or None, default=None
        History key of the validation metric (e.g. ``"valid_loss"``, ``"valid_acc"``).
    metric_name : str or None, default=None
        How the metric is shown; defaults to ``metric``.
    lower_is_better : bool, default=True
    details : sequence of str, default=()
        History keys appended to each line (the ``verbose=2`` columns).

    Attributes
    ----------
    log_ : EpochLog
        The writer of the current fit (made in ``on_train_begin``).

    See Also
    --------
    EpochLog : The line format.

    Examples
    --------
    >>> from skorch import NeuralNetRegressor
    >>> from mmsense.nn import ProgressCallback
    >>> net = NeuralNetRegressor(
    ...     "placeholder", callbacks=[("progress", ProgressCallback("net", "valid_loss"))],
    ...     verbose=0)
    """

    def __init__(self, title="training", metric=None, metric_name=None, lower_is_better=True,
                 details=()):
        self.title = title
        self.metric = metric
        self.metric_name = metric_name
        self.lower_is_better = lower_is_better
        self.details = details

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        has_valid = net.train_split is not None
        self.log_ = EpochLog(self.title, net.max_epochs,
                             (self.metric_name or self.metric) if has_valid else None,
                             lower_is_better=self.lower_is_better)
        self.log_.begin()

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        value = row.get(self.metric) if self.metric else None
        details = {key: row.get(key) for key in self.details}
        self.log_.epoch(row["epoch"], row.get("train_loss"), value, details)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        stopper = dict(getattr(net, "callbacks_", [])).get("early_stopping")
        best = getattr(stopper, "best_epoch_", None)
        epochs = len(net.history)
        if stopper is not None and best and epochs < net.max_epochs:
            self.log_.end(f"stopped early after {epochs} epochs; kept epoch {best}")


def step_line(text, file=None):
    """Print one progress line of a step that is not an epoch (e.g. CMCSL's propagation)."""
    print(text, file=file or sys.stdout, flush=True)


def progress_callbacks(level, title, metric=None, *, metric_name=None, lower_is_better=True,
                       details=()):
    """``[("progress", ProgressCallback)]`` when ``level >= 1``, else ``[]``.

    ``details`` are shown only at ``level >= 2``.
    """
    if level < 1:
        return []
    return [("progress", ProgressCallback(title, metric, metric_name, lower_is_better,
                                          tuple(details) if level >= 2 else ()))]


def named_callbacks(callbacks) -> dict:
    """The well-formed ``(name, Callback)`` pairs of a ``callbacks`` value, never raising
    (``get_params``/``set_params`` must not validate; ``fit`` does, via :func:`user_callbacks`).
    """
    if not isinstance(callbacks, (list, tuple)):
        return {}
    return {item[0]: item[1] for item in callbacks
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            and isinstance(item[1], Callback)}


def user_callbacks(callbacks) -> list:
    """Check the ``callbacks`` parameter: None or a list of ``(name, skorch Callback)``."""
    if callbacks is None:
        return []
    checked = []
    for item in callbacks:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], Callback)):
            raise ValueError(
                "callbacks must be a list of (name, skorch.callbacks.Callback) pairs; "
                f"got {item!r}."
            )
        checked.append(item)
    names = [name for name, _ in checked]
    reserved = sorted({"progress", "early_stopping"} & set(names))
    if reserved:
        raise ValueError(f"callbacks may not be named {reserved}: mmsense uses those names.")
    if len(set(names)) != len(names):
        raise ValueError(f"callbacks names must be unique; got {names}.")
    return checked
