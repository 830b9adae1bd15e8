"""predict/transform run in large batches (not the training batch size), same results."""

import numpy as np
import pytest

from mmsense import DECClassifier, DECPretrainer, MMRestRegressor, TorchMLPClassifier
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import inference_batch_size, row_elements


@pytest.fixture(scope="module")
def data():
    X, y, spec = make_multimodal_sentiment(300, {"text": 5, "audio": (4, 2)},
                                           task="binary", random_state=0)
    return X, y, spec


def count_calls(module):
    calls = []
    module.register_forward_hook(lambda *args: calls.append(1))
    return calls


def test_mmrest_predicts_in_one_batch_with_the_same_result(data):
    X, y, spec = data
    model = MMRestRegressor(spec, max_epochs=1, batch_size=16, hidden_dim=4, decision_dim=4,
                            n_clusters=2, lstm_hidden_dim=4, device="cpu",
                            random_state=0).fit(X, y.astype(float))
    calls = count_calls(model.net_.module_)
    large = model.predict(X)
    assert len(calls) == 1  # 300 rows, one batch
    model.net_.iterator_valid__batch_size = 16  # the training batch size, as before
    np.testing.assert_allclose(model.predict(X), large, rtol=1e-5, atol=1e-6)
    assert len(calls) == 1 + 19


def test_dec_transform_and_predict_proba_in_large_batches(data):
    X, y, spec = data
    pre = DECPretrainer(modalities=spec, embed_dim=4, hidden_dims=(4,), latent_dim=2,
                        num_heads=2, batch_size=8, pretrain_max_epochs=1, max_epochs=1,
                        device="cpu", random_state=0)
    clf = DECClassifier(pre, max_epochs=1, batch_size=8, device="cpu", random_state=0).fit(X, y)
    encoder_calls = count_calls(clf.pretrainer_.net_.module_.encoder)
    clf.pretrainer_.transform(X)
    assert len(encoder_calls) == 1
    calls = count_calls(clf.net_.module_)
    clf.predict_proba(X)
    assert len(calls) == 1


def test_mlp_predict_proba_in_one_batch(data):
    X, y, _ = data
    mlp = TorchMLPClassifier(max_epochs=1, batch_size=8, device="cpu").fit(X[:, :5], y)
    calls = count_calls(mlp.net_.module_)
    mlp.predict_proba(X[:, :5])
    assert len(calls) == 1


def test_long_sequences_shrink_the_batch_but_not_below_training():
    from mmsense._contract import parse_modalities

    specs = parse_modalities({"vision": (500, 20)}, 500 * 20)
    per_row = row_elements(specs, width=64, attention_heads=4)
    assert per_row == 500 * (20 + 64) + 4 * 500 * 500
    assert 2**24 // per_row == 16
    assert inference_batch_size(8, per_row) == 16  # the budget decides
    assert inference_batch_size(32, per_row) == 32  # never below the training batch
    assert inference_batch_size(32, 100) == 1024  # small rows: the cap
