"""
Inside a fitted MMRest: clusters, bins, metrics and the projection bias
=======================================================================

:class:`~mmsense.MMRestRegressor` maps every modality of a row into one shared
space, clusters those points into sentiment clusters, gives each cluster a
sentiment bin (0 = most negative .. 6 = most positive) by a vote of its
nearest training points, and learns a Mahalanobis metric per cluster
(``M_i = M0 + dM_i + beta * I``). A prediction is a fusion score plus
``gamma`` times a *projection bias* that pulls each row towards its
second-nearest cluster. This example reads each of these from a fitted
model: ``cluster_centers_``, ``cluster_bins_``, ``metric_``,
``local_metrics_``, :meth:`~mmsense.MMRestRegressor.embed`, and draws the
shared space with :class:`~mmsense.inspection.EmbeddingDisplay` and the
training curves with :class:`~mmsense.inspection.TrainingHistoryDisplay`.

Set ``MMSENSE_EXAMPLE_FULL=1`` for the full-size run.
"""

# %%
# Fit a model
# -----------
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mmsense import ModalityScaler, MMRestRegressor
from mmsense.datasets import make_multimodal_sentiment
from mmsense.inspection import EmbeddingDisplay, TrainingHistoryDisplay

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples, max_epochs = (1500, 100) if FULL else (300, 15)

X, y, modalities = make_multimodal_sentiment(n_samples, random_state=0)
X = ModalityScaler(modalities=modalities).fit_transform(X)
n_train = int(0.7 * n_samples)
model = MMRestRegressor(modalities=modalities, n_clusters=7, hidden_dim=16, decision_dim=16,
                        lstm_hidden_dim=8, lr=3e-3, batch_size=32, max_epochs=max_epochs,
                        random_state=0)
model.fit(X[:n_train], y[:n_train])

# %%
# Cluster centres and their sentiment bins
# ----------------------------------------
# ``cluster_bins_[i]`` is the bin of cluster ``i``: with the default
# ``label_range=(-3, 3)``, bin ``b`` covers ``[-3 + b * 6/7, -3 + (b + 1) * 6/7)``.
# Several clusters may share a bin, and a bin may have no cluster.
low, high = model.label_range
width = (high - low) / 7
centres = pd.DataFrame({
    "bin": model.cluster_bins_,
    "bin range": [f"[{low + b * width:+.2f}, {low + (b + 1) * width:+.2f})"
                  for b in model.cluster_bins_],
    "centre norm": np.linalg.norm(model.cluster_centers_, axis=1).round(2),
})
print(centres)

# %%
# The learned metrics
# -------------------
# ``metric_`` is the global metric M0 and ``local_metrics_[i]`` the local
# correction dM_i of cluster i; both are kept positive semi-definite. The
# eigenvalues show how far each cluster's metric departs from the Euclidean
# one (all eigenvalues equal).
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
image = ax0.imshow(model.metric_, cmap="viridis")
fig.colorbar(image, ax=ax0)
ax0.set_title("global metric M0")
full_metrics = model.metric_ + model.local_metrics_ + model.beta * np.eye(model.hidden_dim)
for i, metric in enumerate(full_metrics):
    ax1.plot(np.sort(np.linalg.eigvalsh(metric))[::-1], marker=".",
             label=f"cluster {i} (bin {model.cluster_bins_[i]})")
ax1.set(title="eigenvalues of each cluster's metric", xlabel="rank", yscale="log")
ax1.legend(fontsize=7)

# %%
# The projection bias
# -------------------
# ``embed`` returns, for each row, the shared-space points, the nearest and
# second-nearest clusters of each modality, the decision score and the
# projection bias; the prediction is ``decision + gamma * bias``.
parts = model.embed(X[n_train:])
prediction = model.predict(X[n_train:])
assert np.allclose(prediction, parts.decision + model.gamma * parts.bias, atol=1e-4)
print("modalities:", parts.modalities)
print("mean |gamma * bias|:", float(np.abs(model.gamma * parts.bias).mean()))
print("MAE without / with the bias:",
      float(np.abs(parts.decision - y[n_train:]).mean()),
      float(np.abs(prediction - y[n_train:]).mean()))

# %%
# A map of the shared space
# -------------------------
# Each held-out row gives one point per modality (marker), coloured by its
# true score; the crosses are the cluster centres with their bins. PCA is the
# default projection; ``method="tsne"`` gives a t-SNE map.
EmbeddingDisplay.from_estimator(model, X[n_train:], y[n_train:], random_state=0)

# %%
# Training curves
# ---------------
# MMRest's two losses apart: the multi-metric clustering loss L_MMC and the
# L1 loss (on the validation split, the MAE that selects the kept epoch).
TrainingHistoryDisplay.from_estimator(model)
plt.show()
