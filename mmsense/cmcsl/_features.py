"""Per-modality preprocessing of CMCSL's feature vectors.

CMCSL clusters and classifies per-modality *vectors*. A sequence modality is
first pooled to a vector by the contract's ``modality_vectors`` (the mean over
its real steps). Each modality's vectors are then, by
default, L2-normalised row by row and standardised column by column (the
authors' best setting). The scalers are fitted in ``fit`` only and reused at
predict time (the authors' code refits them on test data; we do not).
A modality missing from a row (all NaN) is left out of the fitting and its
vector there is 0; the presence masks say which rows hold real vectors.
"""

from __future__ import annotations

import numpy as np
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


def fit_preprocessors(vectors: dict, present: dict, preprocessing: str) -> dict:
    """One fitted preprocessor per modality, fitted on the rows that have the modality."""
    return {name: make_preprocessor(preprocessing).fit(values[present[name]])
            for name, values in vectors.items()}


def transform_features(preprocessors: dict, vectors: dict, present: dict) -> dict:
    """Each modality's preprocessed vectors; rows missing the modality are 0.

    The rows of a missing modality are never read as features: propagation and
    the late-fusion classifiers take the present rows only, and early fusion
    pairs the zeros with an indicator column (:func:`early_fusion_matrix`).
    """
    features = {}
    for name, values in vectors.items():
        rows = present[name]
        if rows.all():
            features[name] = preprocessors[name].transform(values)
            continue
        out = np.zeros(values.shape, dtype=values.dtype)
        if rows.any():
            transformed = preprocessors[name].transform(values[rows])
            out = out.astype(transformed.dtype, copy=False)
            out[rows] = transformed
        features[name] = out
    return features


def early_fusion_matrix(features: dict, present: dict, indicators) -> np.ndarray:
    """The modalities side by side, then one presence column (1.0: present) per name in
    ``indicators``: the modalities that were missing from some training row, as
    ``SimpleImputer(add_indicator=True)`` chooses its indicators.
    """
    blocks = list(features.values())
    dtype = np.result_type(*blocks)
    blocks += [present[name][:, None].astype(dtype) for name in indicators]
    return np.concatenate(blocks, axis=1)
