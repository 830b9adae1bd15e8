"""GridSearchCV and cross_validate over a Dask LocalCluster (``distributed`` extra)."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from mmsense import MMRestRegressor, TorchMLPClassifier
from mmsense.datasets import make_multimodal_sentiment

distributed = pytest.importorskip("distributed", reason="needs mmsense[distributed]")


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes. Not one worker (joblib's dask backend runs
    # sequentially in the caller when the cluster has a single thread), and not two
    # threads of one process: each fit seeds torch's process-wide generator, so two fits
    # in one process would interleave their draws and lose reproducibility.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def binary():
    X, y, _ = make_multimodal_sentiment(120, {"text": 6}, task="binary", random_state=0)
    return X, y


def test_grid_search_over_dask_matches_n_jobs_1(client, binary):
    X, y = binary
    grid = {"hidden_layer_sizes": [(4,), (16,)], "lr": [1e-3, 5e-2]}
    mlp = TorchMLPClassifier(max_epochs=5, random_state=0, device="cpu")
    local = GridSearchCV(mlp, grid, cv=2, n_jobs=1).fit(X, y)
    with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        remote = GridSearchCV(mlp, grid, cv=2, n_jobs=2).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"])
    assert len(tasks.data) >= 8  # the 8 fits ran as tasks on the cluster


def test_cross_validate_mmrest_over_dask_matches_n_jobs_1(client):
    X, y, spec = make_multimodal_sentiment(90, {"text": 5, "audio": (3, 2)}, random_state=0)
    model = MMRestRegressor(modalities=spec, max_epochs=2, hidden_dim=4, decision_dim=4,
                            n_clusters=2, lstm_hidden_dim=4, device="cpu", random_state=0)
    local = cross_validate(model, X, y, cv=3, n_jobs=1)
    with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        remote = cross_validate(model, X, y, cv=3, n_jobs=2)
    assert len(tasks.data) >= 3
    np.testing.assert_allclose(remote["test_score"], local["test_score"], rtol=1e-6)
