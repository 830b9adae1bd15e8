"""Semi-supervised CV: labeled-only scorer and the labeled-stratified splitters."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from mmsense.model_selection import (
    LabeledStratifiedKFold,
    RepeatedLabeledStratifiedKFold,
    labeled_scorer,
)


def _semi_supervised_labels(seed=0):
    """Three imbalanced classes (30/20/12 labeled rows) and 23 unlabeled rows, shuffled."""
    y = np.array([0] * 30 + [1] * 20 + [2] * 12 + [-1] * 23)
    return np.random.RandomState(seed).permutation(y)


# ---------------------------------------------------------------- labeled_scorer

def test_labeled_scorer_ignores_unlabeled_rows():
    X = np.zeros((6, 1))
    y = np.array([1, 1, 0, -1, -1, 1])
    clf = DummyClassifier(strategy="constant", constant=1).fit(X, [1, 0, 1, 0, 1, 1])
    # labeled rows 0, 1, 2, 5: constant 1 is right on 3 of 4
    assert labeled_scorer("accuracy")(clf, X, y) == pytest.approx(0.75)
    # the plain scorer counts both unlabeled rows as errors
    assert accuracy_score(y, clf.predict(X)) == pytest.approx(0.5)
    # sample_weight follows the kept rows
    w = np.array([1.0, 1.0, 2.0, 5.0, 5.0, 1.0])
    assert labeled_scorer("accuracy")(clf, X, y, sample_weight=w) == pytest.approx(3 / 5)


def test_labeled_scorer_object_string_labels():
    X = np.zeros((5, 1))
    y = np.array(["pos", "neg", -1, "pos", -1], dtype=object)
    clf = DummyClassifier(strategy="constant", constant="pos").fit(X, ["pos", "neg"] * 2 + ["pos"])
    assert labeled_scorer("accuracy")(clf, X, y) == pytest.approx(2 / 3)
    y_str = np.array(["pos", "neg", "?", "pos", "?"])
    assert labeled_scorer("accuracy", unlabeled="?")(clf, X, y_str) == pytest.approx(2 / 3)


def test_labeled_scorer_msa_name_and_nan_marker_for_regression():
    X = np.zeros((4, 1))
    y = np.array([-1.0, np.nan, 2.0, np.nan])  # -1 is a real score here
    reg = DummyRegressor(strategy="constant", constant=0.5).fit(X, [0.0, 1.0, 0.0, 1.0])
    scorer = labeled_scorer("neg_mae", unlabeled=np.nan)
    assert scorer(reg, X, y) == pytest.approx(-(1.5 + 1.5) / 2)
    assert labeled_scorer("acc2_non0", unlabeled=np.nan)(reg, X, y) == pytest.approx(0.5)


def test_labeled_scorer_callable_repr_pickle_and_errors():
    def mean_prediction(estimator, X, y):
        return float(np.mean(estimator.predict(X)))

    X = np.arange(4.0).reshape(-1, 1)
    y = np.array([0, 1, -1, 1])
    clf = DummyClassifier(strategy="constant", constant=1).fit(X, [0, 1, 1, 1])
    scorer = labeled_scorer(mean_prediction)
    assert scorer(clf, X, y) == 1.0
    assert "mean_prediction" in repr(scorer)
    assert pickle.loads(pickle.dumps(labeled_scorer("f1_macro")))(clf, X, y) == pytest.approx(
        f1_score([0, 1, 1], [1, 1, 1], average="macro"))
    with pytest.raises(ValueError, match="No labeled rows to score"):
        labeled_scorer("accuracy")(clf, X, [-1, -1, -1, -1])
    with pytest.raises(ValueError, match="scoring must be a scorer name or a callable"):
        labeled_scorer(3)
    with pytest.raises(ValueError, match="not a valid scoring value"):
        labeled_scorer("no_such_scorer")


# ---------------------------------------------------------------- LabeledStratifiedKFold

@pytest.mark.parametrize("shuffle, random_state", [(False, None), (True, 0), (True, 7)])
def test_folds_partition_stratify_and_spread(shuffle, random_state):
    y = _semi_supervised_labels()
    X = np.zeros((len(y), 2))
    cv = LabeledStratifiedKFold(5, shuffle=shuffle, random_state=random_state)
    folds = list(cv.split(X, y))
    assert len(folds) == cv.get_n_splits() == 5
    tests = np.concatenate([test for _, test in folds])
    # every row (labeled or not) is in exactly one test fold
    np.testing.assert_array_equal(np.sort(tests), np.arange(len(y)))
    for train, test in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    counts = np.array([[np.sum(y[test] == c) for c in (-1, 0, 1, 2)] for _, test in folds])
    # per class (30, 20, 12 labeled) within 1 of each other; unlabeled (23) spread 5/5/5/4/4
    assert (counts.max(axis=0) - counts.min(axis=0) <= 1).all(), counts
    np.testing.assert_array_equal(counts.sum(axis=0), [23, 30, 20, 12])
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 1


def test_labeled_folds_are_stratified_kfold_on_the_labeled_rows():
    y = _semi_supervised_labels()
    labeled = np.flatnonzero(y != -1)
    ours = [np.intersect1d(test, labeled) for _, test in
            LabeledStratifiedKFold(4).split(np.zeros(len(y)), y)]
    ref = [labeled[test] for _, test in
           StratifiedKFold(4).split(np.zeros(labeled.size), y[labeled])]
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(a, b)


def test_shuffle_reproducible_with_random_state():
    y = _semi_supervised_labels()
    X = np.zeros((len(y), 1))

    def test_folds(cv):
        return [test.tolist() for _, test in cv.split(X, y)]

    a = test_folds(LabeledStratifiedKFold(5, shuffle=True, random_state=3))
    assert a == test_folds(LabeledStratifiedKFold(5, shuffle=True, random_state=3))
    assert a != test_folds(LabeledStratifiedKFold(5, shuffle=True, random_state=4))
    cv = LabeledStratifiedKFold(5, shuffle=True, random_state=3)
    assert test_folds(cv) == test_folds(cv)  # an int seed gives the same folds on every call


def test_object_labels_and_no_unlabeled_rows():
    y = np.array(["a", "b"] * 6 + [-1] * 3, dtype=object)
    folds = list(LabeledStratifiedKFold(3).split(np.zeros(len(y)), y))
    for _, test in folds:
        assert sorted(map(str, y[test])) == ["-1", "a", "a", "b", "b"]
    y = np.array([0, 1] * 6)
    assert len(list(LabeledStratifiedKFold(3).split(np.zeros(len(y)), y))) == 3


def test_small_classes_follow_stratified_kfold():
    X = np.zeros((12, 1))
    y = np.array([0] * 6 + [1] * 2 + [-1] * 4)
    with pytest.warns(UserWarning, match="least populated class in y has only 2 members"):
        list(LabeledStratifiedKFold(3).split(X, y))
    y = np.array([0, 0, 1, 1] + [-1] * 8)
    with pytest.raises(ValueError, match="cannot be greater than the number of members"):
        list(LabeledStratifiedKFold(3).split(X, y))


def test_splitter_errors():
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match="no labeled rows"):
        list(LabeledStratifiedKFold(2).split(X, [-1] * 6))
    with pytest.raises(ValueError, match="needs y"):
        LabeledStratifiedKFold(2).split(X, None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LabeledStratifiedKFold(2).split(X, [0, 1, 0])
    with pytest.raises(ValueError, match="k-fold cross-validation requires at least one"):
        LabeledStratifiedKFold(1)
    with pytest.raises(ValueError, match="no effect since shuffle is False"):
        LabeledStratifiedKFold(3, random_state=0)
    with pytest.raises(ValueError, match="n_repeats must be at least 1"):
        RepeatedLabeledStratifiedKFold(3, n_repeats=0)
    with pytest.raises(ValueError, match="n_repeats must be an integer"):
        RepeatedLabeledStratifiedKFold(3, n_repeats=1.5)


def test_repr_shows_parameters():
    text = " ".join(repr(LabeledStratifiedKFold(3, shuffle=True, random_state=1)).split())
    expected = "LabeledStratifiedKFold(n_splits=3, random_state=1, shuffle=True, unlabeled=-1)"
    assert text == expected


# ---------------------------------------------------------------- RepeatedLabeledStratifiedKFold

def test_repeated_folds():
    y = _semi_supervised_labels()
    X = np.zeros((len(y), 1))
    cv = RepeatedLabeledStratifiedKFold(5, n_repeats=2, random_state=0)
    folds = [test for _, test in cv.split(X, y)]
    assert len(folds) == cv.get_n_splits() == 10
    for rep in (folds[:5], folds[5:]):
        np.testing.assert_array_equal(np.sort(np.concatenate(rep)), np.arange(len(y)))
    assert [f.tolist() for f in folds[:5]] != [f.tolist() for f in folds[5:]]
    again = [test for _, test in RepeatedLabeledStratifiedKFold(5, random_state=0).split(X, y)]
    assert all(np.array_equal(a, b) for a, b in zip(folds, again))


# ---------------------------------------------------------------- end to end

def _semi_supervised_problem():
    X, y = make_classification(n_samples=160, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=2, class_sep=1.5, random_state=0)
    y = np.where(np.random.RandomState(1).rand(len(y)) < 0.6, -1, y)
    return X, y


@pytest.mark.parametrize("estimator", [SelfTrainingClassifier(LogisticRegression()),
                                       LabelSpreading(gamma=0.5)])
def test_cross_val_score_of_semi_supervised_estimator(estimator):
    X, y = _semi_supervised_problem()
    cv = LabeledStratifiedKFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(estimator, X, y, cv=cv, scoring=labeled_scorer("accuracy"))
    # the same evaluation written out by hand: fit on the fold, score its labeled test rows
    expected = []
    for train, test in cv.split(X, y):
        model = clone(estimator).fit(X[train], y[train])
        keep = test[y[test] != -1]
        expected.append(accuracy_score(y[keep], model.predict(X[keep])))
    np.testing.assert_allclose(scores, expected)
    assert scores.mean() > 0.7  # chance is 0.5
    # sklearn's plain scorer counts every unlabeled test row as an error
    plain = cross_val_score(estimator, X, y, cv=cv, scoring="accuracy")
    assert (plain < scores).all()
    assert (plain <= [np.mean(y[test] != -1) for _, test in cv.split(X, y)]).all()


def test_grid_search_with_labeled_cv_and_scorer():
    X, y = _semi_supervised_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LabelSpreading convergence chatter on tiny folds
        search = GridSearchCV(LabelSpreading(), {"gamma": [0.01, 0.5]},
                              cv=RepeatedLabeledStratifiedKFold(3, n_repeats=2, random_state=0),
                              scoring={"acc": labeled_scorer("accuracy"),
                                       "f1": labeled_scorer("f1_macro")},
                              refit="acc").fit(X, y)
    assert len([k for k in search.cv_results_ if k.startswith("split")]) == 2 * 6
    assert search.best_score_ > 0.8


def test_labelled_spellings_still_work_with_a_future_warning():
    import mmsense
    from mmsense.datasets import make_multimodal_sentiment
    from mmsense.model_selection import (
        LabeledStratifiedKFold,
        LabelledStratifiedKFold,
        labeled_scorer,
        labelled_scorer,
    )

    y = np.array([0, 0, 1, 1, -1, -1, -1, -1])
    with pytest.warns(FutureWarning, match="use LabeledStratifiedKFold"):
        old = list(LabelledStratifiedKFold(n_splits=2).split(np.zeros((8, 1)), y))
    new = list(LabeledStratifiedKFold(n_splits=2).split(np.zeros((8, 1)), y))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(old, new))
    with pytest.warns(FutureWarning, match="use labeled_scorer"):
        scorer = labelled_scorer("accuracy", unlabelled=-1)
    assert scorer.__name__ == labeled_scorer("accuracy").__name__ == "labeled_accuracy"
    assert mmsense.labelled_scorer is labelled_scorer  # importable, not advertised
    assert "labelled_scorer" not in mmsense.__all__
    with pytest.warns(FutureWarning, match="use labeled_fraction"):
        _, y_old, _ = make_multimodal_sentiment(40, task="binary", labelled_fraction=0.5,
                                                random_state=0)
    _, y_new, _ = make_multimodal_sentiment(40, task="binary", labeled_fraction=0.5,
                                            random_state=0)
    np.testing.assert_array_equal(y_old, y_new)
