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
from .metrics import _METRICS, msa_report
from .preprocessing import ModalityScaler

DEMO_MODALITIES = {"text": 64, "audio": (30, 5), "vision": (30, 8)}
# the static text block comes first in X; the baselines see only it
_TEXT_COLUMNS = list(range(DEMO_MODALITIES["text"]))
_POLARITY_METRICS = ("acc2_has0", "f1_has0", "acc2_non0", "f1_non0")


def _scaled(estimator, modalities):
    return make_pipeline(ModalityScaler(modalities=modalities), estimator)


def _regressors(modalities, max_epochs, seed, verbose=0):
    from .mmrest import MMRestRegressor

    mmrest = MMRestRegressor(modalities=modalities, max_epochs=max_epochs, random_state=seed,
                             verbose=verbose)
    return {"MMRestRegressor": _scaled(mmrest, modalities),
            "Ridge (text block)": _ColumnSubset(Ridge(), _TEXT_COLUMNS)}


def _classifiers(modalities, max_epochs, seed, verbose=0):
    from .cmcsl import CMCSLSelfLabeler
    from .dec import DECClassifier, DECPretrainer

    pretrainer = DECPretrainer(2, modalities=modalities, pretrain_max_epochs=max_epochs,
                               max_epochs=max_epochs, random_state=seed, verbose=verbose)
    dec = DECClassifier(pretrainer, max_epochs=max_epochs, random_state=seed, verbose=verbose)
    cmcsl = CMCSLSelfLabeler(modalities=modalities, random_state=seed, verbose=verbose)
    return {"DECClassifier": _scaled(dec, modalities),
            "CMCSLSelfLabeler": _scaled(cmcsl, modalities),
            "LogisticRegression (labeled text)": _ColumnSubset(
                LogisticRegression(), _TEXT_COLUMNS, labeled_only=True)}


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
    return {name: _METRICS[name](y_score, signed) for name in _POLARITY_METRICS}


def run_demo(n_samples=600, max_epochs=10, labeled_fraction=0.3, random_state=0, file=None,
             verbose=0, report=None):
    """Fit every estimator on synthetic tri-modal data and print their test-split scores.

    Regressors get the full MSA report; classifiers (binary polarity, trained with
    ``labeled_fraction`` of the labels, -1 elsewhere) get the Acc-2 / F1 columns.
    ``verbose`` is passed to every mmsense estimator (their progress goes to stdout).
    ``report``: a folder to write the table, MMRest's figures and a summary
    (``summary.md``, ``summary.html``) into.

    Returns
    -------
    pandas.DataFrame
        One row per model.
    """
    file = file or sys.stdout
    X, y, modalities = make_multimodal_sentiment(
        n_samples, DEMO_MODALITIES,
        modality_informativeness={"text": 1.0, "audio": 0.6, "vision": 0.4},
        random_state=random_state,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=random_state)
    rng = np.random.default_rng(random_state)
    y_polarity = (y_tr >= 0).astype(int)
    y_semi = np.where(rng.random(len(y_tr)) < labeled_fraction, y_polarity, -1)

    settings = (f"Synthetic tri-modal data: {len(y_tr)} train / {len(y_te)} test rows, "
                f"modalities {modalities}; classifiers see {np.mean(y_semi != -1):.0%} of the "
                "labels.")
    print(settings, file=file)
    rows = {}
    regressors = _regressors(modalities, max_epochs, random_state, verbose)
    classifiers = _classifiers(modalities, max_epochs, random_state, verbose)
    for models, y_fit, scores in ((regressors, y_tr, msa_report),
                                  (classifiers, y_semi, _polarity_scores)):
        for name, model in models.items():
            if verbose:
                print(f"-- fitting {name}", file=file, flush=True)
            start = time.perf_counter()
            rows[name] = scores(y_te, model.fit(X_tr, y_fit).predict(X_te))
            rows[name]["fit_s"] = time.perf_counter() - start
    table = pd.DataFrame.from_dict(rows, orient="index")
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"), file=file)
    if report is not None:
        from ._demo_report import write_report

        written = write_report(report, table, settings, regressors["MMRestRegressor"], X_te, y_te)
        print(f"Report written to {report}: {', '.join(p.name for p in written)}", file=file)
    return table
