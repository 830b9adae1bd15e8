"""Validation-based selection: phase-2 epoch and fine-tuning epoch picked on held-out labels."""

import numpy as np
import pytest

from mmsense._contract import network_inputs, parse_modalities
from mmsense.datasets import make_multimodal_sentiment
from mmsense.dec import DECClassifier, DECPretrainer
from mmsense.dec import _classifier, _training
from mmsense.dec._training import labeled_holdout
from mmsense.nn import predict_batches, torch_seed_from

SPEC = {"text": 6, "audio": (5, 3)}


def data(n=80, n_clusters=2, labeled_fraction=0.5, seed=0):
    X, y, _ = make_multimodal_sentiment(
        n, SPEC, n_clusters=n_clusters, task="multiclass", noise=0.5,
        labeled_fraction=labeled_fraction, random_state=seed,
    )
    return X, y


def pretrainer(**params):
    settings = dict(modalities=SPEC, embed_dim=8, num_heads=2, hidden_dims=(16,), latent_dim=4,
                    pretrain_max_epochs=2, max_epochs=3, n_init=3, batch_size=16, tol=0.0,
                    random_state=0)
    settings.update(params)
    return DECPretrainer(**settings)


def scripted_scores(monkeypatch, accuracies):
    """Make the phase-2 held-out evaluation return ``accuracies`` in turn (start first)."""
    scores = iter(accuracies)
    monkeypatch.setattr(_training.HoldoutScore, "__call__", lambda self: (next(scores), 0.0))


# ------------------------------------------------------------------------- the hold-out rows

def test_labeled_holdout_is_stratified_and_keeps_a_training_row_per_class():
    codes = np.array([-1] * 10 + [0] * 10 + [1] * 5 + [2] * 1)
    held = labeled_holdout(codes, 0.2, seed=0)
    assert (codes[held] >= 0).all()
    assert np.bincount(codes[held], minlength=3).tolist() == [2, 1, 0]
    assert len(np.unique(held)) == len(held) and (np.diff(held) > 0).all()
    assert len(labeled_holdout(codes, None, seed=0)) == 0
    np.testing.assert_array_equal(labeled_holdout(codes, 0.2, 0), labeled_holdout(codes, 0.2, 0))


def test_held_out_labels_are_hidden_from_centers_and_cross_entropy(monkeypatch):
    seen = []
    original = _training.labeled_cross_entropy

    def spy(log_q, labels):
        seen.append(labels.clone())
        return original(log_q, labels)

    monkeypatch.setattr(_training, "labeled_cross_entropy", spy)
    X, y = data()
    dec = pretrainer(label_validation_fraction=0.25, max_epochs=1, batch_size=len(X)).fit(X, y)
    held = dec.label_holdout_
    assert len(held) > 0 and (y[held] >= 0).all()
    # one full batch: rows shuffled, so compare label counts: held-out rows count as unlabeled
    labels = seen[0].cpu().numpy()
    assert (labels >= 0).sum() == (y >= 0).sum() - len(held)


# ---------------------------------------------------------------------- phase-2 selection

def test_phase2_stops_after_patience_epochs_without_a_better_holdout_score(monkeypatch):
    scripted_scores(monkeypatch, [0.5, 0.6, 0.9, 0.7, 0.8, 0.85, 0.99])
    X, y = data()
    dec = pretrainer(max_epochs=20, patience=3).fit(X, y)
    assert dec.termination_condition_ == "patience"
    assert dec.n_iter_ == 5 and dec.best_epoch_ == 2
    assert [row["holdout_accuracy"] for row in dec.history_["clustering"]] == [
        0.6, 0.9, 0.7, 0.8, 0.85]


def test_phase2_keeps_the_pretrained_encoder_when_no_epoch_beats_it(monkeypatch):
    X, y = data()
    autoencoder_only = pretrainer(max_epochs=0).fit(X, y)
    scripted_scores(monkeypatch, [0.9, 0.5, 0.6, 0.7])
    dec = pretrainer(max_epochs=3, patience=None).fit(X, y)
    assert dec.termination_condition_ == "max_epochs" and dec.n_iter_ == 3
    assert dec.best_epoch_ == 0
    # same seed, same phase 1: the restored encoder is the phase-1 encoder
    np.testing.assert_allclose(dec.transform(X), autoencoder_only.transform(X), atol=1e-6)


def test_without_holdout_the_last_epoch_is_kept():
    X, y = data()
    dec = pretrainer(label_validation_fraction=None).fit(X, y)
    assert len(dec.label_holdout_) == 0
    assert dec.best_epoch_ == dec.n_iter_ == 3
    assert "holdout_accuracy" not in dec.history_["clustering"][0]


# -------------------------------------------------------------------- fine-tuning selection

def test_fine_tuning_validates_on_the_pretrainer_holdout():
    X, y = data()
    clf = DECClassifier(pretrainer(), max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.validation_rows_, clf.pretrainer_.label_holdout_)
    assert all("valid_acc" in row for row in clf.history_)


def test_scratch_validates_on_a_stratified_fraction_of_labeled_rows():
    X, y = data()
    clf = DECClassifier(pretrainer(), pretrain=False, validation_fraction=0.25, max_epochs=2,
                        random_state=0).fit(X, y)
    codes = np.where(y >= 0, np.searchsorted(clf.classes_, y), -1)
    expected = labeled_holdout(codes, 0.25, seed=torch_seed_from(0))
    np.testing.assert_array_equal(clf.validation_rows_, expected)


def test_fine_tuning_keeps_the_nearest_center_start_when_no_epoch_beats_it(monkeypatch):
    monkeypatch.setattr(_classifier, "_valid_accuracy", lambda net, X, y: 0.0)
    X, y = data()
    clf = DECClassifier(pretrainer(), max_epochs=3, random_state=0).fit(X, y)
    pre = clf.pretrainer_
    np.testing.assert_array_equal(clf.predict(X), pre.classes_[pre.predict(X)])


def test_fine_tuning_does_not_reinitialise_the_pretrained_encoder():
    X, y = data()
    clf = DECClassifier(pretrainer(), lr=1e-12, max_epochs=1, random_state=0).fit(X, y)
    z = clf.pretrainer_.transform(X)
    encoder = clf.net_.module_.encoder
    specs = parse_modalities(clf._modalities, X.shape[1])
    z_fine_tuned = predict_batches(encoder, network_inputs(X, specs)).numpy()
    np.testing.assert_allclose(z_fine_tuned, z, atol=1e-4)


def test_encoder_learns_at_its_own_rate_only_when_pretrained():
    X, y = data()
    clf = DECClassifier(pretrainer(), lr=1e-3, encoder_lr_ratio=0.1, max_epochs=1,
                        random_state=0).fit(X, y)
    rates = sorted(group["lr"] for group in clf.net_.optimizer_.param_groups)
    assert rates == pytest.approx([1e-4, 1e-3])
    scratch = DECClassifier(pretrainer(), pretrain=False, lr=1e-3, encoder_lr_ratio=0.1,
                            max_epochs=1, random_state=0).fit(X, y)
    assert {group["lr"] for group in scratch.net_.optimizer_.param_groups} == {1e-3}


@pytest.mark.parametrize("estimator, params, message", [
    (pretrainer, {"label_validation_fraction": 1.0},
     r"'label_validation_fraction' parameter .* in the range \(0.0, 1.0\) or None. Got 1.0"),
    (pretrainer, {"label_validation_fraction": 0}, "'label_validation_fraction' parameter"),
    (lambda **p: DECClassifier(pretrainer(), **p), {"encoder_lr_ratio": 0.0},
     "'encoder_lr_ratio' parameter of DECClassifier must be a float"),
])
def test_bad_selection_parameters_are_named(estimator, params, message):
    X, y = data()
    with pytest.raises(ValueError, match=message):
        estimator(**params).fit(X, y)
