"""make_multimodal_sentiment: shapes, ground truth and the knobs that tests rely on."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score

from mmsense._contract import check_modality_values, parse_modalities, split_modalities
from mmsense.datasets import make_multimodal_sentiment


def test_contract_shapes_and_padding():
    X, y, spec, latent = make_multimodal_sentiment(60, random_state=0, return_latent=True)
    specs = parse_modalities(spec, X.shape[1])
    check_modality_values(X, specs)
    assert X.dtype == np.float32 and y.shape == (60,)
    blocks = split_modalities(X, specs)
    np.testing.assert_array_equal(blocks["audio"].lengths, latent.lengths["audio"])
    assert latent.lengths["audio"].min() >= 5 and latent.lengths["audio"].max() <= 20
    assert len(np.unique(latent.lengths["audio"])) > 1


def test_aligned_sequences_are_full_length():
    X, _, _ = make_multimodal_sentiment(20, unaligned=False, random_state=0)
    assert not np.isnan(X).any()


def test_scores_follow_clusters():
    _, y, _, latent = make_multimodal_sentiment(500, n_clusters=5, random_state=1,
                                                return_latent=True)
    assert y.min() >= -3 and y.max() <= 3
    np.testing.assert_array_equal(y, latent.score)
    for k, center in enumerate(latent.cluster_scores):
        assert abs(y[latent.cluster == k].mean() - center) < 0.1


def test_latent_views_reconstruct_the_signal():
    """The returned views are the generator's: X minus the view's signal is the noise."""
    spec = {"text": 6, "audio": (4, 3)}
    X, _, _, latent = make_multimodal_sentiment(
        400, spec, noise=0.5, modality_informativeness={"audio": 2.0}, random_state=3,
        return_latent=True,
    )
    blocks = split_modalities(X, parse_modalities(spec, X.shape[1]))
    for name, block in blocks.items():
        view = latent.views[name]
        signal = view.informativeness * (view.prototypes[latent.cluster]
                                         + latent.score[:, None] * view.direction)
        values = block.values if block.lengths is None else block.values[:, 0]
        residual = values - signal
        assert abs(residual.std() - latent.noise) < 0.05
        assert abs(residual.mean()) < 0.05
    assert latent.views["audio"].informativeness == 2.0


def test_informativeness_controls_signal():
    spec = {"strong": 10, "weak": 10}
    X, y, _ = make_multimodal_sentiment(
        400, spec, modality_informativeness={"strong": 2.0, "weak": 0.0}, random_state=0
    )
    strong = cross_val_score(Ridge(), X[:, :10], y, cv=3).mean()
    weak = cross_val_score(Ridge(), X[:, 10:], y, cv=3).mean()
    assert strong > 0.8 and weak < 0.05


def test_classification_tasks_and_unlabeled_rows():
    _, y, _, latent = make_multimodal_sentiment(
        300, task="multiclass", n_clusters=4, labeled_fraction=0.1, random_state=0,
        return_latent=True,
    )
    labeled = y != -1
    np.testing.assert_array_equal(labeled, latent.labeled)
    np.testing.assert_array_equal(y[labeled], latent.cluster[labeled])
    assert set(np.unique(y[labeled])) == {0, 1, 2, 3}
    assert 0.08 < labeled.mean() < 0.12
    _, yb, _, lat = make_multimodal_sentiment(100, task="binary", random_state=0,
                                              return_latent=True)
    np.testing.assert_array_equal(yb, (lat.score >= 0).astype(int))


def test_same_seed_same_data():
    a = make_multimodal_sentiment(30, random_state=5)
    b = make_multimodal_sentiment(30, random_state=5)
    np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(task="ranking"), "task"),
        (dict(labeled_fraction=0.5), "labeled_fraction < 1 needs"),
        (dict(labeled_fraction=0.0, task="binary"), "labeled_fraction"),
        (dict(modality_informativeness={"smell": 1.0}), "smell"),
        (dict(noise=-1.0), "noise"),
    ],
)
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_multimodal_sentiment(20, **kwargs)


def test_sequence_lengths_follow_one_duration_per_sample():
    spec = {"audio": (40, 2), "vision": (80, 3)}
    _, _, _, latent = make_multimodal_sentiment(200, spec, random_state=0, return_latent=True)
    audio, vision = latent.lengths["audio"], latent.lengths["vision"]
    assert audio.min() >= 10 and vision.max() <= 80
    # the same clip duration drives both: vision has about twice audio's steps
    np.testing.assert_allclose(vision / 80, audio / 40, atol=1 / 40)
