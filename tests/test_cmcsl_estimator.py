"""CMCSLSelfLabeler: self-labels checked against the definition, modes, API and bad input."""

import pickle
import threading

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from mmsense import stack_modalities
from mmsense.cmcsl import CMCSLSelfLabeler
from mmsense.neural_network import TorchMLPClassifier
from mmsense.model_selection import LabeledStratifiedKFold, labeled_scorer


def _data(n=40, dims=(2, 5), scale=(1.0, 10.0), seed=0, n_labeled=8):
    """Random modalities of different width and scale; 3 classes, a few labeled rows."""
    rng = np.random.RandomState(seed)
    blocks = {f"m{i}": s * rng.randn(n, d) for i, (d, s) in enumerate(zip(dims, scale))}
    X, spec = stack_modalities(**blocks)
    X = X.astype(np.float64)
    y = np.full(n, -1)
    y[:n_labeled] = np.arange(n_labeled) % 3
    return X, y, spec, [X[:, sl] for sl in _column_slices(spec)]


def _column_slices(spec):
    start, out = 0, []
    for width in spec.values():
        out.append(slice(start, start + width))
        start += width
    return out


def _l2_standard(Z):
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    return (Z - Z.mean(axis=0)) / Z.std(axis=0)


def _numpy_propagation(Z, y, rule):
    """Nearest-seed labels and rule scores, straight from the definition."""
    labeled = y != -1
    classes = np.unique(y[labeled])
    dist = np.linalg.norm(Z[:, None, :] - Z[labeled][None, :, :], axis=2)
    per_class = np.stack([dist[:, y[labeled] == c].min(axis=1) for c in classes], axis=1)
    d1, d2 = np.sort(per_class, axis=1)[:, 0], np.sort(per_class, axis=1)[:, 1]
    labels = np.where(labeled, y, classes[per_class.argmin(axis=1)])
    if rule == "euclidean":
        score = d1
    elif rule == "median_scaled":
        score = d1 / np.median(d1[~labeled])
    else:
        score = d1 / d2
    return labels, score


def _expected_two_modalities(blocks, y, rule):
    (la, sa), (lb, sb) = (_numpy_propagation(Z, y, rule) for Z in blocks)
    from_b = sb < sa
    labels = np.where(from_b, lb, la)
    source = np.where(from_b, "m1", "m0").astype(object)
    source[y != -1] = None
    return labels, source, la, lb


@pytest.mark.parametrize("rule", ["euclidean", "median_scaled", "ratio"])
@pytest.mark.parametrize("preprocessing", ["none", "l2_standard"])
def test_every_self_label_matches_the_definition(rule, preprocessing):
    X, y, spec, blocks = _data()
    if preprocessing == "l2_standard":
        blocks = [_l2_standard(Z) for Z in blocks]
    labels, source, la, lb = _expected_two_modalities(blocks, y, rule)
    assert (la != lb).sum() >= 5, "the data must make the modalities disagree"

    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, resolution=rule,
                           preprocessing=preprocessing, chunk_size=7, device="cpu").fit(X, y)
    np.testing.assert_array_equal(clf.modality_labels_["m0"], la)
    np.testing.assert_array_equal(clf.modality_labels_["m1"], lb)
    np.testing.assert_array_equal(clf.transduction_, labels)
    np.testing.assert_array_equal(clf.label_modality_, source)
    np.testing.assert_array_equal(clf.transduction_[:8], y[:8])


def test_rules_differ_on_modalities_of_different_scale():
    # m1 is 10x the scale of m0: raw distances make m0 win every disagreement
    X, y, spec, _ = _data()
    sources = {}
    for rule in ["euclidean", "median_scaled", "ratio"]:
        clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, resolution=rule,
                               preprocessing="none", device="cpu").fit(X, y)
        sources[rule] = clf.label_modality_[y == -1]
    assert set(sources["euclidean"]) == {"m0"}
    assert set(sources["median_scaled"]) == {"m0", "m1"}
    assert set(sources["ratio"]) == {"m0", "m1"}


def test_three_modalities_majority_vote():
    X, y, spec, blocks = _data(dims=(2, 3, 4), scale=(1.0, 1.0, 1.0), seed=1)
    props = [_numpy_propagation(Z, y, "ratio") for Z in blocks]
    labels = np.stack([p[0] for p in props])
    scores = np.stack([p[1] for p in props])
    support = (labels[:, None, :] == labels[None, :, :]).sum(axis=1)
    expected = []
    for i in range(len(y)):
        allowed = support[:, i] == support[:, i].max()
        best = np.flatnonzero(allowed)[np.argmin(scores[allowed, i])]
        expected.append(labels[best, i])
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, preprocessing="none",
                           resolution="ratio", device="cpu").fit(X, y)
    np.testing.assert_array_equal(clf.transduction_, expected)
    outvoted = (support.max(axis=0) == 2) & (labels[scores.argmin(axis=0), np.arange(len(y))]
                                             != np.array(expected))
    assert outvoted.any(), "some row must be decided by the vote against the best score"
    no_vote = CMCSLSelfLabeler(GaussianNB(), modalities=spec, preprocessing="none",
                               resolution="ratio", majority_vote=False, device="cpu").fit(X, y)
    np.testing.assert_array_equal(no_vote.transduction_,
                                  labels[scores.argmin(axis=0), np.arange(len(y))])


def test_kmeans_mode_labels_by_converged_clusters():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [10.0, 0.0], [11.0, 0.0]])
    y = np.array([0, -1, -1, 1, -1, -1])
    # one modality: k-means from seeds 0 and 3 ends at 1.5 / 10.5 (see the propagation tests)
    clf = CMCSLSelfLabeler(GaussianNB(), modalities={"a": 1, "b": 1}, clustering="kmeans",
                           preprocessing="none", device="cpu")
    X2 = np.c_[X[:, :1], X[:, :1]]
    clf.fit(X2, y)
    np.testing.assert_array_equal(clf.modality_labels_["a"], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(clf.transduction_, [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(clf.centroids_["a"].ravel(), [1.5, 10.5])
    assert clf.kmeans_n_iter_ == {"a": 2, "b": 2}


def test_pre_mode_trains_on_labeled_rows_only():
    X, y, spec, blocks = _data()
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, mode="pre", preprocessing="none",
                           device="cpu").fit(X, y)
    np.testing.assert_array_equal(clf.transduction_, y)
    assert all(m is None for m in clf.label_modality_)
    labeled = y != -1
    expected = np.mean([GaussianNB().fit(Z[labeled], y[labeled]).predict_proba(Z)
                        for Z in blocks], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X), expected)


def test_uni_mode_trains_each_modality_on_its_own_labels():
    X, y, spec, blocks = _data()
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, mode="uni", preprocessing="none",
                           device="cpu").fit(X, y)
    own = [_numpy_propagation(Z, y, "ratio")[0] for Z in blocks]
    np.testing.assert_array_equal(clf.transduction_, np.stack(own, axis=1))
    for Z, labels, est in zip(blocks, own, clf.estimators_):
        np.testing.assert_allclose(est.predict_proba(Z),
                                   GaussianNB().fit(Z, labels).predict_proba(Z))
    preds = clf.modality_predict(X)
    expected = GaussianNB().fit(blocks[1], own[1]).predict(blocks[1])
    np.testing.assert_array_equal(preds["m1"], expected)


def test_uni_mode_needs_late_fusion():
    X, y, spec, _ = _data()
    with pytest.raises(ValueError, match="fusion='late'"):
        CMCSLSelfLabeler(GaussianNB(), modalities=spec, mode="uni", fusion="early").fit(X, y)


def test_early_fusion_fits_one_estimator_on_all_modalities():
    X, y, spec, blocks = _data()
    clf = CMCSLSelfLabeler(LogisticRegression(), modalities=spec, fusion="early",
                           preprocessing="none", device="cpu").fit(X, y)
    ref = LogisticRegression().fit(np.concatenate(blocks, axis=1), clf.transduction_)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X), atol=1e-10)
    assert not hasattr(clf, "estimators_")


def test_late_fusion_decision_function_is_the_modalities_mean():
    X, y, spec, blocks = _data()
    clf = CMCSLSelfLabeler(LogisticRegression(), modalities=spec, preprocessing="none",
                           device="cpu").fit(X, y)
    expected = np.mean([LogisticRegression().fit(Z, clf.transduction_).decision_function(Z)
                        for Z in blocks], axis=0)
    np.testing.assert_allclose(clf.decision_function(X), expected, atol=1e-10)
    assert not hasattr(CMCSLSelfLabeler(GaussianNB()), "decision_function")


def test_preprocessing_is_fitted_on_training_rows_and_reused():
    X, y, spec, blocks = _data()
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu").fit(X, y)
    est = clf.estimators_[1]
    one_row = X[[5]]
    # standardising a single row with its own statistics would give zeros
    z = blocks[1][[5]] / np.linalg.norm(blocks[1][[5]])
    train = blocks[1] / np.linalg.norm(blocks[1], axis=1, keepdims=True)
    z = (z - train.mean(axis=0)) / train.std(axis=0)
    np.testing.assert_allclose(clf.modality_predict(one_row)["m1"], est.predict(z))
    np.testing.assert_allclose(clf.predict_proba(one_row), clf.predict_proba(X)[[5]])


def test_sequence_modality_is_pooled_before_propagation():
    rng = np.random.RandomState(5)
    seq = rng.randn(30, 4, 3)
    lengths = rng.randint(1, 5, size=30)
    X, spec = stack_modalities(lengths={"audio": lengths}, text=rng.randn(30, 2), audio=seq)
    y = np.full(30, -1)
    y[:6] = [0, 1, 0, 1, 0, 1]
    pooled = np.stack([seq[i, :n].mean(axis=0) for i, n in enumerate(lengths)])
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, preprocessing="none",
                           device="cpu").fit(X, y)
    np.testing.assert_array_equal(clf.modality_labels_["audio"],
                                  _numpy_propagation(pooled, y, "ratio")[0])
    assert clf.__sklearn_tags__().input_tags.allow_nan


def test_string_labels_in_object_array():
    X, y, spec, _ = _data()
    names = np.array(["neg", "neu", "pos"], dtype=object)
    y_obj = np.where(y == -1, -1, names[np.maximum(y, 0)]).astype(object)
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu").fit(X, y_obj)
    ref = CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu").fit(X, y)
    assert list(clf.classes_) == ["neg", "neu", "pos"]
    np.testing.assert_array_equal(clf.transduction_, names[ref.transduction_])
    np.testing.assert_array_equal(clf.predict(X), names[ref.predict(X)])


def test_classes_parameter_adds_unseen_classes():
    X, y, spec, _ = _data()
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, classes=[0, 1, 2, 3],
                           device="cpu").fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2, 3])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_array_equal(proba[:, 3], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_default_estimator_is_the_torch_mlp():
    X, y, spec, _ = _data()
    clf = CMCSLSelfLabeler(modalities=spec, device="cpu", random_state=0).fit(X, y)
    assert all(isinstance(e, TorchMLPClassifier) for e in clf.estimators_)
    assert {e.device_ for e in clf.estimators_} == {"cpu"}
    again = CMCSLSelfLabeler(modalities=spec, device="cpu", random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), again.predict_proba(X))


@pytest.mark.parametrize("y_bad, match", [
    (np.full(40, -1), "no labeled row"),
    (np.r_[np.full(8, 2), np.full(32, -1)], "1 class only, 2"),
])
def test_bad_targets(y_bad, match):
    X, _, spec, _ = _data()
    with pytest.raises(ValueError, match=match):
        CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y_bad)


def test_string_single_class_is_named():
    X, _, spec, _ = _data()
    y = np.array(["pos"] * 8 + [-1] * 32, dtype=object)
    with pytest.raises(ValueError, match="1 class only, 'pos'"):
        CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y)


def test_labeled_class_missing_from_classes():
    X, y, spec, _ = _data()
    with pytest.raises(ValueError, match=r"labeled class\(es\) \[2\] that are not in classes"):
        CMCSLSelfLabeler(GaussianNB(), modalities=spec, classes=[0, 1]).fit(X, y)


def test_nan_in_a_modality_names_it():
    X, y, spec, _ = _data()
    X[3, 4] = np.nan
    with pytest.raises(ValueError, match="modality 'm1' is static and partly NaN"):
        CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y)


@pytest.mark.parametrize("params, match", [
    ({"mode": "both"}, "'mode' parameter of CMCSLSelfLabeler must be a str among"),
    ({"clustering": "dbscan"}, "'clustering' parameter .* must be a str among"),
    ({"resolution": "closest"}, "'resolution' parameter .* must be a str among"),
    ({"fusion": "mid"}, "'fusion' parameter .* must be a str among"),
    ({"preprocessing": "minmax"}, "'preprocessing' parameter .* must be a str among"),
    ({"chunk_size": 0}, r"'chunk_size' parameter .* an int in the range \[1, inf\). Got 0"),
    ({"kmeans_max_iter": 1.5}, "'kmeans_max_iter' parameter .* an int in the range"),
    ({"estimator": LogisticRegression(), "classes": [-1, 0, 1, 2]}, "must not contain -1"),
])
def test_bad_params(params, match):
    X, y, spec, _ = _data()
    params = {"estimator": GaussianNB(), **params}
    with pytest.raises(ValueError, match=match):
        CMCSLSelfLabeler(modalities=spec, **params).fit(X, y)


def test_late_fusion_needs_predict_proba():
    from sklearn.svm import LinearSVC
    X, y, spec, _ = _data()
    with pytest.raises(ValueError, match="no predict_proba"):
        CMCSLSelfLabeler(LinearSVC(), modalities=spec).fit(X, y)
    clf = CMCSLSelfLabeler(LinearSVC(), modalities=spec, fusion="early", device="cpu").fit(X, y)
    assert clf.decision_function(X).shape == (40, 3)


def test_chunk_size_does_not_change_the_result():
    X, y, spec, _ = _data(n=60)
    a = CMCSLSelfLabeler(GaussianNB(), modalities=spec, chunk_size=1, device="cpu").fit(X, y)
    b = CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu").fit(X, y)
    np.testing.assert_array_equal(a.transduction_, b.transduction_)


def test_cross_val_score_with_labeled_only_scorer():
    rng = np.random.RandomState(0)
    n = 120
    cls = rng.randint(2, size=n)
    X, spec = stack_modalities(a=rng.randn(n, 3) + 2 * cls[:, None], b=rng.randn(n, 4))
    y = np.where(rng.rand(n) < 0.3, cls, -1)
    cv = LabeledStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu")
    scores = cross_val_score(clf, X, y, cv=cv, scoring=labeled_scorer("balanced_accuracy"))
    expected = []
    for train, test in cv.split(X, y):
        fitted = clone(clf).fit(X[train], y[train])
        keep = y[test] != -1
        expected.append(balanced_accuracy_score(y[test][keep], fitted.predict(X[test][keep])))
    np.testing.assert_allclose(scores, expected)
    assert np.mean(scores) > 0.7


def test_pipeline_and_grid_search():
    X, y, spec, _ = _data(n=60)
    pipe = make_pipeline(FunctionTransformer(),
                         CMCSLSelfLabeler(GaussianNB(), modalities=spec, device="cpu"))
    grid = GridSearchCV(pipe, {"cmcslselflabeler__resolution": ["euclidean", "ratio"]},
                        cv=LabeledStratifiedKFold(n_splits=2),
                        scoring=labeled_scorer("accuracy")).fit(X, y)
    assert grid.best_params_["cmcslselflabeler__resolution"] in ("euclidean", "ratio")
    assert grid.predict(X).shape == (60,)


def test_pickle_round_trip_with_default_mlp():
    X, y, spec, _ = _data()
    clf = CMCSLSelfLabeler(modalities=spec, device="cpu", random_state=0).fit(X, y)
    clone_of = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(clone_of.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(clone_of.transduction_, clf.transduction_)


# -- missing modalities ------------------------------------------------------------------

NAN = np.nan


def _hand_made():
    """Two 1-D modalities; rows 0, 6 labeled 0 (at 0, 0.5) and rows 1, 7 labeled 1 (at 10, 9).

    Row 2 has B only (at 9: class 1), row 3 A only (at 1: class 0), row 4 both but
    disagreeing (A at 9.5 says 1 with ratio 0.5/9, B at 2 says 0 with ratio 1.5/7:
    A wins, class 1), row 5 nothing.
    """
    X = np.array([[0, 0], [10, 10], [NAN, 9], [1, NAN], [9.5, 2], [NAN, NAN],
                  [0.5, 0.5], [9, 9]])
    y = np.array([0, 1, -1, -1, -1, -1, 0, 1])
    return X, y, {"A": 1, "B": 1}


def _fit_hand_made(**params):
    X, y, spec = _hand_made()
    clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, preprocessing="none",
                           resolution="ratio", **params)
    with pytest.warns(UserWarning) as record:
        clf.fit(X, y)
    return clf, X, [str(w.message) for w in record]


def test_missing_modality_neither_proposes_nor_resolves():
    clf, X, messages = _fit_hand_made()
    np.testing.assert_array_equal(clf.transduction_, [0, 1, 1, 0, 1, -1, 0, 1])
    assert list(clf.label_modality_) == [None, None, "B", "A", "A", None, None, None]
    np.testing.assert_array_equal(clf.modality_labels_["A"], [0, 1, -1, 0, 1, -1, 0, 1])
    np.testing.assert_array_equal(clf.modality_labels_["B"], [0, 1, 1, -1, 0, -1, 0, 1])
    np.testing.assert_array_equal(clf.unlabeled_rows_, [5])
    assert clf.n_missing_ == {"A": 2, "B": 2}
    # each modality's classifier learns from the rows that have it, with the resolved labels
    np.testing.assert_array_equal(clf.estimators_[0].class_count_, [3, 3])  # rows 0,1,3,4,6,7
    np.testing.assert_array_equal(clf.estimators_[1].class_count_, [2, 4])  # rows 0,1,2,4,6,7
    assert any("1 training row(s) miss every modality (rows [5])" in m for m in messages)
    assert any("1 unlabeled row(s) got no label (rows [5])" in m for m in messages)


def test_late_fusion_predicts_from_the_present_modalities():
    clf, X, _ = _fit_hand_made()
    proba = clf.predict_proba(X[[2, 3, 4]])
    a, b = clf.estimators_
    np.testing.assert_allclose(proba[0], b.predict_proba(X[[2], 1:])[0])
    np.testing.assert_allclose(proba[1], a.predict_proba(X[[3], :1])[0])
    both = (a.predict_proba(X[[4], :1]) + b.predict_proba(X[[4], 1:])) / 2
    np.testing.assert_allclose(proba[2], both[0])
    per_modality = clf.modality_predict(X[[2, 3]])
    np.testing.assert_array_equal(per_modality["A"], [-1, 0])
    np.testing.assert_array_equal(per_modality["B"], [1, -1])
    with pytest.raises(ValueError, match=r"miss every modality .* rows \[1\]"):
        clf.predict(X[[0, 5]])


def test_missing_modalities_do_not_vote():
    # A and B are missing from row 3: C alone labels it, although two silent
    # modalities "agree" with each other
    X = np.array([[0, 0, 0], [10, 10, 10], [1, 1, 9], [NAN, NAN, 9], [9, 9, 9]])
    y = np.array([0, 1, -1, -1, -1])
    clf = CMCSLSelfLabeler(GaussianNB(), modalities={"A": 1, "B": 1, "C": 1},
                           preprocessing="none", resolution="ratio").fit(X, y)
    np.testing.assert_array_equal(clf.transduction_, [0, 1, 0, 1, 1])
    assert clf.label_modality_[3] == "C"
    assert clf.label_modality_[2] in ("A", "B")  # the majority, against C


def test_early_fusion_zeros_and_an_indicator_per_modality_missing_at_fit():
    clf, X, _ = _fit_hand_made(fusion="early")
    assert clf.indicator_modalities_ == ("A", "B")
    means = clf.estimator_.theta_  # GaussianNB: per-class means of [A, B, A present, B present]
    rows0, rows1 = [0, 3, 6], [1, 2, 4, 7]  # row 5 (nothing) is left out
    Z = np.array([[0, 0, 1, 1], [10, 10, 1, 1], [0, 9, 0, 1], [1, 0, 1, 0], [9.5, 2, 1, 1],
                  [0.5, 0.5, 1, 1], [9, 9, 1, 1]])
    index = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 7: 6}
    np.testing.assert_allclose(means[0], Z[[index[r] for r in rows0]].mean(axis=0))
    np.testing.assert_allclose(means[1], Z[[index[r] for r in rows1]].mean(axis=0))
    assert clf.predict(X[[2, 3]]).shape == (2,)


def test_string_labels_with_a_row_missing_everything():
    X, y, spec = _hand_made()
    y = np.array(["neg", "pos", -1, -1, -1, -1, "neg", "pos"], dtype=object)
    with pytest.warns(UserWarning, match="got no label"):
        clf = CMCSLSelfLabeler(GaussianNB(), modalities=spec, preprocessing="none").fit(X, y)
    assert list(clf.transduction_) == ["neg", "pos", "pos", "neg", "pos", -1, "neg", "pos"]


def test_uni_and_pre_modes_with_missing_modalities():
    clf, _, _ = _fit_hand_made(mode="uni")
    np.testing.assert_array_equal(clf.transduction_[:, 0], [0, 1, -1, 0, 1, -1, 0, 1])
    np.testing.assert_array_equal(clf.transduction_[:, 1], [0, 1, 1, -1, 0, -1, 0, 1])
    np.testing.assert_array_equal(clf.unlabeled_rows_, [5])
    pre, _, messages = _fit_hand_made(mode="pre")
    np.testing.assert_array_equal(pre.estimators_[0].class_count_, [2, 2])  # 0, 1, 6, 7
    assert messages == ["CMCSLSelfLabeler: 1 training row(s) miss every modality (rows [5]): "
                        "no classifier learns from them."]


def test_torch_mlp_final_estimator_with_missing_modalities():
    X, y, spec, _ = _data(n=40)
    X[8:14, :2] = np.nan   # m0 missing
    X[14:20, 2:] = np.nan  # m1 missing
    clf = CMCSLSelfLabeler(TorchMLPClassifier(max_epochs=2, random_state=0), modalities=spec,
                           device="cpu").fit(X, y)
    assert clf.estimators_[0].n_features_in_ == 2 and clf.estimators_[1].n_features_in_ == 5
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba[8:14], clf.estimators_[1].predict_proba(
        clf.preprocessors_["m1"].transform(X[8:14, 2:])), rtol=1e-6)
    early = CMCSLSelfLabeler(TorchMLPClassifier(max_epochs=2, random_state=0),
                             modalities=spec, fusion="early", device="cpu").fit(X, y)
    assert early.estimator_.n_features_in_ == 2 + 5 + 2


class _ThreadRecordingNB(GaussianNB):
    """GaussianNB that records the threads its fit and predict_proba ran in."""

    threads = []

    def fit(self, X, y, sample_weight=None):
        type(self).threads.append(("fit", threading.current_thread().name))
        return super().fit(X, y, sample_weight)

    def predict_proba(self, X):
        type(self).threads.append(("predict_proba", threading.current_thread().name))
        return super().predict_proba(X)


def test_n_jobs_fits_and_applies_the_modalities_classifiers_in_threads_to_the_same_result():
    X, y, spec, _ = _data(n=60, dims=(3, 4, 5), scale=(1.0, 2.0, 3.0))
    one = CMCSLSelfLabeler(GaussianNB(), modalities=spec).fit(X, y)
    _ThreadRecordingNB.threads = []
    two = CMCSLSelfLabeler(_ThreadRecordingNB(), modalities=spec, n_jobs=2).fit(X, y)
    proba = two.predict_proba(X)
    main = threading.current_thread().name
    for step in ("fit", "predict_proba"):
        names = [name for kind, name in _ThreadRecordingNB.threads if kind == step]
        assert len(names) == 3 and main not in names  # joblib's worker threads
    np.testing.assert_array_equal(proba, one.predict_proba(X))
    np.testing.assert_array_equal(two.predict(X), one.predict(X))
    for a, b in zip(two.modality_predict(X).values(), one.modality_predict(X).values()):
        np.testing.assert_array_equal(a, b)


def test_n_jobs_leaves_the_torch_classifiers_one_at_a_time(monkeypatch):
    X, y, spec, _ = _data(n=30)
    seen = []
    fit = TorchMLPClassifier.fit

    def recording_fit(self, *args, **kwargs):
        seen.append(threading.current_thread().name)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(TorchMLPClassifier, "fit", recording_fit)
    CMCSLSelfLabeler(TorchMLPClassifier(max_epochs=1, device="cpu"), modalities=spec,
                     n_jobs=2).fit(X, y)
    assert seen == [threading.current_thread().name] * 2
