"""Stable cluster identities: matching, warm-started re-clustering, and across training epochs."""

import numpy as np
import pytest
from skorch.callbacks import Callback

from mmsense.datasets import make_multimodal_sentiment
from mmsense.mmrest import MMRestRegressor
from mmsense.mmrest._clusters import fit_centers, match_clusters


def test_match_clusters_undoes_a_permutation():
    previous = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    moved = previous + 0.3
    permuted = moved[[2, 0, 3, 1]]
    np.testing.assert_array_equal(match_clusters(previous, permuted), moved)


def test_match_clusters_is_one_to_one_when_greedy_would_collide():
    # both new centers are closest to previous[0]; total cost keeps one per previous center
    previous = np.array([[0.0], [3.0]])
    new = np.array([[1.0], [0.2]])
    np.testing.assert_array_equal(match_clusters(previous, new), [[0.2], [1.0]])


def _blobs(rng, means, n=40):
    return np.concatenate([m + 0.1 * rng.randn(n, len(m)) for m in means])


def test_fit_centers_keeps_the_previous_identity():
    rng = np.random.RandomState(0)
    means = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    previous = means[[1, 2, 0]]  # the previous epoch numbered the blobs differently
    drifted = _blobs(rng, means + 0.5)
    centers = fit_centers(drifted, 3, previous, random_state=0)
    np.testing.assert_allclose(centers, previous + 0.5, atol=0.1)
    # a cold start numbers clusters by k-means++'s luck; matching restores the identity
    cold = fit_centers(drifted, 3, None, random_state=0)
    np.testing.assert_allclose(match_clusters(previous, cold), centers, atol=1e-6)


def test_fit_centers_rejects_too_few_points():
    with pytest.raises(ValueError, match="n_clusters=5 needs at least 5"):
        fit_centers(np.zeros((3, 2)), 5)


class _RecordCenters(Callback):
    """Keep the centers and bins the net holds at the end of every epoch."""

    def on_train_begin(self, net, **kwargs):
        self.centers, self.bins = [], []

    def on_epoch_end(self, net, **kwargs):
        self.centers.append(net.module_.centers.detach().cpu().numpy())
        self.bins.append(net.module_.bins.detach().cpu().numpy())


def test_cluster_identity_kept_across_training_epochs():
    X, y, spec = make_multimodal_sentiment(120, {"text": 6}, noise=0.3, random_state=0)
    reg = MMRestRegressor(modalities=spec, n_clusters=4, hidden_dim=4, decision_dim=4, max_epochs=4,
                          lr=1e-3, validation_fraction=None, random_state=0)
    recorder = _RecordCenters()
    # wrap _build_net to hand the net an extra callback
    build = reg._build_net

    def build_with_recorder(*args):
        net = build(*args)
        net.callbacks = list(net.callbacks) + [("record", recorder)]
        return net

    reg._build_net = build_with_recorder
    reg.fit(X, y)
    assert len(recorder.centers) == 4
    for before, after in zip(recorder.centers, recorder.centers[1:]):
        # each center moves little between epochs and stays the closest to its old self
        dist = ((before[:, None, :] - after[None, :, :]) ** 2).sum(-1)
        np.testing.assert_array_equal(dist.argmin(1), np.arange(4))
    np.testing.assert_allclose(recorder.centers[-1], reg.cluster_centers_, rtol=1e-6)
    np.testing.assert_array_equal(recorder.bins[-1], reg.cluster_bins_)
    assert reg.net_.n_reclusters_ == 5  # once before training, once after every epoch
