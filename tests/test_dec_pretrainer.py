"""DECPretrainer: phases, stopping rule, KMeans-like interface, persistence."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score
from sklearn.pipeline import Pipeline

from mmsense.datasets import make_multimodal_sentiment
from mmsense.dec import DECPretrainer
from mmsense.dec import _training
from mmsense.nn import torch_seed_from
from mmsense.preprocessing import ModalityScaler

SPEC = {"text": 6, "audio": (5, 3)}


def data(n=60, n_clusters=3, labeled_fraction=1.0, seed=0):
    X, y, spec, latent = make_multimodal_sentiment(
        n, SPEC, n_clusters=n_clusters, task="multiclass", noise=0.5,
        labeled_fraction=labeled_fraction, return_latent=True, random_state=seed,
    )
    return X, y, latent.cluster


def tiny(**params):
    settings = dict(modalities=SPEC, embed_dim=8, num_heads=2, hidden_dims=(16,), latent_dim=4,
                    pretrain_max_epochs=2, max_epochs=2, n_init=3, batch_size=16,
                    random_state=0)
    settings.update(params)
    return DECPretrainer(**settings)


# ---------------------------------------------------------------- phase 2 and its stopping rule

def test_tol_stops_at_the_first_comparison_when_any_change_is_small_enough():
    X, y, _ = data()
    dec = tiny(tol=1.0, max_epochs=10, update_interval=2).fit(X, y)
    # updates at epochs 0 (nothing to compare) and 2 (compare -> fewer than 100% changed)
    assert dec.termination_condition_ == "tol"
    assert dec.n_iter_ == 2
    assert len(dec.history_["clustering"]) == 2
    assert dec.history_["clustering"][0]["changed"] is None


def test_tol_zero_runs_max_epochs():
    X, y, _ = data()
    dec = tiny(tol=0.0, max_epochs=4, update_interval=2).fit(X, y)
    assert dec.termination_condition_ == "max_epochs"
    assert dec.n_iter_ == 4
    changed = [row["changed"] for row in dec.history_["clustering"]]
    assert changed[0] is None and changed[1] is None and changed[3] is None
    assert 0.0 <= changed[2] <= 1.0


def test_stops_once_fewer_than_tol_assignments_change(monkeypatch):
    scripted = iter([0.5, 0.2, 0.002, 0.0009, 0.0])
    monkeypatch.setattr(_training, "assignment_change", lambda prev, cur: next(scripted))
    X, y, _ = data()
    dec = tiny(tol=1e-3, max_epochs=50).fit(X, y)
    # comparisons at epochs 1, 2, 3, 4: the fourth (0.09% < 0.1%) stops before epoch 5
    assert dec.termination_condition_ == "tol"
    assert dec.n_iter_ == 4
    assert [row["changed"] for row in dec.history_["clustering"]] == [None, 0.5, 0.2, 0.002]


def test_target_is_computed_on_the_whole_training_set_every_update(monkeypatch):
    seen = []
    original = _training.target_distribution

    def recording(q):
        seen.append(q.shape[0])
        return original(q)

    monkeypatch.setattr(_training, "target_distribution", recording)
    X, y, _ = data(n=50)
    tiny(batch_size=8, tol=0.0, max_epochs=5, update_interval=2).fit(X, y)
    assert seen == [50, 50, 50]  # epochs 0, 2, 4


def test_centers_start_at_labeled_class_means():
    X, y, _ = data(labeled_fraction=0.3)
    dec = tiny(max_epochs=0).fit(X, y)
    z = dec.transform(X)
    expected = np.stack([z[y == c].mean(0) for c in range(3)])
    np.testing.assert_allclose(dec.cluster_centers_, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(dec.classes_, [0, 1, 2])


def test_centers_start_at_kmeans_without_labels():
    X, _, _ = data()
    dec = tiny(n_clusters=3, max_epochs=0, n_init=4).fit(X)
    z = dec.transform(X)
    kmeans = KMeans(3, n_init=4, random_state=torch_seed_from(0)).fit(z)
    np.testing.assert_allclose(dec.cluster_centers_, kmeans.cluster_centers_, rtol=1e-4,
                               atol=1e-5)
    assert dec.classes_ is None
    assert dec.n_iter_ == 0


def test_history_per_phase():
    X, y, _ = data()
    dec = tiny(pretrain_max_epochs=3, max_epochs=2, tol=0.0).fit(X, y)
    phase1 = dec.history_["autoencoder"]
    assert [row["epoch"] for row in phase1] == [1, 2, 3]
    assert {"train_loss", "valid_loss", "dur"} <= set(phase1[0])
    phase2 = dec.history_["clustering"]
    assert {"loss", "kl", "label_ce", "reconstruction", "disentanglement", "dur"} <= set(phase2[0])


# ---------------------------------------------------------------- learning

def test_unsupervised_clusters_recover_the_synthetic_clusters():
    X, _, cluster = data(n=150, n_clusters=3, seed=1)
    dec = tiny(n_clusters=3, pretrain_max_epochs=15, max_epochs=10, batch_size=32).fit(X)
    # chance NMI for 3 balanced clusters on 150 rows is about 0.01
    assert normalized_mutual_info_score(cluster, dec.labels_) > 0.6
    np.testing.assert_array_equal(dec.predict(X), dec.labels_)


def test_semi_supervised_clusters_are_the_classes():
    X, y, cluster = data(n=150, n_clusters=3, labeled_fraction=0.2, seed=2)
    dec = tiny(pretrain_max_epochs=15, max_epochs=10, batch_size=32).fit(X, y)
    unlabeled = y == -1
    accuracy = np.mean(dec.classes_[dec.predict(X[unlabeled])] == cluster[unlabeled])
    assert accuracy > 0.8


# ---------------------------------------------------------------- labels and bad input

def test_string_labels_in_object_array():
    X, y, _ = data()
    names = np.array(["neg", "neu", "pos"], dtype=object)
    y_obj = np.where(y >= 0, names[np.maximum(y, 0)], -1).astype(object)
    dec = tiny().fit(X, y_obj)
    np.testing.assert_array_equal(dec.classes_, names)
    assert dec.labels_.dtype == np.int64 and set(dec.labels_) <= {0, 1, 2}


def test_single_labeled_sample_of_a_class_is_fine():
    X, y, _ = data()
    y = np.full_like(y, -1)
    y[[0, 1, 2]] = [0, 1, 1]
    dec = tiny().fit(X, y)
    assert dec.cluster_centers_.shape == (2, 4)


def test_n_clusters_must_match_labeled_classes():
    X, y, _ = data()
    with pytest.raises(ValueError, match=r"n_clusters=4 but y has 3 labeled classes \[0, 1, 2\]"):
        tiny(n_clusters=4).fit(X, y)


def test_fewer_samples_than_clusters():
    X, _, _ = data()
    with pytest.raises(ValueError, match="n_samples = 4, fewer than n_clusters = 5"):
        tiny(n_clusters=5).fit(X[:4])


def test_continuous_y_is_refused():
    X, _, _ = data()
    with pytest.raises(ValueError, match="Unknown label type"):
        tiny().fit(X, np.linspace(-3, 3, len(X)))


@pytest.mark.parametrize("params, message", [
    ({"embed_dim": 6, "num_heads": 4}, "embed_dim .6. must be divisible by num_heads .4."),
    ({"hidden_dims": 16}, "'hidden_dims' parameter of DECPretrainer must be an instance of"),
    ({"hidden_dims": (16, 0)}, "hidden_dims must be a tuple of positive ints"),
    ({"tol": 1.5}, r"'tol' parameter of DECPretrainer must be a float in the range \[0.0, 1.0\]"),
    ({"max_epochs": -1}, r"'max_epochs' parameter .* an int in the range \[0, inf\). Got -1"),
    ({"validation_fraction": 1.0}, "validation_fraction"),
])
def test_bad_parameters_are_named(params, message):
    X, y, _ = data()
    with pytest.raises(ValueError, match=message):
        tiny(**params).fit(X, y)


# ---------------------------------------------------------------- sklearn integration

def test_transform_feature_names_and_pandas_output():
    pytest.importorskip("pandas")
    X, y, _ = data()
    dec = tiny().set_output(transform="pandas").fit(X, y)
    frame = dec.transform(X)
    assert list(frame.columns) == [f"decpretrainer{i}" for i in range(4)]
    assert frame.shape == (len(X), 4)


def test_pipeline_with_modality_scaler_and_logistic_regression():
    X, y, _ = data()
    pipe = Pipeline([
        ("scale", ModalityScaler(modalities=SPEC)),
        ("dec", tiny()),
        ("clf", LogisticRegression()),
    ]).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert pipe.named_steps["dec"].classes_.tolist() == [0, 1, 2]


def test_same_random_state_same_model_and_different_seed_differs():
    X, y, _ = data()
    a = tiny(random_state=3).fit(X, y).transform(X)
    b = tiny(random_state=3).fit(X, y).transform(X)
    c = tiny(random_state=4).fit(X, y).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_clone_and_pickle_give_identical_outputs():
    X, y, _ = data()
    dec = tiny().fit(X, y)
    assert clone(dec).get_params() == dec.get_params()
    loaded = pickle.loads(pickle.dumps(dec))
    np.testing.assert_array_equal(loaded.transform(X), dec.transform(X))
    np.testing.assert_array_equal(loaded.predict(X), dec.predict(X))


def test_row_order_and_subset_invariance():
    # sklearn's invariance checks are xfailed (they pass a y with more classes than their
    # n_clusters); the same properties, without y
    X, _, _ = data()
    dec = tiny(n_clusters=3).fit(X)
    order = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_allclose(dec.transform(X[order]), dec.transform(X)[order], atol=1e-6)
    np.testing.assert_array_equal(dec.predict(X[order]), dec.predict(X)[order])
    np.testing.assert_allclose(dec.transform(X[5:9]), dec.transform(X)[5:9], atol=1e-6)


def test_padded_steps_do_not_change_the_encoding():
    X, y, _ = data()
    dec = tiny().fit(X, y)
    # padding steps are all-NaN; moving a row's real steps around them must not matter
    row = X[:1].copy()
    audio = row[:, 6:].reshape(5, 3)
    real = ~np.isnan(audio[:, 0])
    shifted = np.full_like(audio, np.nan)
    shifted[-real.sum():] = audio[real]
    moved = np.concatenate([row[:, :6], shifted.reshape(1, -1)], axis=1)
    np.testing.assert_allclose(dec.transform(moved), dec.transform(row), atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_then_cpu_load(reload_on_cpu_only):
    X, y, _ = data()
    dec = tiny(device="cuda").fit(X, y)
    assert dec.device_ == "cuda"
    assert next(dec.net_.module_.parameters()).is_cuda
    loaded = reload_on_cpu_only(dec)
    np.testing.assert_allclose(loaded.transform(X), dec.transform(X), atol=1e-4)


# ---------------------------------------------------------------- missing modalities

def with_missing(X, text_rows=(), audio_rows=()):
    """``X`` with text (columns 0-5) NaN on ``text_rows`` and audio NaN on ``audio_rows``."""
    X = X.copy()
    X[list(text_rows), :6] = np.nan
    X[list(audio_rows), 6:] = np.nan
    return X


def test_latent_code_ignores_what_a_missing_block_holds():
    from mmsense._contract import network_inputs, parse_modalities, present_key
    from mmsense.dec._modules import DECAutoencoder

    X, _, _ = data(n=6)
    specs = parse_modalities(SPEC, X.shape[1])
    torch.manual_seed(0)
    module = DECAutoencoder(specs, 3, embed_dim=8, hidden_dims=(16,), latent_dim=4,
                            num_heads=2).eval()
    inputs = network_inputs(with_missing(X, text_rows=[1], audio_rows=[2]), specs)
    garbage = {key: np.array(v, copy=True) for key, v in inputs.items()}
    garbage["text"][1] = 1e3 * np.arange(1, 7)
    garbage["audio"][2] = -7.0
    garbage["audio__lengths"][2] = 5  # the presence mask, not the lengths, says it is missing
    as_tensors = lambda d: {k: torch.as_tensor(v) for k, v in d.items()}  # noqa: E731
    with torch.no_grad():
        z = module.encoder(**as_tensors(inputs))
        np.testing.assert_array_equal(module.encoder(**as_tensors(garbage)), z)
        # late fusion over the present modalities: the missing slot is zero
        codes = module.encoder.modalities(as_tensors(inputs))
        by_hand = module.encoder.fusion(torch.cat([codes["text"][2:3], torch.zeros(1, 8)], 1))
        np.testing.assert_allclose(z[2:3], by_hand, atol=1e-6)
    assert not inputs[present_key("text")][1] and not inputs[present_key("audio")][2]


def test_fit_and_predict_with_missing_modalities():
    X, y, _ = data()
    X_missing = with_missing(X, text_rows=range(0, 12), audio_rows=range(12, 20))
    dec = tiny().fit(X_missing, y)
    assert dec.n_missing_ == {"text": 12, "audio": 8}
    assert np.isfinite(dec.history_["autoencoder"][-1]["train_loss"])
    z = dec.transform(X_missing)
    assert np.isfinite(z).all()
    # the first rows have audio only: their codes differ (audio differs), and differ from
    # the codes the complete rows get
    assert not np.allclose(z[0], z[1])
    assert not np.allclose(dec.transform(X[:1]), z[:1])
    # missing only at predict time works too, and a row missing everything is an error
    complete = tiny().fit(X, y)
    assert complete.n_missing_ == {"text": 0, "audio": 0}
    assert complete.predict(with_missing(X[:5], audio_rows=[0, 1])).shape == (5,)
    with pytest.raises(ValueError, match=r"1 row\(s\) miss every modality .* rows \[2\]"):
        complete.transform(with_missing(X[:5], text_rows=[2], audio_rows=[2]))
