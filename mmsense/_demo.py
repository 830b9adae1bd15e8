"""The main job: fit every mmsense estimator on synthetic tri-modal data, print an MSA table."""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from .datasets import make_multimodal_sentiment
from .metrics import acc2_has0, acc2_non0, f1_has0, f1_non0, msa_report
from .preprocessing import ModalityScaler

DEMO_MODALITIES = {"text": 64, "audio": (30, 5), "vision": (30, 8)}


def _regressors(modalities, max_epochs, seed, verbose=0):
    from .mmrest import MMRestRegressor

    text_cols = list(range(DEMO_MODALITIES["text"]))
    return {
        "MMRestRegressor": make_pipeline(
            ModalityScaler(modalities=modalities),
            MMRestRegressor(modalities=modalities, max_epochs=max_epochs, random_state=seed,
                            verbose=verbose),
        ),
        "Ridge (text block)": _ColumnSubset(Ridge(), text_cols),
    }


def _classifiers(modalities, max_epochs, seed, verbose=0):
    from .cmcsl import CMCSLSelfLabeler
    from .dec import DECClassifier, DECPretrainer

    pretrainer = DECPretrainer(
        2, modalities=modalities, pretrain_max_epochs=max_epochs, max_epochs=max_epochs, random_state=seed,
        verbose=verbose,
    )
    text_cols = list(range(DEMO_MODALITIES["text"]))
    return {
        "DECClassifier": make_pipeline(
            ModalityScaler(modalities=modalities),
            DECClassifier(pretrainer, max_epochs=max_epochs, random_state=seed, verbose=verbose),
        ),
        "CMCSLSelfLabeler": make_pipeline(
            ModalityScaler(modalities=modalities),
            CMCSLSelfLabeler(modalities=modalities, random_state=seed, verbose=verbose),
        ),
        "LogisticRegression (labeled text)": _ColumnSubset(LogisticRegression(), text_cols,
                                                             labeled_only=True),
    }


class _ColumnSubset:
    """A baseline on some columns only (the static text block has no NaN padding)."""

    def __init__(self, estimator, columns, labeled_only=False):
        self.estimator, self.columns, self.labeled_only = estimator, columns, labeled_only

    def fit(self, X, y):
        rows = y != -1 if self.labeled_only else slice(None)
        self.estimator.fit(X[rows][:, self.columns], y[rows])
        return self

    def predict(self, X):
        return self.estimator.predict(X[:, self.columns])


def _polarity_scores(y_score, predicted_class):
    """Binary-polarity metrics of a classifier against the true scores (class 1 = positive)."""
    signed = np.where(predicted_class == 1, 1.0, -1.0)
    return {
        "acc2_has0": acc2_has0(y_score, signed),
        "f1_has0": f1_has0(y_score, signed),
        "acc2_non0": acc2_non0(y_score, signed),
        "f1_non0": f1_non0(y_score, signed),
    }


def _announce(name, verbose, file):
    if verbose:
        print(f"-- fitting {name}", file=file, flush=True)


def run_demo(n_samples=600, max_epochs=10, labeled_fraction=0.3, random_state=0, file=None,
             verbose=0):
    """Fit every estimator on synthetic tri-modal data and print their test-split scores.

    Regressors get the full MSA report; classifiers (binary polarity, trained with
    ``labeled_fraction`` of the labels, -1 elsewhere) get the Acc-2 / F1 columns.
    ``verbose`` is passed to every mmsense estimator (their progress goes to stdout).

    Returns
    -------
    pandas.DataFrame
        One row per model.
    """
    file = file or sys.stdout
    X, y, modalities = make_multimodal_sentiment(
        n_samples, DEMO_MODALITIES, modality_informativeness={"text": 1.0, "audio": 0.6, "vision": 0.4},
        random_state=random_state,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=random_state)
    rng = np.random.default_rng(random_state)
    y_polarity = (y_tr >= 0).astype(int)
    y_semi = np.where(rng.random(len(y_tr)) < labeled_fraction, y_polarity, -1)

    print(f"Synthetic tri-modal data: {len(y_tr)} train / {len(y_te)} test rows, "
          f"modalities {modalities}; classifiers see {np.mean(y_semi != -1):.0%} of the labels.",
          file=file)
    rows = {}
    for name, model in _regressors(modalities, max_epochs, random_state, verbose).items():
        _announce(name, verbose, file)
        start = time.perf_counter()
        rows[name] = msa_report(y_te, model.fit(X_tr, y_tr).predict(X_te))
        rows[name]["fit_s"] = time.perf_counter() - start
    for name, model in _classifiers(modalities, max_epochs, random_state, verbose).items():
        _announce(name, verbose, file)
        start = time.perf_counter()
        rows[name] = _polarity_scores(y_te, model.fit(X_tr, y_semi).predict(X_te))
        rows[name]["fit_s"] = time.perf_counter() - start
    table = pd.DataFrame.from_dict(rows, orient="index")
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"), file=file)
    return table
