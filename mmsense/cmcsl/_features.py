"""One feature vector per row and modality, preprocessed as CMCSL expects.

CMCSL clusters and classifies per-modality *vectors*. A sequence modality is
first pooled to a vector: the mean over its real steps (padding excluded; a row
with no real step pools to zeros). Each modality's vectors are then, by
default, L2-normalised row by row and standardised column by column (the
authors' best setting). The scalers are fitted in ``fit`` only and reused at
predict time (the authors' code refits them on test data; we do not).
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, Normalizer, StandardScaler

from .._contract import split_modalities

PREPROCESSING = ("l2_standard", "standard", "l2", "none")


def pool_modalities(X, specs) -> dict[str, np.ndarray]:
    """Return ``{name: (n, d) array}``; sequences are averaged over their real steps."""
    vectors = {}
    for name, block in split_modalities(X, specs).items():
        if block.lengths is None:
            vectors[name] = block.values
            continue
        # padding is already 0 in block.values, so the sum runs over real steps only
        counts = np.maximum(block.lengths, 1).astype(block.values.dtype)
        vectors[name] = block.values.sum(axis=1) / counts[:, None]
    return vectors


def make_preprocessor(preprocessing: str):
    """An unfitted transformer for one modality's vectors."""
    if preprocessing == "l2_standard":
        return make_pipeline(Normalizer(norm="l2"), StandardScaler())
    if preprocessing == "standard":
        return StandardScaler()
    if preprocessing == "l2":
        return Normalizer(norm="l2")
    return FunctionTransformer()


def check_preprocessing(preprocessing) -> None:
    if preprocessing not in PREPROCESSING:
        raise ValueError(
            f"preprocessing must be one of {PREPROCESSING}; got {preprocessing!r}."
        )
