"""Cross-modal resolution rules on hand-made class-distance tables."""

import numpy as np
import pytest

from mmsense.cmcsl._resolution import median_scale, modality_scores, nearest_two, resolve

# rows x classes: distance to the nearest centroid of each class
A = np.array([[1.0, 4.0], [2.0, 2.5], [3.0, 1.0]])  # proposes 0, 0, 1
B = np.array([[10.0, 5.0], [20.0, 80.0], [30.0, 60.0]])  # proposes 1, 0, 0


def _resolve_two(rule):
    rows = np.ones(3, bool)
    scores = [modality_scores(d, rule, median_scale(d, rows)) for d in (A, B)]
    labels = np.stack([A.argmin(1), B.argmin(1)])
    return resolve(labels, np.stack(scores))


@pytest.mark.parametrize("rule, labels, source", [
    # raw nearest distances A: 1, 2, 1; B: 5, 20, 30 -> A always closer
    ("euclidean", [0, 0, 1], [0, 0, 0]),
    # A / median(1, 2, 1) = 1, 2, 1; B / median(5, 20, 30) = .25, 1, 1.5
    ("median_scaled", [1, 0, 1], [1, 1, 0]),
    # nearest / second: A .25, .8, .333; B .5, .25, .5
    ("ratio", [0, 0, 1], [0, 1, 0]),
])
def test_two_modality_rules_by_hand(rule, labels, source):
    resolved, src = _resolve_two(rule)
    np.testing.assert_array_equal(resolved, labels)
    np.testing.assert_array_equal(src, source)


def test_scores_by_hand():
    np.testing.assert_allclose(modality_scores(A, "euclidean"), [1, 2, 1])
    np.testing.assert_allclose(modality_scores(B, "median_scaled", 20.0), [0.25, 1, 1.5])
    np.testing.assert_allclose(modality_scores(A, "ratio"), [0.25, 0.8, 1 / 3])


def test_ratio_degenerate_rows_are_least_confident():
    d = np.array([[0.0, 0.0], [1.0, np.inf], [0.0, 2.0]])
    np.testing.assert_allclose(modality_scores(d, "ratio"), [1.0, 1.0, 0.0])


@pytest.mark.parametrize("n_classes", [2, 5, 40])
def test_nearest_two_are_the_two_smallest_of_each_row(n_classes):
    # ties, classes without a centroid (inf) and float32 as the propagation gives them
    rng = np.random.default_rng(n_classes)
    d = rng.integers(0, 4, (300, n_classes)).astype(np.float32)
    d[rng.random(d.shape) < 0.2] = np.inf
    nearest, second = nearest_two(d)
    ordered = np.sort(d, axis=1)
    np.testing.assert_array_equal(nearest, ordered[:, 0])
    np.testing.assert_array_equal(second, ordered[:, 1])
    assert nearest.dtype == second.dtype == np.float32


def test_median_scale_uses_given_rows_and_never_zero():
    d = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 9.0], [0.0, 3.0]])
    assert median_scale(d, np.array([False, True, True, False])) == 3.0
    assert median_scale(d, np.array([True, False, False, True])) == 1.0
    assert median_scale(d, np.zeros(4, bool)) == 1.0


def test_majority_vote_three_modalities():
    labels = np.array([
        [0, 0, 0, 2],
        [0, 1, 1, 1],
        [1, 1, 2, 0],
    ])
    scores = np.array([
        [0.5, 0.9, 0.1, 0.7],
        [0.4, 0.8, 0.5, 0.6],
        [0.1, 0.3, 0.2, 0.5],
    ])
    # row 0: 0 twice -> 0, supplied by the better of modalities 0/1 (score .4 -> 1)
    # row 1: 1 twice -> 1, best of modalities 1/2 -> 2
    # row 2: all differ -> best score overall, modality 0 (0.1)
    # row 3: all differ -> modality 2 (0.5)
    resolved, source = resolve(labels, scores, majority_vote=True)
    np.testing.assert_array_equal(resolved, [0, 1, 0, 0])
    np.testing.assert_array_equal(source, [1, 2, 0, 2])
    # without the vote the best score wins outright
    resolved, source = resolve(labels, scores, majority_vote=False)
    np.testing.assert_array_equal(source, [2, 2, 0, 2])
    np.testing.assert_array_equal(resolved, [1, 1, 0, 0])


def test_score_tie_goes_to_first_modality():
    labels = np.array([[0], [1]])
    resolved, source = resolve(labels, np.array([[0.5], [0.5]]))
    assert resolved[0] == 0 and source[0] == 0


def test_loo_error_counts_the_nearest_other_labeled_row():
    from mmsense.cmcsl._resolution import loo_error

    values = np.array([[0.0], [0.1], [1.0], [1.1], [0.5]])
    codes = np.array([0, 0, 1, 1, 1])
    # nearest other rows: 0.1 (0), 0.0 (0), 1.1 (1), 1.0 (1); 0.5 -> 0.1 (class 0): 1 error
    assert loo_error(values, codes) == pytest.approx((1 + 1) / (5 + 2))
    assert loo_error(values[:4], codes[:4]) == pytest.approx(1 / 6)


def test_auto_rule_needs_two_labeled_rows_per_class():
    from mmsense.cmcsl._resolution import choose_rule

    assert choose_rule("auto", np.array([0, 0, 1, 1])) == "reliability"
    assert choose_rule("auto", np.array([0, 0, 1])) == "ratio"
    assert choose_rule("ratio", np.array([0, 0, 1, 1])) == "ratio"


def test_reliability_lets_the_modality_the_labels_trust_win():
    from sklearn.naive_bayes import GaussianNB

    from mmsense import CMCSLSelfLabeler

    rng = np.random.default_rng(0)
    n, per_class = 300, 4
    truth = rng.integers(0, 2, n)
    # strong: 60-d, classes well apart but every distance large (ratio looks unsure);
    # weak: 2-d, labels 30% flipped
    strong = rng.normal(size=(n, 60)) + 1.5 * truth[:, None]
    noisy = np.where(rng.random(n) < 0.3, 1 - truth, truth)
    weak = rng.normal(scale=0.3, size=(n, 2)) + 2.0 * noisy[:, None]
    y = np.full(n, -1)
    for c in (0, 1):
        y[rng.choice(np.flatnonzero(truth == c), per_class, replace=False)] = c
    X = np.hstack([strong, weak])
    spec = {"strong": 60, "weak": 2}
    fits = {rule: CMCSLSelfLabeler(GaussianNB(), modalities=spec, resolution=rule,
                                   preprocessing="standard").fit(X, y)
            for rule in ("ratio", "auto")}
    auto = fits["auto"]
    assert auto.resolution_ == "reliability"
    assert auto.modality_reliability_["strong"] > auto.modality_reliability_["weak"]
    unlabeled = y == -1
    accuracy = {rule: np.mean(fit.transduction_[unlabeled] == truth[unlabeled])
                for rule, fit in fits.items()}
    strong_labels = auto.modality_labels_["strong"][unlabeled]
    assert accuracy["auto"] >= accuracy["ratio"]
    # where the two modalities disagree, the trusted (strong) one supplied the label
    disagree = strong_labels != auto.modality_labels_["weak"][unlabeled]
    share = np.mean(auto.label_modality_[unlabeled][disagree] == "strong")
    assert share > np.mean(fits["ratio"].label_modality_[unlabeled][disagree] == "strong")


def test_default_rule_is_auto_and_falls_back_to_ratio_with_one_labeled_row():
    from sklearn.naive_bayes import GaussianNB

    from mmsense import CMCSLSelfLabeler

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4))
    y = np.full(40, -1)
    y[[0, 1]], y[[2, 3]] = 0, 1
    spec = {"a": 2, "b": 2}
    assert CMCSLSelfLabeler(GaussianNB()).get_params()["resolution"] == "auto"
    two = CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y)
    assert two.resolution_ == "reliability"
    y[1] = -1  # class 0 now has one labeled row
    one = CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y)
    assert one.resolution_ == "ratio"
