"""DECClassifier: pretraining on every row, fine-tuning on the labeled rows."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from mmsense.datasets import make_multimodal_sentiment
from mmsense.dec import DECClassifier, DECPretrainer
from mmsense.model_selection import LabeledStratifiedKFold, labeled_scorer

SPEC = {"text": 6, "audio": (5, 3)}


def data(n=60, labeled_fraction=0.5, task="binary", seed=0):
    X, y, _, latent = make_multimodal_sentiment(
        n, SPEC, n_clusters=2 if task == "binary" else 3, task=task, noise=0.5,
        labeled_fraction=labeled_fraction, return_latent=True, random_state=seed,
    )
    truth = latent.cluster if task == "multiclass" else (latent.score >= 0).astype(int)
    return X, y, truth


def pretrainer(**params):
    settings = dict(modalities=SPEC, embed_dim=8, num_heads=2, hidden_dims=(16,), latent_dim=4,
                    pretrain_max_epochs=2, max_epochs=2, n_init=3, batch_size=16)
    settings.update(params)
    return DECPretrainer(**settings)


def tiny(pre=None, **params):
    settings = dict(max_epochs=3, batch_size=16, random_state=0)
    settings.update(params)
    return DECClassifier(pre or pretrainer(), **settings)


def test_fit_pretrains_on_every_row_and_fine_tunes_on_labeled_rows():
    X, y, _ = data()
    clf = tiny().fit(X, y)
    assert len(clf.pretrainer_.labels_) == len(X)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= {0, 1}
    # only the labeled rows train the head: skorch saw that many rows (train + valid)
    batches = clf.net_.history[0]["batches"]
    assert sum(b.get("train_batch_size", 0) + b.get("valid_batch_size", 0)
               for b in batches) == int((y != -1).sum())
    assert len(clf.history_) == 3


def test_pretrainer_is_not_modified_and_is_seeded_from_random_state():
    X, y, _ = data()
    pre = pretrainer()
    clf = tiny(pre).fit(X, y)
    assert pre.random_state is None and not hasattr(pre, "net_")
    assert clf.pretrainer_.random_state is not None


def test_string_labels_in_object_array_never_give_class_minus_one():
    X, y, _ = data(task="multiclass")
    names = np.array(["neg", "neu", "pos"], dtype=object)
    y_obj = np.where(y >= 0, names[np.maximum(y, 0)], -1).astype(object)
    clf = tiny().fit(X, y_obj)
    np.testing.assert_array_equal(clf.classes_, names)
    assert set(clf.predict(X)) <= set(names)


def test_string_array_with_minus_one_string_is_refused():
    X, y, _ = data()
    y_str = np.where(y >= 0, y.astype(str), "-1")
    with pytest.raises(ValueError, match="int -1 in an object array"):
        tiny().fit(X, y_str)


def test_no_labeled_row_is_an_error():
    X, y, _ = data()
    with pytest.raises(ValueError, match="y has no labeled row"):
        tiny().fit(X, np.full_like(y, -1))


def test_one_labeled_class_is_an_error():
    X, y, _ = data()
    y = np.full_like(y, -1)
    y[:5] = 1
    with pytest.raises(ValueError, match="1 class only, 1"):
        tiny().fit(X, y)


def test_head_starts_as_the_pretrained_nearest_center_rule():
    X, y, _ = data()
    clf = tiny(max_epochs=1, lr=1e-12).fit(X, y)  # fine-tuning too small to move anything
    pre = clf.pretrainer_
    np.testing.assert_array_equal(clf.predict(X), pre.classes_[pre.predict(X)])


def test_pretrainer_n_clusters_must_match_the_classes():
    X, y, _ = data()
    message = r"pretrainer has n_clusters=3 but y has 2 labeled classes \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        tiny(pretrainer(n_clusters=3)).fit(X, y)


def test_single_labeled_sample_of_a_class_is_fine():
    X, y, _ = data()
    y = np.full_like(y, -1)
    y[[0, 1, 2]] = [0, 1, 1]
    clf = tiny().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_pretrain_false_trains_the_same_network_from_scratch():
    X, y, _ = data()
    clf = tiny(pretrain=False).fit(X, y)
    assert clf.pretrainer_ is None
    with_pre = tiny().fit(X, y)
    shapes = [p.shape for p in clf.net_.module_.parameters()]
    assert shapes == [p.shape for p in with_pre.net_.module_.parameters()]


def test_learns_semi_supervised_binary_polarity():
    X, y, truth = data(n=200, labeled_fraction=0.2, seed=3)
    clf = tiny(pretrainer(pretrain_max_epochs=15, max_epochs=10, batch_size=32),
               max_epochs=30).fit(X, y)
    unlabeled = y == -1
    assert np.mean(clf.predict(X[unlabeled]) == truth[unlabeled]) > 0.9


def test_grid_search_reaches_pretrainer_parameters():
    X, y, _ = data()
    search = GridSearchCV(
        tiny(), {"pretrainer__latent_dim": [2, 4]},
        cv=LabeledStratifiedKFold(2, shuffle=True, random_state=0),
        scoring=labeled_scorer("accuracy"),
    ).fit(X, y)
    assert search.best_params_["pretrainer__latent_dim"] in (2, 4)
    assert search.best_estimator_.pretrainer_.latent_dim == search.best_params_[
        "pretrainer__latent_dim"]


def test_random_state_reproducible_and_pickle_identical():
    X, y, _ = data()
    a = tiny(random_state=1).fit(X, y)
    b = tiny(random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.predict_proba(X), a.predict_proba(X))
    assert clone(a).get_params()["pretrainer"].get_params() == a.pretrainer.get_params()


def test_bad_pretrainer_is_named():
    X, y, _ = data()
    with pytest.raises(ValueError,
                       match="'pretrainer' parameter of DECClassifier must be an instance of"):
        DECClassifier(pretrainer="dec").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_then_cpu_load(reload_on_cpu_only):
    X, y, _ = data()
    clf = tiny(pretrainer(device="cuda"), device="cuda").fit(X, y)
    assert clf.device_ == "cuda"
    loaded = reload_on_cpu_only(clf)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-4)


def test_fit_and_predict_with_missing_modalities():
    X, y, _ = data()
    X = X.copy()
    X[:10, :6] = np.nan   # text missing
    X[10:15, 6:] = np.nan  # audio missing
    clf = tiny().fit(X, y)
    assert clf.n_missing_ == clf.pretrainer_.n_missing_ == {"text": 10, "audio": 5}
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all() and proba.shape == (len(X), 2)
    with pytest.raises(ValueError, match="miss every modality"):
        clf.predict(np.full((1, X.shape[1]), np.nan, dtype=X.dtype))
