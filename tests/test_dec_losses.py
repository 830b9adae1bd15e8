"""The DEC losses against direct numpy formulas."""

import numpy as np
import pytest
import torch

from mmsense.dec._losses import (
    AutoencoderLoss,
    assignment_change,
    disentanglement_penalty,
    kl_divergence,
    labeled_cross_entropy,
    log_soft_assignment,
    reconstruction_loss,
    target_distribution,
)

rng = np.random.RandomState(0)
Z = rng.randn(12, 3)
CENTERS = rng.randn(4, 3)


def numpy_q(z, centers, a):
    dist2 = ((z[:, None, :] - centers[None]) ** 2).sum(-1)
    kernel = (1 + dist2 / a) ** (-(a + 1) / 2)
    return kernel / kernel.sum(1, keepdims=True)


def numpy_p(q):
    weight = q**2 / q.sum(0)
    return weight / weight.sum(1, keepdims=True)


def t(a):
    return torch.as_tensor(a, dtype=torch.float64)


@pytest.mark.parametrize("a", [1.0, 2.5])
def test_soft_assignment_is_student_t_kernel(a):
    q = log_soft_assignment(t(Z), t(CENTERS), dof=a).exp().numpy()
    np.testing.assert_allclose(q, numpy_q(Z, CENTERS, a), rtol=1e-10)
    np.testing.assert_allclose(q.sum(1), 1.0)


def test_log_soft_assignment_stays_finite_far_from_centers():
    log_q = log_soft_assignment(t(Z * 1e20), t(CENTERS))
    assert torch.isfinite(log_q).all()


def test_target_distribution_matches_numpy_and_is_detached():
    q = t(numpy_q(Z, CENTERS, 1.0)).requires_grad_(True)
    p = target_distribution(q)
    assert not p.requires_grad
    np.testing.assert_allclose(p.numpy(), numpy_p(q.detach().numpy()), rtol=1e-10)
    # sharper than q: each row's largest probability grows
    assert (p.numpy().max(1) >= q.detach().numpy().max(1) - 1e-12).all()


def test_kl_divergence_matches_numpy():
    q = numpy_q(Z, CENTERS, 1.0)
    p = numpy_p(q)
    expected = (p * np.log(p / q)).sum(1).mean()
    got = kl_divergence(t(p), t(np.log(q))).item()
    assert got == pytest.approx(expected, rel=1e-10)
    assert kl_divergence(t(q), t(np.log(q))).item() == pytest.approx(0.0, abs=1e-12)


def test_kl_divergence_treats_zero_target_as_zero():
    p = t([[1.0, 0.0]])
    log_q = t(np.log([[0.5, 0.5]]))
    assert kl_divergence(p, log_q).item() == pytest.approx(np.log(2.0))


def test_labeled_cross_entropy_uses_only_labeled_rows():
    q = numpy_q(Z, CENTERS, 1.0)
    labels = np.array([0, -1, 3, 2, -1, -1, 1, 0, -1, -1, -1, 2])
    keep = labels >= 0
    expected = -np.log(q[keep, labels[keep]]).mean()
    got = labeled_cross_entropy(t(np.log(q)), torch.as_tensor(labels)).item()
    assert got == pytest.approx(expected, rel=1e-10)
    none = torch.full((12,), -1)
    assert labeled_cross_entropy(t(np.log(q)), none).item() == 0.0


def test_disentanglement_penalty_zero_for_diagonal_covariance():
    # centerd, mutually orthogonal (Hadamard) columns with different scales
    z = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float) * [1, 2, 0.5]
    cov = np.cov(z, rowvar=False)
    assert np.count_nonzero(cov - np.diag(np.diag(cov))) == 0
    assert disentanglement_penalty(t(z)).item() == 0.0


def test_disentanglement_penalty_matches_numpy_on_correlated_batch():
    z = rng.randn(10, 4)
    z[:, 1] += 2 * z[:, 0]
    cov = np.cov(z, rowvar=False)
    off = cov - np.diag(np.diag(cov))
    expected = (off**2).sum() / (4 * 3)
    assert disentanglement_penalty(t(z)).item() == pytest.approx(expected, rel=1e-10)
    assert expected > 0.1


def test_disentanglement_penalty_zero_for_degenerate_batches():
    assert disentanglement_penalty(t(rng.randn(1, 4))).item() == 0.0
    assert disentanglement_penalty(t(rng.randn(5, 1))).item() == 0.0


def test_reconstruction_loss_averages_modalities():
    a, b = rng.randn(5, 2), rng.randn(5, 7)
    rec = {"a": t(a), "b": t(b)}
    target = {"a": t(np.zeros((5, 2))), "b": t(np.ones((5, 7)))}
    expected = ((a**2).mean() + ((b - 1) ** 2).mean()) / 2
    assert reconstruction_loss(rec, target).item() == pytest.approx(expected)


def test_reconstruction_loss_scores_present_rows_only():
    a, b, c = rng.randn(5, 2), rng.randn(5, 3), rng.randn(5, 4)
    a_rows = np.array([True, False, True, True, False])
    b_rows = np.array([False, True, True, False, True])
    target = {"a": t(np.zeros((5, 2))), "b": t(np.ones((5, 3))), "c": t(np.zeros((5, 4)))}
    rec = {"a": t(a), "b": t(b), "c": t(c)}
    present = {"a": torch.as_tensor(a_rows), "b": torch.as_tensor(b_rows),
               "c": torch.zeros(5, dtype=torch.bool)}  # c: missing from the whole batch
    # by hand: a over rows 0, 2, 3; b over rows 1, 2, 4; c left out of the mean
    expected = ((a[[0, 2, 3]] ** 2).mean() + ((b[[1, 2, 4]] - 1) ** 2).mean()) / 2
    assert reconstruction_loss(rec, target, present).item() == pytest.approx(expected)
    # what a missing row holds does not matter
    target["a"][1] = 100.0
    rec["b"][0] = -50.0
    assert reconstruction_loss(rec, target, present).item() == pytest.approx(expected)
    nothing = {name: torch.zeros(5, dtype=torch.bool) for name in present}
    assert reconstruction_loss(rec, target, nothing).item() == 0.0


def test_autoencoder_loss_weights_its_terms():
    z = rng.randn(10, 4)
    z[:, 1] += z[:, 0]
    rec, target = {"a": t(np.ones((10, 3)))}, {"a": t(np.zeros((10, 3)))}
    loss = AutoencoderLoss(reconstruction_weight=2.0, disentanglement_weight=0.5)
    expected = 2.0 * 1.0 + 0.5 * disentanglement_penalty(t(z)).item()
    assert loss((t(z), rec, target, None)).item() == pytest.approx(expected)


def test_assignment_change_is_fraction_changed():
    before = np.array([0, 1, 2, 2, 1])
    after = np.array([0, 2, 2, 1, 1])
    assert assignment_change(before, after) == pytest.approx(2 / 5)
    assert assignment_change(torch.as_tensor(before), torch.as_tensor(before)) == 0.0
