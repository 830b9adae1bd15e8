"""
Quick start: MMRest in a pipeline and a grid search
===================================================

Multimodal sentiment analysis with :class:`~mmsense.MMRestRegressor` as any
scikit-learn regressor: the three modalities live side by side in one matrix
``X`` (a static text vector, and audio and vision sequences with NaN padding),
:class:`~mmsense.ModalityScaler` standardises each modality,
:class:`~sklearn.model_selection.GridSearchCV` picks the number of sentiment
clusters and the intra-cluster margin with an MSA scorer, and
:func:`~mmsense.msa_report` gives the standard MSA metrics of the best model
on held-out rows.

The default run is small (a few hundred rows, a few epochs) so that it runs in
seconds; set ``MMSENSE_EXAMPLE_FULL=1`` for the full-size run.
"""

# %%
# Data in the input contract
# --------------------------
# :func:`~mmsense.datasets.make_multimodal_sentiment` draws synthetic tri-modal
# data whose scores in [-3, 3] come from 7 sentiment clusters. ``modalities``
# says how the columns of ``X`` split: an int is a static vector, a pair
# ``(T, d)`` a sequence of up to ``T`` steps of ``d`` features.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from mmsense import ModalityScaler, MMRestRegressor, get_msa_scorer, msa_report
from mmsense.datasets import make_multimodal_sentiment

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples, max_epochs = (1200, 100) if FULL else (240, 12)

X, y, modalities = make_multimodal_sentiment(n_samples, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
print(modalities, X.shape)

# %%
# A pipeline and a grid search
# ----------------------------
# Every mmsense estimator takes the same ``modalities``; ``get_msa_scorer``
# turns an MSA metric into a scorer (``neg_mae``: minus the mean absolute
# error, so that greater is better).
pipe = Pipeline([
    ("scale", ModalityScaler(modalities=modalities)),
    ("mmrest", MMRestRegressor(modalities=modalities, hidden_dim=16, decision_dim=16,
                               lstm_hidden_dim=8, lr=3e-3, batch_size=32,
                               max_epochs=max_epochs, random_state=0)),
])
grid = GridSearchCV(
    pipe,
    {"mmrest__n_clusters": [3, 7], "mmrest__margin": [1.0, 3.0]},
    scoring=get_msa_scorer("neg_mae"),
    cv=3 if FULL else 2,
)
grid.fit(X_train, y_train)
results = pd.DataFrame(grid.cv_results_)
print(results[["param_mmrest__n_clusters", "param_mmrest__margin", "mean_test_score",
               "rank_test_score"]].to_string(index=False))
print("best:", grid.best_params_)

# %%
# The MSA report of the best model
# --------------------------------
# MAE, Pearson correlation, the 7-, 5- and 3-class accuracies and the binary
# accuracies and F1 with and without the neutral (zero) scores.
y_pred = grid.predict(X_test)
report = msa_report(y_test, y_pred)
print(pd.Series(report).round(3).to_string())

# %%
# Plots with scikit-learn's displays
# ----------------------------------
# No new plotting code is needed for predictions: scikit-learn's
# :class:`~sklearn.metrics.PredictionErrorDisplay` shows predicted against true
# scores, and :class:`~sklearn.metrics.ConfusionMatrixDisplay` the confusion
# matrix of the 7 rounded sentiment classes (-3 .. 3) behind Acc-7.
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
PredictionErrorDisplay.from_predictions(y_test, y_pred, kind="actual_vs_predicted", ax=ax0)
ax0.set_title(f"MAE {report['mae']:.2f}, corr {report['corr']:.2f}")
classes = np.arange(-3, 4)
ConfusionMatrixDisplay.from_predictions(
    np.clip(np.round(y_test), -3, 3).astype(int), np.clip(np.round(y_pred), -3, 3).astype(int),
    labels=classes, ax=ax1, colorbar=False)
ax1.set_title(f"rounded classes, Acc-7 {report['acc7']:.2f}")
plt.show()
