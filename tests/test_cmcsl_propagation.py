"""Per-modality propagation checked against its definition with direct numpy."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from mmsense import stack_modalities
from mmsense._contract import parse_modalities
from mmsense._contract import modality_vectors
from mmsense.cmcsl._propagation import class_distances, label_clusters, propagate


def _brute_class_distances(X, centroids, labels, n_classes):
    d = np.linalg.norm(X[:, None, :] - centroids[None, :, :], axis=2)
    return np.stack([d[:, labels == k].min(axis=1) for k in range(n_classes)], axis=1)


def _numpy_lloyd(X, init):
    c = init.astype(np.float64).copy()
    assign = np.linalg.norm(X[:, None] - c[None], axis=2).argmin(axis=1)
    while True:
        for k in range(len(c)):
            if (assign == k).any():
                c[k] = X[assign == k].mean(axis=0)
        new = np.linalg.norm(X[:, None] - c[None], axis=2).argmin(axis=1)
        if np.array_equal(new, assign):
            return c, assign
        assign = new


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_nearest_seed_is_the_label_of_the_nearest_labeled_row(chunk_size):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = rng.randint(3, size=40)
    labeled = np.zeros(40, bool)
    labeled[[0, 5, 9, 17, 22, 31]] = True
    y[[0, 5, 9, 17, 22, 31]] = [0, 1, 2, 0, 1, 2]

    prop = propagate(X, labeled, y, 3, clustering="nearest_seed", chunk_size=chunk_size)

    seeds = np.flatnonzero(labeled)
    dist = np.linalg.norm(X[:, None] - X[seeds][None], axis=2)
    expected_labels = y[seeds][dist.argmin(axis=1)]
    np.testing.assert_array_equal(prop.labels, expected_labels)
    np.testing.assert_allclose(prop.class_distances,
                               _brute_class_distances(X, X[seeds], y[seeds], 3), atol=1e-6)
    np.testing.assert_array_equal(prop.centroid_labels, y[seeds])
    assert prop.n_iter == 0


def test_class_distances_float32_matches_float64_and_keeps_dtype():
    rng = np.random.RandomState(1)
    X = rng.randn(50, 4)
    c = rng.randn(5, 4)
    lab = np.array([0, 1, 1, 0, 1])
    d32 = class_distances(X.astype(np.float32), c, lab, 2, chunk_size=8, device="cpu")
    assert d32.dtype == np.float32
    np.testing.assert_allclose(d32, _brute_class_distances(X, c, lab, 2), atol=1e-4)


def test_class_without_centroid_is_infinitely_far():
    X = np.array([[0.0], [1.0]])
    d = class_distances(X, np.array([[0.0]]), np.array([1]), 3, chunk_size=10, device="cpu")
    assert np.isinf(d[:, [0, 2]]).all()
    np.testing.assert_allclose(d[:, 1], [0.0, 1.0])


def test_kmeans_from_seeds_by_hand():
    # seeds: row 0 (class 0) at 0 and row 3 (class 1) at 3.
    # Lloyd: {0,1} | {2,3,10,11} -> centers 0.5, 6.5 -> {0,1,2,3} | {10,11} -> 1.5, 10.5, stable.
    # Cluster 0 holds labeled rows 0 (class 0) and 3 (class 1): a tie, so it keeps its
    # seed's class 0; cluster 1 holds no labeled row and keeps its seed's class 1.
    X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [11.0]])
    y = np.array([0, -1, -1, 1, -1, -1])
    labeled = y >= 0
    nearest = propagate(X, labeled, y, 2, clustering="nearest_seed")
    np.testing.assert_array_equal(nearest.labels, [0, 0, 1, 1, 1, 1])

    prop = propagate(X, labeled, y, 2, clustering="kmeans", kmeans_init="seeds")
    np.testing.assert_allclose(prop.centroids.ravel(), [1.5, 10.5])
    np.testing.assert_array_equal(prop.centroid_labels, [0, 1])
    np.testing.assert_array_equal(prop.labels, [0, 0, 0, 0, 1, 1])
    np.testing.assert_allclose(prop.class_distances[3], [1.5, 7.5])
    assert prop.n_iter == 2


def test_kmeans_class_means_init_by_hand():
    # class means: class 0 -> 0, class 1 -> mean(2, 10) = 6.
    # {0,1,2,3.5}? 3.5 is 2.5 from 6 and 3.5 from 0 -> {0,1,2} | {3.5,10,11}: 1, 8.17
    # -> {0,1,2,3.5} | {10,11}: 1.625, 10.5 -> stable.
    # Cluster 0 holds labeled rows 0 (class 0) and 2 (class 1): tie, keeps class 0;
    # cluster 1 holds row 4 (class 1).
    X = np.array([[0.0], [1.0], [2.0], [3.5], [10.0], [11.0]])
    y = np.array([0, -1, 1, -1, 1, -1])
    prop = propagate(X, y >= 0, y, 2, clustering="kmeans", kmeans_init="class_means")
    np.testing.assert_allclose(prop.centroids.ravel(), [1.625, 10.5])
    np.testing.assert_array_equal(prop.centroid_labels, [0, 1])
    np.testing.assert_array_equal(prop.labels, [0, 0, 0, 0, 1, 1])


@pytest.mark.parametrize("chunk_size", [3, 1000])
def test_kmeans_matches_numpy_lloyd(chunk_size):
    rng = np.random.RandomState(2)
    X = np.r_[rng.randn(30, 2), rng.randn(30, 2) + 4, rng.randn(30, 2) + [0, 6]]
    truth = np.repeat([0, 1, 2], 30)
    y = np.full(90, -1)
    seeds = [0, 1, 30, 31, 60, 61]
    y[seeds] = truth[seeds]
    prop = propagate(X, y >= 0, y, 3, clustering="kmeans", kmeans_init="seeds",
                     chunk_size=chunk_size)
    centers, assign = _numpy_lloyd(X, X[seeds])
    np.testing.assert_allclose(prop.centroids, centers, atol=1e-8)
    votes = np.zeros((6, 3), int)
    np.add.at(votes, (assign[seeds], truth[seeds]), 1)
    # with one labeled row per cluster here, majority = the seed's own class
    expected_cluster_labels = np.where(votes.sum(1) > 0, votes.argmax(1), truth[seeds])
    np.testing.assert_array_equal(prop.labels, expected_cluster_labels[assign])


def test_label_clusters_majority_ties_and_empty():
    assignment = np.array([0, 0, 0, 1, 1, 2, 2])
    labeled = np.array([True, True, True, True, True, False, False])
    y = np.array([1, 1, 0, 2, 0, -1, -1])
    initial = np.array([0, 1, 1])
    # cluster 0: votes class 1 x2, class 0 x1 -> 1 (majority over its seed's class 0)
    # cluster 1: class 2 vs class 0 tie, seed class 1 not tied -> smallest tied class, 0
    # cluster 2: no labeled row -> seed class 1
    np.testing.assert_array_equal(label_clusters(assignment, labeled, y, initial, 3), [1, 0, 1])


def test_kmeans_not_converged_warns():
    rng = np.random.RandomState(3)
    X = rng.randn(60, 2)
    y = np.full(60, -1)
    y[[0, 1, 2]] = [0, 1, 0]
    with pytest.warns(ConvergenceWarning, match="kmeans_max_iter"):
        propagate(X, y >= 0, y, 2, clustering="kmeans", max_iter=1)


def test_sequence_modality_pools_to_mean_of_real_steps():
    rng = np.random.RandomState(4)
    seq = rng.randn(5, 4, 2)
    lengths = np.array([4, 1, 2, 0, 3])
    X, spec = stack_modalities(lengths={"audio": lengths}, text=rng.randn(5, 3), audio=seq)
    vectors = modality_vectors(X, parse_modalities(spec, X.shape[1]))
    expected = np.stack([seq[i, :n].mean(axis=0) if n else np.zeros(2)
                         for i, n in enumerate(lengths)])
    np.testing.assert_allclose(vectors["audio"], expected, rtol=1e-6)
    np.testing.assert_allclose(vectors["text"], X[:, :3])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("clustering", ["nearest_seed", "kmeans"])
def test_cuda_propagation_matches_the_cpu(clustering):
    rng = np.random.RandomState(0)
    X = (rng.randn(3000, 16) + 2 * np.eye(3, 16)[rng.randint(3, size=3000)]).astype(np.float32)
    y = rng.randint(3, size=3000)
    labeled = np.zeros(3000, bool)
    labeled[rng.choice(3000, 30, replace=False)] = True
    cpu = propagate(X, labeled, y, 3, clustering=clustering, chunk_size=500, device="cpu")
    gpu = propagate(X, labeled, y, 3, clustering=clustering, chunk_size=500, device="cuda")
    np.testing.assert_array_equal(gpu.labels, cpu.labels)
    # float32 |x|^2 - 2 x.c + |c|^2: a seed's distance to itself is the square root of a
    # rounding error, up to ~1e-3 on either device
    np.testing.assert_allclose(gpu.class_distances, cpu.class_distances, rtol=1e-4, atol=5e-3)
