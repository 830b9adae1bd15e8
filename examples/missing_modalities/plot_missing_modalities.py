"""
Missing modalities against mean imputation
==========================================

A modality missing from a row is written as NaN in all of its columns (a
sequence: every step NaN). Every mmsense estimator accepts such rows at fit
and at predict time; :class:`~mmsense.CMCSLSelfLabeler` lets a missing
modality neither propose nor settle a row's label, and averages the
prediction over the modalities the row has.

The simple alternative is to impute: scikit-learn's ``SimpleImputer`` fills a
missing block with the training mean, and the estimator sees the mean as if it
were a real clip. This example draws both as audio and vision go missing
from a growing share of the rows, once in training and test rows and once in
test rows only. The full benchmark, with DEC, the MLP and MMRest, is
``python -m benchmarks.bench_missing_modalities`` (see the user guide).
``MMSENSE_EXAMPLE_FULL=1`` runs MOSI-size data and five draws.
"""

# %%
# Data, and how to mark a missing modality
# ----------------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline

from mmsense import CMCSLSelfLabeler
from mmsense.datasets import make_multimodal_sentiment

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples, n_draws = (1970, 5) if FULL else (800, 2)
FRACTIONS = (0.0, 0.1, 0.3, 0.5)


def draw(seed):
    """Binary polarity, 10% of the training rows labeled, no sequence padding."""
    X, y, modalities, latent = make_multimodal_sentiment(
        n_samples, task="binary", noise=4.0, unaligned=False, labeled_fraction=0.1,
        return_latent=True, random_state=seed)
    cut = int(0.65 * n_samples)
    truth = (latent.score >= 0).astype(int)
    return X[:cut], y[:cut], X[cut:], truth[cut:], modalities


def without_audio_and_vision(X, fraction, seed):
    """A copy of X where ``fraction`` of the rows miss audio and vision (all NaN)."""
    X = X.copy()
    rows = np.random.RandomState(seed).permutation(len(X))[:int(fraction * len(X))]
    X[rows, 32:] = np.nan  # text is columns 0-31, audio and vision the rest
    return X


X_train, y_train, X_test, y_test, modalities = draw(0)
print(modalities)
clf = CMCSLSelfLabeler(GaussianNB(), modalities=modalities)
clf.fit(without_audio_and_vision(X_train, 0.3, seed=0), y_train)
print("training rows missing each modality:", clf.n_missing_)

# %%
# Native handling against imputation
# ----------------------------------
# ``SimpleImputer`` fills every NaN, so it needs data without sequence padding
# (``unaligned=False``); with padding it would turn padding steps into real ones.


def models(modalities):
    native = CMCSLSelfLabeler(GaussianNB(), modalities=modalities)
    return {"native": native, "impute": make_pipeline(SimpleImputer(), clone(native))}


def scores(seed):
    X_train, y_train, X_test, y_test, modalities = draw(seed)
    complete = {method: model.fit(X_train, y_train)
                for method, model in models(modalities).items()}
    rows = []
    for fraction in FRACTIONS:
        X_tr = without_audio_and_vision(X_train, fraction, seed)
        X_te = without_audio_and_vision(X_test, fraction, seed + 100)
        for method, model in models(modalities).items():
            fitted = model.fit(X_tr, y_train)
            rows.append(("training and test rows", method, fraction,
                         balanced_accuracy_score(y_test, fitted.predict(X_te))))
        for method, model in complete.items():
            rows.append(("test rows only", method, fraction,
                         balanced_accuracy_score(y_test, model.predict(X_te))))
    return rows


results = pd.DataFrame([row for seed in range(n_draws) for row in scores(seed)],
                       columns=["missing from", "method", "fraction", "balanced accuracy"])
table = results.groupby(["missing from", "method", "fraction"])["balanced accuracy"].mean()
print(table.unstack("fraction").round(3))

# %%
# The curves
# ----------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True, layout="constrained")
for ax, (where, part) in zip(axes, table.groupby(level="missing from")):
    for method, curve in part.groupby(level="method"):
        ax.plot(FRACTIONS, curve.values, marker="o", label=method)
    ax.set(title=f"audio and vision missing: {where}", xlabel="fraction of rows")
axes[0].set_ylabel("test balanced accuracy")
axes[1].legend()
plt.show()
