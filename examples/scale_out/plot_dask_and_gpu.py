"""
Scale-out: the same grid search on a Dask cluster and on a GPU
==============================================================

mmsense estimators are plain scikit-learn estimators, so scaling out needs no
mmsense-specific code:

* **Many fits at once**: :class:`~sklearn.model_selection.GridSearchCV` runs
  its fits through joblib, and ``joblib.parallel_config(backend="dask")``
  sends them to a Dask cluster (the ``distributed`` extra:
  ``pip install "mmsense[distributed]"``). Here a
  :class:`~distributed.LocalCluster` on this machine stands in for a real
  one; give ``Client`` your scheduler's address instead.
* **Faster fits**: the neural estimators take ``device="cuda"`` (or the
  default ``"auto"``, which uses CUDA when present). That part runs only on a
  machine with CUDA.

The grid is the quick start's (``n_clusters`` x ``margin``). The default run
is small and uses a thread-based local cluster (no worker start-up cost);
``MMSENSE_EXAMPLE_FULL=1`` runs the full-size grid on worker processes.
"""

# %%
# The grid search
# ---------------
import importlib.util
import os
import sys
import time

import joblib
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from mmsense import ModalityScaler, MMRestRegressor, get_msa_scorer
from mmsense.datasets import make_multimodal_sentiment

FULL = os.environ.get("MMSENSE_EXAMPLE_FULL") == "1"
n_samples, max_epochs = (1200, 100) if FULL else (160, 5)
X, y, modalities = make_multimodal_sentiment(n_samples, random_state=0)


def make_search(device="cpu", n_jobs=None):
    pipe = Pipeline([
        ("scale", ModalityScaler(modalities=modalities)),
        ("mmrest", MMRestRegressor(modalities=modalities, hidden_dim=16, decision_dim=16,
                                   lstm_hidden_dim=8, lr=3e-3, batch_size=32,
                                   max_epochs=max_epochs, device=device, random_state=0)),
    ])
    return GridSearchCV(pipe, {"mmrest__n_clusters": [3, 7], "mmrest__margin": [1.0, 3.0]},
                        scoring=get_msa_scorer("neg_mae"), cv=3 if FULL else 2, n_jobs=n_jobs)


# %%
# On a Dask cluster
# -----------------
# ``n_jobs=-1`` lets joblib use every worker of the cluster; each
# cross-validation fit becomes a Dask task.
if importlib.util.find_spec("distributed") is None:
    print('Dask\'s distributed is not installed: pip install "mmsense[distributed]". '
          "Stopping.")
    sys.exit(0)
from distributed import Client, LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1, processes=FULL,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    print("workers:", len(client.scheduler_info()["workers"]))
    search = make_search(n_jobs=-1)
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    print(f"Dask: best {search.best_params_}, score {search.best_score_:.3f}, "
          f"{time.perf_counter() - start:.1f} s")

# %%
# On a GPU
# --------
# Only when CUDA is present; fits run one after the other on the device
# (``n_jobs=None``), the data moving to the GPU batch by batch.
if torch.cuda.is_available():
    search = make_search(device="cuda")
    start = time.perf_counter()
    search.fit(X, y)
    print(f"CUDA ({torch.cuda.get_device_name()}): best {search.best_params_}, "
          f"score {search.best_score_:.3f}, {time.perf_counter() - start:.1f} s")
else:
    print("No CUDA device: the GPU part is skipped.")
