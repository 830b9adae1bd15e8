"""
Which modality matters? Permutation importance per modality
===========================================================

Permutation importance measures how much a fitted model's held-out score drops
when one input is shuffled across rows. Per *column*, as
:func:`sklearn.inspection.permutation_importance` does it, this fails on
sequence modalities: shuffling one column moves NaN padding into real steps
(partly-NaN steps, which mmsense's estimators reject), and a single
feature of a single step says little anyway.
:func:`~mmsense.inspection.modality_importance` shuffles each modality's whole
block (every step and feature, padding included) as one piece, so every row
keeps a valid sequence, taken from another row, and the answer is per
modality. :class:`~mmsense.inspection.ModalityImportanceDisplay` draws it.

The synthetic data makes the answer known: text carries the signal, audio a
little, vision nothing. ``MMSENSE_EXAMPLE_FULL=1`` runs more rows, epochs and
repeats.
"""

# %%
# A model on data with a known answer
# -----------------------------------
import os

import matplotlib.pyplot as plt

from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from mmsense import ModalityScaler, MMRestRegressor, get_msa_scorer
from mmsense.datasets import make_multimodal_sentiment
from mmsense.inspection import ModalityImportanceDisplay, modality_importance

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples, max_epochs, n_repeats = (1500, 100, 10) if FULL else (300, 12, 3)
X, y, modalities = make_multimodal_sentiment(
    n_samples, {"text": 16, "audio": (10, 5), "vision": (10, 8)},
    modality_informativeness={"text": 1.0, "audio": 0.3, "vision": 0.0}, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
model = Pipeline([
    ("scale", ModalityScaler(modalities=modalities)),
    ("mmrest", MMRestRegressor(modalities=modalities, hidden_dim=16, decision_dim=16,
                               lstm_hidden_dim=8, lr=3e-3, batch_size=32,
                               max_epochs=max_epochs, random_state=0)),
]).fit(X_train, y_train)

# %%
# Column-wise permutation importance fails on sequences
# -----------------------------------------------------
try:
    permutation_importance(model, X_test, y_test, n_repeats=1, random_state=0)
except ValueError as exc:
    print("permutation_importance:", str(exc).splitlines()[0][:160])

# %%
# Permutation importance per modality
# -----------------------------------
# ``modalities`` is read from the pipeline's estimators when not given; the
# score is minus the MAE, so an importance is the MAE added by shuffling.
result = modality_importance(model, X_test, y_test, scoring=get_msa_scorer("neg_mae"),
                             n_repeats=n_repeats, random_state=0)
for name, mean, std in zip(result.modalities, result.importances_mean, result.importances_std):
    print(f"{name:7s} {mean:+.3f} +- {std:.3f}")

display = ModalityImportanceDisplay(result.importances, result.modalities,
                                    score_name="neg MAE").plot()
display.ax_.set_title(f"baseline MAE {-result.baseline_score:.2f}")
plt.show()
