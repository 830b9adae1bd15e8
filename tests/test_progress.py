"""One progress convention for every estimator (verbose=1/2), and the ``callbacks`` parameter."""

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from mmsense import CMCSLSelfLabeler, DECClassifier, DECPretrainer, MMRestRegressor
from mmsense import TorchMLPClassifier
from mmsense.datasets import make_multimodal_sentiment

SPEC = {"text": 6, "audio": (4, 3)}
TINY_MMREST = dict(hidden_dim=8, decision_dim=4, lstm_hidden_dim=4, n_clusters=2,
                   random_state=0, device="cpu")
EPOCH = re.compile(r"^  epoch +(\d+)/(\d+)  loss (\S+)(?:  (.+?) (\S+)( \*|  ))?  "
                   r"(\S+) elapsed  <= (\S+) left(.*)$")


@pytest.fixture(scope="module")
def regression():
    X, y, spec = make_multimodal_sentiment(80, SPEC, random_state=0)
    return X, y, spec


@pytest.fixture(scope="module")
def binary():
    X, y, spec = make_multimodal_sentiment(90, {"text": 6, "audio": (4, 3), "vision": 5},
                                           task="binary", labeled_fraction=0.4,
                                           random_state=0)
    return X, y, spec


def epoch_lines(text):
    assert "\x1b[" not in text  # no colour codes into a pipe or file
    return [m for m in map(EPOCH.match, text.splitlines()) if m]


def check_best_marks(matches, lower_is_better):
    """The '*' marks exactly the epochs that beat every earlier one."""
    best = None
    for m in matches:
        value = float(m.group(5))
        better = best is None or (value < best if lower_is_better else value > best)
        assert (m.group(6) == " *") == better, m.group(0)
        best = value if better else best


def test_mmrest_verbose_1_one_line_per_epoch(capsys, regression):
    X, y, spec = regression
    model = MMRestRegressor(modalities=spec, max_epochs=3, verbose=1, patience=None,
                            **TINY_MMREST).fit(X, y)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "MMRestRegressor: up to 3 epochs"
    lines = epoch_lines(out)
    assert [int(m.group(1)) for m in lines] == [1, 2, 3]
    assert all(m.group(4) == "valid MAE" and m.group(9) == "" for m in lines)
    history = model.history_
    for m, row in zip(lines, history):
        assert float(m.group(3)) == pytest.approx(row["train_loss"], rel=1e-3)
        assert float(m.group(5)) == pytest.approx(row["valid_l1"], rel=1e-3)
    check_best_marks(lines, lower_is_better=True)
    assert lines[-1].group(8) in ("0.0s", "0s")


def test_mmrest_verbose_2_shows_loss_parts_and_center_shift(capsys, regression):
    X, y, spec = regression
    model = MMRestRegressor(modalities=spec, max_epochs=2, verbose=2, **TINY_MMREST).fit(X, y)
    lines = epoch_lines(capsys.readouterr().out)
    assert len(lines) == 2
    for m, row in zip(lines, model.history_):
        detail = dict(re.findall(r"(\w+) (\S+)", m.group(9)))
        assert set(detail) == {"train_l1", "train_mmc", "valid_mmc", "center_shift"}
        assert float(detail["train_l1"]) == pytest.approx(row["train_l1"], rel=1e-3)
        assert float(detail["train_mmc"]) == pytest.approx(row["train_mmc"], rel=1e-3)
        assert float(detail["center_shift"]) >= 0


def test_library_calls_are_silent_by_default(capsys, regression, binary):
    X, y, spec = regression
    MMRestRegressor(modalities=spec, max_epochs=1, **TINY_MMREST).fit(X, y)
    Xb, yb, specb = binary
    CMCSLSelfLabeler(modalities=specb, random_state=0, device="cpu").fit(Xb, yb)
    assert capsys.readouterr().out == ""


def test_dec_phases_and_changed_fraction(capsys, binary):
    X, y, spec = binary
    pre = DECPretrainer(modalities=spec, embed_dim=8, hidden_dims=(8,), latent_dim=2,
                        num_heads=2, pretrain_max_epochs=2, max_epochs=3, tol=0.0,
                        patience=None, random_state=0, device="cpu")
    clf = DECClassifier(pre, max_epochs=2, patience=None, verbose=2, random_state=0,
                        device="cpu").fit(X, y)
    out = capsys.readouterr().out
    titles = [line for line in out.splitlines() if not line.startswith(" ")]
    assert titles == ["DECPretrainer phase 1 (autoencoder): up to 2 epochs",
                      "DECPretrainer phase 2 (clustering): up to 3 epochs",
                      "DECClassifier fine-tuning: up to 2 epochs"]
    lines = epoch_lines(out)
    assert len(lines) == 2 + 3 + 2
    clustering = lines[2:5]
    assert all(m.group(4) == "holdout accuracy" for m in clustering)
    check_best_marks(clustering, lower_is_better=False)
    changed = [dict(re.findall(r"(\w+) (\S+)", m.group(9)))["changed"] for m in clustering]
    expected = [row["changed"] for row in clf.pretrainer_.history_["clustering"]]
    assert changed[0] == "-" and expected[0] is None  # no earlier assignment to compare with
    assert [float(c) for c in changed[1:]] == pytest.approx(expected[1:], rel=1e-3)
    assert "changed None" not in out
    tuning = lines[5:]
    assert all(m.group(4) == "valid accuracy" for m in tuning)
    check_best_marks(tuning, lower_is_better=False)


def test_mlp_marks_the_best_validation_accuracy(capsys, binary):
    X, y, _ = binary
    rows = y != -1
    TorchMLPClassifier(max_epochs=4, validation_fraction=0.3, patience=None, verbose=1,
                       random_state=0, device="cpu").fit(X[rows][:, :6], y[rows])
    lines = epoch_lines(capsys.readouterr().out)
    assert len(lines) == 4 and all(m.group(4) == "valid accuracy" for m in lines)
    check_best_marks(lines, lower_is_better=False)


def test_cmcsl_reports_propagation_and_disagreements(capsys, binary):
    X, y, spec = binary
    clf = CMCSLSelfLabeler(modalities=spec, random_state=0, device="cpu", verbose=1).fit(X, y)
    out = capsys.readouterr().out
    unlabeled = y == -1
    for name in spec:
        codes = np.searchsorted(clf.classes_, clf.modality_labels_[name][unlabeled])
        counts = np.bincount(codes, minlength=2)
        assert (f"  {name}: propagated labels to {unlabeled.sum()} unlabeled rows "
                f"(class 0: {counts[0]}, class 1: {counts[1]})") in out
    proposals = np.stack([clf.modality_labels_[name] for name in spec])
    disagree = unlabeled & (proposals != proposals[:1]).any(axis=0)
    line = next(line for line in out.splitlines() if "disagree" in line)
    assert f"disagree on {disagree.sum()} of {unlabeled.sum()} unlabeled rows" in line
    taken = dict(re.findall(r"(\w+): (\d+)", line.split("label taken from")[1]))
    for name in spec:
        assert int(taken[name]) == np.sum(clf.label_modality_[disagree] == name)
    assert out.count("TorchMLPClassifier: up to 50 epochs") == 3  # late fusion: one per modality


class Recorder(Callback):
    """Counts the epochs it sees; ``tag`` is a parameter to grid-search."""

    def __init__(self, tag="a"):
        self.tag = tag

    def on_epoch_end(self, net, **kwargs):
        self.epochs_seen_ = getattr(self, "epochs_seen_", 0) + 1


def test_user_callbacks_run_and_are_grid_searchable(binary):
    X, y, _ = binary
    rows = y != -1
    X, y = X[rows][:, :6], y[rows]
    mlp = TorchMLPClassifier(max_epochs=2, callbacks=[("rec", Recorder())], random_state=0,
                             device="cpu")
    assert mlp.get_params()["callbacks__rec__tag"] == "a"
    copy = clone(mlp).set_params(callbacks__rec__tag="b")
    assert copy.callbacks[0][1].tag == "b" and mlp.callbacks[0][1].tag == "a"
    grid = GridSearchCV(mlp, {"callbacks__rec__tag": ["a", "b"], "lr": [1e-3, 1e-1]},
                        cv=2).fit(X, y)
    best = grid.best_estimator_
    assert best.callbacks[0][1].tag == grid.best_params_["callbacks__rec__tag"]
    assert best.callbacks[0][1].epochs_seen_ == 2
    with pytest.raises(ValueError, match="callbacks holds \\['rec'\\]"):
        mlp.set_params(callbacks__other__tag="c")


@pytest.mark.parametrize("callbacks, message", [
    ([Recorder()], "pairs"),
    ([("progress", Recorder())], "may not be named"),
    ([("a", Recorder()), ("a", Recorder())], "unique"),
])
def test_bad_callbacks_are_rejected_at_fit(binary, callbacks, message):
    X, y, _ = binary
    rows = y != -1
    with pytest.raises(ValueError, match=message):
        TorchMLPClassifier(max_epochs=1, callbacks=callbacks, device="cpu").fit(
            X[rows][:, :6], y[rows])


def test_a_model_fitted_with_progress_loads_with_skops_trusted_types(binary):
    sio = pytest.importorskip("skops.io")
    from mmsense.utils import get_trusted_types

    X, y, _ = binary
    rows = y != -1
    mlp = TorchMLPClassifier(max_epochs=1, verbose=1, device="cpu").fit(X[rows][:, :6], y[rows])
    dumped = sio.dumps(mlp)
    assert set(sio.get_untrusted_types(data=dumped)) <= set(get_trusted_types())
    loaded = sio.loads(dumped, trusted=get_trusted_types())
    np.testing.assert_array_equal(loaded.predict(X[:, :6]), mlp.predict(X[:, :6]))
