"""
Semi-supervised DEC: what pretraining on unlabeled rows buys
============================================================

:class:`~mmsense.DECClassifier` first fits a
:class:`~mmsense.DECPretrainer` on *every* row (autoencoder pretraining, then
deep embedded clustering with the labeled rows placing one centre per class),
then fine-tunes the encoder with a classifier head on the labeled rows. Is the
pretraining worth it? A label-budget curve answers: the held-out score as the
fraction of labeled training rows grows, for

* ``DECClassifier`` (pretrained on all rows),
* the same network trained from scratch on the labeled rows only
  (``pretrain=False``), and
* scikit-learn's :class:`~sklearn.semi_supervised.SelfTrainingClassifier`
  around a logistic regression on mean-pooled modalities.

:func:`~mmsense.inspection.label_budget_curve` hides labels by setting
``y = -1`` on the training part only and scores on held-out labeled rows;
:class:`~mmsense.inspection.LabelBudgetDisplay` draws the curves side by side
on the same splits and label subsets. The networks then show their training
with :class:`~mmsense.inspection.TrainingHistoryDisplay` and their latent
space with :class:`~mmsense.inspection.EmbeddingDisplay`.

The default run is tiny (a few hundred rows, a few epochs, one split per
fraction); ``MMSENSE_EXAMPLE_FULL=1`` runs more rows, epochs, folds and
repeats.
"""

# %%
# Data
# ----
# Three sentiment classes, noisy modalities with short sequences.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from mmsense import DECClassifier, DECPretrainer
from mmsense.datasets import make_multimodal_sentiment
from mmsense.inspection import EmbeddingDisplay, LabelBudgetDisplay, TrainingHistoryDisplay

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples = 1200 if FULL else 200
epochs = 40 if FULL else 3
modalities = {"text": 16, "audio": (8, 5), "vision": (8, 8)}
X, y, modalities = make_multimodal_sentiment(n_samples, modalities, n_clusters=3,
                                             task="multiclass", noise=3.0, random_state=0)

# %%
# Three models
# ------------
# Both DEC arms share one architecture (``pretrainer``); only ``pretrain``
# differs. The self-training baseline needs one vector per row: each sequence
# is averaged over its real steps (NaN marks padding).


def mean_pool(X, modalities=modalities):
    """Static blocks as they are, each sequence averaged over its real steps."""
    blocks, start = [], 0
    for shape in modalities.values():
        steps, width = (1, shape) if isinstance(shape, int) else shape
        block = X[:, start:start + steps * width].reshape(len(X), steps, width)
        blocks.append(np.nanmean(block, axis=1))
        start += steps * width
    return np.hstack(blocks)


pretrainer = DECPretrainer(modalities=modalities, embed_dim=16, num_heads=2, hidden_dims=(32,),
                           latent_dim=8, num_layers=1, pretrain_max_epochs=epochs,
                           max_epochs=epochs)
models = {
    "DECClassifier": DECClassifier(pretrainer, max_epochs=5 * epochs, random_state=0),
    "same network, from scratch": DECClassifier(pretrainer, pretrain=False,
                                                max_epochs=5 * epochs, random_state=0),
    "SelfTrainingClassifier": make_pipeline(
        FunctionTransformer(mean_pool), StandardScaler(),
        SelfTrainingClassifier(LogisticRegression(max_iter=1000))),
}

# %%
# The label-budget curve
# ----------------------
# Every model gets the same splits and the same labeled subsets
# (``random_state``). Within a repeat the subsets are nested: a larger
# fraction adds labels to the smaller one's.
display = LabelBudgetDisplay.from_estimator(
    models, X, y,
    fractions=(0.05, 0.1, 0.25, 0.5, 1.0) if FULL else (0.05, 0.3),
    cv=5 if FULL else 2, n_repeats=3 if FULL else 1,
    scoring="balanced_accuracy", random_state=0)
display.ax_.set_title("held-out balanced accuracy")
for name, result in display.results_.items():
    print(f"{name:28s}", np.round(result.scores_mean, 3))

# %%
# At the default size (200 rows, 3 epochs per phase, one split of two folds)
# the curves are noisy and the networks barely trained, so read them as a
# demonstration of the tool, not as a result; the full-size run
# (``MMSENSE_EXAMPLE_FULL=1``: 1200 rows, 40 epochs, 5 folds x 3 repeats)
# is the comparison. The project's DEC benchmark records give the measured
# comparison on CMU-MOSI.

# %%
# Inside one DECClassifier
# ------------------------
# Fit on 20% of the labels and look at its training: the pretrainer's two
# phases (autoencoder, then clustering with its labeled hold-out) and the
# fine-tuning, each with the epoch whose weights were kept.
rng = np.random.RandomState(0)
y_partial = np.where(rng.rand(len(y)) < 0.2, y, -1)
clf = models["DECClassifier"].fit(X, y_partial)
TrainingHistoryDisplay.from_estimator(clf)

# %%
# The pretrainer's latent codes (``transform``), coloured by class (grey:
# unlabeled), with the cluster centres, one per class.
EmbeddingDisplay.from_estimator(clf.pretrainer_, X, y_partial, random_state=0)
plt.show()
