"""Inspection and plots: latent maps, training curves, label budgets, modality importance.

Plots need matplotlib (``pip install "mmsense[plot]"``), imported only when
something is drawn; :func:`label_budget_curve` and :func:`modality_importance`
compute without it. The displays follow scikit-learn's Display API
(``from_estimator``, ``plot(ax=...)``, ``ax_``, ``figure_``); for confusion
matrices of the rounded sentiment classes and predicted-vs-true scores, use
scikit-learn's :class:`~sklearn.metrics.ConfusionMatrixDisplay` and
:class:`~sklearn.metrics.PredictionErrorDisplay` (the gallery shows how).
"""

from ._embedding import EmbeddingDisplay
from ._history import TrainingHistoryDisplay
from ._label_budget import LabelBudgetDisplay, label_budget_curve
from ._modality_importance import ModalityImportanceDisplay, modality_importance

__all__ = [
    "EmbeddingDisplay",
    "TrainingHistoryDisplay",
    "LabelBudgetDisplay",
    "label_budget_curve",
    "ModalityImportanceDisplay",
    "modality_importance",
]
