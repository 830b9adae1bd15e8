"""mmsense: semi-supervised, clustering-based multimodal sentiment analysis for scikit-learn.

Public names are re-exported here; the implementation lives in private modules
(see the README's map of the package).
"""

from ._contract import stack_modalities
from .cmcsl import CMCSLSelfLabeler, TorchMLPClassifier
from .dec import DECClassifier, DECPretrainer
from .metrics import get_msa_scorer, msa_report, msa_scorers
from .model_selection import (
    LabelledStratifiedKFold,
    RepeatedLabelledStratifiedKFold,
    labelled_scorer,
)
from .mmrest import MMRestRegressor
from .preprocessing import ModalityScaler

__version__ = "0.1.0.dev0"

__all__ = [
    "MMRestRegressor",
    "DECPretrainer",
    "DECClassifier",
    "CMCSLSelfLabeler",
    "TorchMLPClassifier",
    "stack_modalities",
    "ModalityScaler",
    "msa_report",
    "get_msa_scorer",
    "msa_scorers",
    "LabelledStratifiedKFold",
    "RepeatedLabelledStratifiedKFold",
    "labelled_scorer",
]
