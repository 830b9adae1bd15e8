"""Neural-network estimators for plain feature matrices (no modality spec)."""

from ._mlp import TorchMLPClassifier

__all__ = ["TorchMLPClassifier"]
