"""Per-epoch scalars of a skorch history, for the estimators' ``history_``."""

from __future__ import annotations

EPOCH_KEYS = ("epoch", "train_loss", "valid_loss", "valid_acc", "dur")


def epoch_history(history, keys=EPOCH_KEYS) -> list:
    """One dict per epoch with the ``keys`` it has (batch details dropped)."""
    return [{k: row[k] for k in keys if k in row} for row in history]
