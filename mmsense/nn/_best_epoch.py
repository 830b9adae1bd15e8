"""Keeping the best epoch: the one way every estimator selects the weights it keeps.

``BestWeights`` copies the module's weights whenever a score improves and puts
the best copy back at the end. ``KeepBestEpoch`` is the same for skorch's epoch
loop, with early stopping on top; DEC's own phase-2 loop uses ``BestWeights``
directly. A start score (before the first epoch) makes the untrained start
"epoch 0", kept when no epoch beats it.
"""

from __future__ import annotations

import math

from skorch.callbacks import Callback


class BestWeights:
    """The module's weights at its best score so far (higher scores are better).

    Scores may be tuples, compared lexicographically (e.g. accuracy, then -loss).
    """

    def __init__(self, module, score=-math.inf, epoch=0):
        self.module = module
        self.epoch, self.score, self.state = epoch, score, self._snapshot()

    def _snapshot(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def offer(self, epoch: int, score) -> bool:
        """Record ``score`` for ``epoch``; keep its weights when it is the best so far."""
        improved = score > self.score
        if improved:
            self.epoch, self.score, self.state = epoch, score, self._snapshot()
        return improved

    def restore(self):
        """Put the best epoch's weights back into the module."""
        self.module.load_state_dict(self.state)


class KeepBestEpoch(Callback):
    """skorch callback: keep the epoch best on ``monitor``; stop after ``patience`` without one.

    Parameters
    ----------
    monitor : str
        History key scored each epoch (e.g. ``"valid_loss"``, ``"valid_acc"``).
    lower_is_better : bool, default=True
    patience : int or None, default=None
        Epochs without a better score before training stops; None never stops.
    start_score : float or None, default=None
        Score of the weights before training; when given, the start is epoch 0
        and is kept if no epoch beats it.

    Attributes
    ----------
    best_epoch_ : int
        Epoch whose weights the module holds after training.
    """

    def __init__(self, monitor, lower_is_better=True, patience=None, start_score=None):
        self.monitor = monitor
        self.lower_is_better = lower_is_better
        self.patience = patience
        self.start_score = start_score

    def _oriented(self, score):
        return -score if self.lower_is_better else score

    def on_train_begin(self, net, **kwargs):
        start = -math.inf if self.start_score is None else self._oriented(self.start_score)
        self.best_ = BestWeights(net.module_, start, epoch=0)
        self.best_epoch_ = 0

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        self.best_.offer(epoch, self._oriented(net.history[-1, self.monitor]))
        if self.patience is not None and epoch - self.best_.epoch >= self.patience:
            raise KeyboardInterrupt  # skorch's way to end the epoch loop cleanly

    def on_train_end(self, net, **kwargs):
        self.best_.restore()
        self.best_epoch_ = self.best_.epoch
        # the copy is in the module now; a saved model need not carry it twice (nor skops
        # meet tensors outside the module)
        del self.best_
