"""TorchMLPClassifier: CMCSL's default final classifier."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from mmsense.neural_network import TorchMLPClassifier


def _blobs(n=60, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1, 2], n // 3)
    X = rng.randn(n, 4) + 3 * np.eye(3, 4)[y]
    return X.astype(np.float32), y


def test_learns_separable_classes_with_string_labels():
    X, y = _blobs()
    names = np.array(["neg", "neu", "pos"])
    clf = TorchMLPClassifier(max_epochs=30, lr=0.02, device="cpu", random_state=0)
    clf.fit(X, names[y])
    assert list(clf.classes_) == ["neg", "neu", "pos"]
    assert np.mean(clf.predict(X) == names[y]) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_binary_decision_function_is_the_logit_margin():
    X, y = _blobs()
    keep = y < 2
    clf = TorchMLPClassifier(max_epochs=5, device="cpu", random_state=0).fit(X[keep], y[keep])
    proba = clf.predict_proba(X[keep])
    margin = clf.decision_function(X[keep])
    assert margin.shape == (keep.sum(),)
    np.testing.assert_allclose(margin, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-3, atol=1e-4)


def test_balanced_class_weight_comes_from_the_given_labels():
    X, y = _blobs()
    y = y.copy()
    y[:15] = 1  # make the classes unequal
    clf = TorchMLPClassifier(max_epochs=1, class_weight="balanced", device="cpu").fit(X, y)
    counts = np.bincount(y)
    np.testing.assert_allclose(clf.class_weight_, len(y) / (3 * counts))
    np.testing.assert_allclose(clf.class_weight_,
                               compute_class_weight("balanced", classes=np.arange(3), y=y))
    weight = clf.net_.criterion_.weight.cpu().numpy()
    np.testing.assert_allclose(weight, clf.class_weight_, rtol=1e-6)


def test_same_seed_same_model_and_pickle():
    X, y = _blobs()
    a = TorchMLPClassifier(max_epochs=3, device="cpu", random_state=1).fit(X, y)
    b = TorchMLPClassifier(max_epochs=3, device="cpu", random_state=1).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_allclose(c.predict_proba(X), a.predict_proba(X))


def test_early_stopping_with_validation_split():
    X, y = _blobs(n=90)
    clf = TorchMLPClassifier(max_epochs=200, validation_fraction=0.3, patience=2, lr=0.05,
                             device="cpu", random_state=0).fit(X, y)
    assert len(clf.net_.history) < 200
    assert "valid_loss" in clf.net_.history[-1]


@pytest.mark.parametrize("params, match", [
    ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes"),
    ({"max_epochs": 0}, "max_epochs"),
    ({"class_weight": "auto"}, "class_weight"),
    ({"validation_fraction": 1.5}, "validation_fraction"),
])
def test_bad_params(params, match):
    X, y = _blobs()
    with pytest.raises(ValueError, match=match):
        TorchMLPClassifier(device="cpu", **params).fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_then_cpu_load(reload_on_cpu_only):
    X, y = _blobs()
    clf = TorchMLPClassifier(max_epochs=5, device="cuda", random_state=0).fit(X, y)
    assert clf.device_ == "cuda"
    assert next(clf.net_.module_.parameters()).is_cuda
    loaded = reload_on_cpu_only(clf)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-5)
