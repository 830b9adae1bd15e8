"""Per-modality preprocessing of CMCSL's feature vectors.

CMCSL clusters and classifies per-modality *vectors*. A sequence modality is
first pooled to a vector by the contract's ``modality_vectors`` (the mean over
its real steps). Each modality's vectors are then, by
default, L2-normalised row by row and standardised column by column (the
authors' best setting). The scalers are fitted in ``fit`` only and reused at
predict time (the authors' code refits them on test data; we do not).
"""

from __future__ import annotations

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer, StandardScaler

PREPROCESSING = ("l2_standard", "standard", "l2", "none")


def make_preprocessor(preprocessing: str):
    """An unfitted transformer for one modality's vectors."""
    if preprocessing == "l2_standard":
        return make_pipeline(Normalizer(norm="l2"), StandardScaler())
    if preprocessing == "standard":
        return StandardScaler()
    if preprocessing == "l2":
        return Normalizer(norm="l2")
    return FunctionTransformer()
