"""MMRest's metric pieces against direct numpy computations on tiny hand-made data."""

import itertools

import numpy as np
import pytest
import torch

from mmsense.mmrest._losses import (
    inter_cluster_loss,
    intra_cluster_loss,
    metric_distances,
    project_psd,
    projection_bias,
    sentiment_bins,
    vote_bins,
)


def _random_psd(rng, k, d):
    a = rng.randn(k, d, d)
    return a @ a.transpose(0, 2, 1) / d + 0.1 * np.eye(d)


def _t(a):
    return torch.as_tensor(a, dtype=torch.float64)


def _d(a, b, m):
    diff = a - b
    return float(diff @ m @ diff)


def test_sentiment_bins_cut_the_range_into_seven_equal_intervals():
    y = np.array([-3.0, -2.2, -2.1, 0.0, 0.42, 0.43, 2.99, 3.0])
    # width 6/7 = 0.857: edges -3, -2.143, -1.286, -0.429, 0.429, 1.286, 2.143, 3
    expected = [0, 0, 1, 3, 3, 4, 6, 6]
    np.testing.assert_array_equal(sentiment_bins(y, (-3, 3)), expected)
    np.testing.assert_array_equal(sentiment_bins(torch.tensor(y), (-3, 3)).numpy(), expected)
    np.testing.assert_array_equal(sentiment_bins(np.array([0.0, 0.5, 1.0]), (0, 1)), [0, 3, 6])


def test_vote_bins_majority_of_the_receptive_field():
    points = np.array([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2], [9.0]])
    bins = np.array([2, 2, 5, 2, 6, 1, 6, 0])
    centers = np.array([[0.1], [5.1]])
    # field of 3: {0.0, 0.1, 0.2} -> bins 2, 2, 5 ; {5.0, 5.1, 5.2} -> 6, 1, 6
    np.testing.assert_array_equal(vote_bins(points, bins, centers, 3), [2, 6])
    # a field larger than the data takes every point: bin 2 three times, bin 6 twice
    np.testing.assert_array_equal(vote_bins(points, bins, centers, 100), [2, 2])


def test_vote_bins_tie_goes_to_the_bin_nearest_the_field_mean():
    points = np.array([[0.0], [0.1], [0.2], [0.3]])
    bins = np.array([1, 4, 4, 1])
    centers = np.array([[0.15]])
    # tie 1 vs 4 in a field of 4 with mean bin 2.5: equidistant, lower wins
    np.testing.assert_array_equal(vote_bins(points, bins, centers, 4), [1])
    bins = np.array([1, 5, 5, 1, 6])
    points = np.array([[0.0], [0.1], [0.2], [0.3], [0.25]])
    # field of 5: bins 1, 5, 5, 1, 6 (mean 3.6): tie 1 vs 5 -> 5
    np.testing.assert_array_equal(vote_bins(points, bins, np.array([[0.15]]), 5), [5])


def test_metric_distances_match_numpy():
    rng = np.random.RandomState(0)
    points, centers, metrics = rng.randn(5, 3), rng.randn(2, 3), _random_psd(rng, 2, 3)
    got = metric_distances(_t(points), _t(centers), _t(metrics)).numpy()
    expected = [[_d(p, c, m) for c, m in zip(centers, metrics)] for p in points]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def _intra_numpy(points, bins, centers, metrics, size, margin):
    total = 0.0
    for c, m in zip(centers, metrics):
        field = np.argsort(((points - c) ** 2).sum(1), kind="stable")[:size]
        same = diff = 0.0
        for a, b in itertools.combinations(field, 2):
            dist = _d(points[a], points[b], m)
            if bins[a] == bins[b]:
                same += dist
            else:
                diff += dist
        total += max(0.0, same - diff + margin)
    return total


@pytest.mark.parametrize("size, margin", [(4, 3.0), (6, 50.0), (2, 0.5)])
def test_intra_cluster_loss_matches_numpy(size, margin):
    rng = np.random.RandomState(1)
    points = rng.randn(10, 3)
    bins = rng.randint(0, 3, size=10)
    centers = points[[0, 5]] + 0.01
    metrics = _random_psd(rng, 2, 3)
    got = intra_cluster_loss(_t(points), torch.as_tensor(bins), _t(centers), _t(metrics),
                             size, margin)
    assert float(got) == pytest.approx(_intra_numpy(points, bins, centers, metrics, size, margin))


def test_intra_cluster_loss_hinge_is_zero_when_different_bins_are_far():
    # two tight same-bin pairs far apart from each other: different-bin pairs dominate
    points = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [10.1, 0.0]])
    bins = np.array([0, 0, 6, 6])
    metrics = np.eye(2)[None]
    loss = intra_cluster_loss(_t(points), torch.as_tensor(bins), _t([[5.0, 0.0]]),
                              _t(metrics), 4, 3.0)
    assert float(loss) == 0.0


def test_intra_cluster_loss_pair_cap_is_seeded_subsample():
    rng = np.random.RandomState(2)
    points, bins = rng.randn(30, 3), rng.randint(0, 7, size=30)
    centers, metrics = rng.randn(3, 3), _random_psd(rng, 3, 3)
    args = (_t(points), torch.as_tensor(bins), _t(centers), _t(metrics), 12, 1.0)
    capped = [float(intra_cluster_loss(*args, max_pairs=20, rng=np.random.RandomState(7)))
              for _ in range(2)]
    assert capped[0] == capped[1]
    full = float(intra_cluster_loss(*args, max_pairs=None))
    assert full == pytest.approx(_intra_numpy(points, bins, centers, metrics, 12, 1.0))
    # a cap at or above the 66 pairs changes nothing
    assert float(intra_cluster_loss(*args, max_pairs=66, rng=np.random.RandomState(0))) == (
        pytest.approx(full))


def test_intra_cluster_loss_pair_cap_uses_pairs_of_the_field():
    # every pair has the same distance under the identity metric, so the capped sum is exact
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(0.75)]])
    bins = np.array([0, 0, 0])
    loss = intra_cluster_loss(_t(points), torch.as_tensor(bins), _t([[0.5, 0.3]]),
                              _t(np.eye(2)[None]), 3, 0.0, max_pairs=2,
                              rng=np.random.RandomState(0))
    assert float(loss) == pytest.approx(2.0)


def _inter_numpy(points, centers, metrics, alpha):
    total = 0.0
    for x in points:
        i = int(np.argmin(((centers - x) ** 2).sum(1)))
        own = _d(x, centers[i], metrics[i])
        for j in range(len(centers)):
            if j != i:
                rho = alpha * ((centers[j] - centers[i]) ** 2).sum()
                total += max(0.0, own - _d(x, centers[j], metrics[j]) + rho)
    return total


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_inter_cluster_loss_matches_numpy(alpha):
    rng = np.random.RandomState(3)
    points, centers, metrics = rng.randn(12, 4), rng.randn(3, 4), _random_psd(rng, 3, 4)
    got = inter_cluster_loss(_t(points), _t(centers), _t(metrics), alpha)
    assert float(got) == pytest.approx(_inter_numpy(points, centers, metrics, alpha))


def test_losses_are_differentiable_with_respect_to_points_and_metrics():
    rng = np.random.RandomState(4)
    points = _t(rng.randn(8, 3)).requires_grad_()
    metrics = _t(_random_psd(rng, 2, 3)).requires_grad_()
    bins = torch.as_tensor(rng.randint(0, 2, size=8))
    loss = intra_cluster_loss(points, bins, _t(rng.randn(2, 3)), metrics, 5, 10.0)
    loss = loss + inter_cluster_loss(points, _t(rng.randn(2, 3)), metrics, 1.0)
    loss.backward()
    assert points.grad.abs().sum() > 0 and metrics.grad.abs().sum() > 0


def test_project_psd_gives_symmetric_psd_and_keeps_psd_input():
    rng = np.random.RandomState(5)
    raw = rng.randn(4, 5, 5)
    out = project_psd(_t(raw)).numpy()
    np.testing.assert_allclose(out, out.transpose(0, 2, 1), atol=1e-12)
    assert np.linalg.eigvalsh(out).min() >= -1e-10
    # numpy reference: symmetrise, eigendecompose, clip negatives to 0
    sym = (raw + raw.transpose(0, 2, 1)) / 2
    w, v = np.linalg.eigh(sym)
    expected = (v * np.clip(w, 0, None)[:, None, :]) @ v.transpose(0, 2, 1)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    psd = _random_psd(rng, 3, 5)
    np.testing.assert_array_equal(project_psd(_t(psd)).numpy(), (psd + psd.transpose(0, 2, 1)) / 2)
    single = _random_psd(rng, 1, 5)[0]
    np.testing.assert_allclose(project_psd(_t(single)).numpy(), single, atol=1e-12)


def test_projection_bias_matches_numpy():
    rng = np.random.RandomState(6)
    shared = rng.randn(4, 2, 3)  # 4 samples, 2 modality blocks
    centers, metrics, metric0 = rng.randn(3, 3), _random_psd(rng, 3, 3), _random_psd(rng, 1, 3)[0]
    bins = np.array([0, 6, 3])
    got, nearest, second = projection_bias(_t(shared), _t(centers), _t(metrics), _t(metric0))
    got_signed, _, _ = projection_bias(_t(shared), _t(centers), _t(metrics), _t(metric0),
                                       bins=torch.as_tensor(bins))
    expected, expected_signed = np.zeros(4), np.zeros(4)
    for n in range(4):
        for m in range(2):
            f = shared[n, m]
            order = np.argsort([_d(f, c, M) for c, M in zip(centers, metrics)])
            assert (nearest[n, m], second[n, m]) == (order[0], order[1])
            u, v = f - centers[order[0]], centers[order[1]] - centers[order[0]]
            block = u @ metric0 @ v / np.sqrt(v @ metric0 @ v)
            expected[n] += block / 2
            expected_signed[n] += np.sign(bins[order[1]] - bins[order[0]]) * block / 2
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(got_signed.numpy(), expected_signed, rtol=1e-10)


def test_projection_bias_hand_example():
    # one block at (1, 1); centers (0, 0) nearest, (2, 0) second; M0 = diag(1, 4)
    shared = _t([[[0.4, 0.1]]])
    centers = _t([[0.0, 0.0], [2.0, 0.0], [0.0, 9.0]])
    metrics = _t(np.stack([np.eye(2)] * 3))
    metric0 = _t(np.diag([1.0, 4.0]))
    bias, nearest, second = projection_bias(shared, centers, metrics, metric0)
    # u = (0.4, 0.1), v = (2, 0): u^T M0 v = 0.8, sqrt(v^T M0 v) = 2
    assert float(bias[0]) == pytest.approx(0.4)
    assert (int(nearest[0, 0]), int(second[0, 0])) == (0, 1)
    # the second-nearest cluster is more negative (bin 1 < bin 4): the signed bias flips
    signed, _, _ = projection_bias(shared, centers, metrics, metric0,
                                   bins=torch.tensor([4, 1, 6]))
    assert float(signed[0]) == pytest.approx(-0.4)
    same_bin, _, _ = projection_bias(shared, centers, metrics, metric0,
                                     bins=torch.tensor([3, 3, 6]))
    assert float(same_bin[0]) == 0.0


def test_single_cluster_has_no_bias_and_no_inter_loss():
    rng = np.random.RandomState(7)
    shared, centers, metrics = rng.randn(3, 2, 4), rng.randn(1, 4), _random_psd(rng, 1, 4)
    bias, nearest, second = projection_bias(_t(shared), _t(centers), _t(metrics), _t(np.eye(4)))
    np.testing.assert_array_equal(bias.numpy(), 0)
    np.testing.assert_array_equal(nearest.numpy(), 0)
    np.testing.assert_array_equal(second.numpy(), -1)
    assert float(inter_cluster_loss(_t(shared[:, 0]), _t(centers), _t(metrics), 1.0)) == 0.0


def test_quadratic_forms_match_numpy_for_one_metric_and_per_cluster_metrics():
    from mmsense.mmrest._losses import quadratic_forms

    rng = np.random.RandomState(3)
    a, b = rng.randn(4, 6, 5), rng.randn(4, 6, 5)
    metrics = rng.randn(4, 5, 5)
    expected = np.array([[a[k, p] @ metrics[k] @ b[k, p] for p in range(6)] for k in range(4)])
    np.testing.assert_allclose(quadratic_forms(_t(a), _t(metrics), _t(b)).numpy(), expected)
    one = metrics[0]
    expected = np.array([[a[k, p] @ one @ b[k, p] for p in range(6)] for k in range(4)])
    np.testing.assert_allclose(quadratic_forms(_t(a), _t(one), _t(b)).numpy(), expected)
