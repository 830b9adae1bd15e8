"""
CMCSL against its UNI and PRE baselines across label budgets
============================================================

:class:`~mmsense.CMCSLSelfLabeler` labels the unlabeled rows (``y = -1``) by
clustering each modality around the labeled rows, settles disagreements
between modalities by trusting the more confident one, then trains a
classifier on every row. Its paper compares it with two baselines, both
available through ``mode``:

* ``"uni"``: each modality self-labels on its own (no cross-modal resolution);
* ``"pre"``: the classifiers learn from the labeled rows only.

This example draws the three as the labeled fraction grows
(:class:`~mmsense.inspection.LabelBudgetDisplay`), then opens one fitted
self-labeler: ``label_modality_`` says which modality supplied each
self-assigned label, and the synthetic data's true labels tell how often each
modality was right.

One modality is made weak (``modality_informativeness``) so that the choice
between modalities matters. ``MMSENSE_EXAMPLE_FULL=1`` runs more rows, folds
and repeats.
"""

# %%
# Data: a strong text modality, a weak audio one
# ----------------------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from mmsense import CMCSLSelfLabeler, labeled_scorer
from mmsense.datasets import make_multimodal_sentiment
from mmsense.inspection import LabelBudgetDisplay

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples = 3000 if FULL else 600
X, y, modalities = make_multimodal_sentiment(
    n_samples, {"text": 16, "audio": (10, 6)}, n_clusters=3, task="multiclass", noise=2.0,
    modality_informativeness={"text": 1.0, "audio": 0.5}, random_state=0)

# %%
# Three modes, one classifier
# ---------------------------
# A logistic regression per modality (``fusion="late"``, the default) keeps
# this fast; the default classifier is mmsense's
# :class:`~mmsense.TorchMLPClassifier`.
models = {mode.upper(): CMCSLSelfLabeler(LogisticRegression(max_iter=1000),
                                         modalities=modalities, mode=mode)
          for mode in ("cmcsl", "uni", "pre")}
display = LabelBudgetDisplay.from_estimator(
    models, X, y, fractions=(0.01, 0.03, 0.1, 0.3),
    cv=5 if FULL else 3, n_repeats=5 if FULL else 2,
    scoring="balanced_accuracy", random_state=0)
display.ax_.set_xscale("log")
display.ax_.set_title("held-out balanced accuracy")
print(pd.DataFrame({name: res.scores_mean for name, res in display.results_.items()},
                   index=display.fractions).round(3))

# %%
# Which modality supplied each label?
# -----------------------------------
# Fit CMCSL with 1% of the labels. ``label_modality_`` names the modality
# whose proposal was kept for every self-labeled row (None on the rows the
# user labeled); ``transduction_`` holds the labels themselves.
rng = np.random.RandomState(0)
labeled = np.zeros(len(y), dtype=bool)
for c in np.unique(y):  # at least one labeled row per class
    rows = np.flatnonzero(y == c)
    labeled[rng.choice(rows, max(1, len(rows) // 100), replace=False)] = True
y_partial = np.where(labeled, y, -1)
clf = models["CMCSL"].fit(X, y_partial)

self_labeled = ~labeled
source = pd.Series(clf.label_modality_[self_labeled], name="modality")
correct = clf.transduction_[self_labeled] == y[self_labeled]
summary = pd.DataFrame({"rows": source.value_counts(),
                        "correct": pd.Series(correct).groupby(source.values).mean().round(3)})
print(summary)
print("where text and audio disagreed, the kept label was right for",
      f"{np.mean(correct[clf.modality_labels_['text'][self_labeled] != clf.modality_labels_['audio'][self_labeled]]):.3f}",
      "of the rows")

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
summary["rows"].plot.bar(ax=ax, rot=0)
ax.set(title="modality that supplied each self-label", ylabel="rows")

# %%
# Scoring semi-supervised models
# ------------------------------
# ``labeled_scorer`` scores only rows with a label, so a model can be scored
# on data that still holds ``-1`` rows:
print("balanced accuracy on the labeled rows:",
      labeled_scorer("balanced_accuracy")(clf, X, y_partial))
plt.show()
