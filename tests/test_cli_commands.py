"""``mmsense fit / evaluate / predict / info`` on every data format, and their user errors."""

import argparse
import json
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from test_datasets_pickles import mmsa_file, mult_file
from test_datasets_transcripts import MOSI_CSD, MOSI_CSV, MOSI_FOLDS, needs_mosi

from mmsense._cli import build_parser, main
from mmsense._cli._models import parse_param
from mmsense.datasets import (
    load_cmu_sdk,
    load_mmsa_pickle,
    load_mult_pickle,
    make_multimodal_sentiment,
    save_dataset,
)
from mmsense.metrics import msa_report

# A small, fast MMRest: every call below fits in about a second on one core.
TINY_MMREST = ["-p", "max_epochs=2", "-p", "hidden_dim=8", "-p", "decision_dim=4",
               "-p", "lstm_hidden_dim=4", "-p", "n_clusters=2", "-p", "validation_fraction=None",
               "--random-state", "0", "--device", "cpu", "--verbose", "0"]


@pytest.fixture
def npz(tmp_path):
    X, y, spec = make_multimodal_sentiment(60, {"text": 6, "audio": (4, 3)}, random_state=0)
    split = np.array(["train"] * 40 + ["valid"] * 5 + ["test"] * 15)
    path = save_dataset(tmp_path / "toy.npz", X, y, modalities=spec,
                        ids=[f"clip{i}" for i in range(60)], split=split)
    return path, X, y, spec


def run(capsys, *argv):
    """(exit status, stdout, stderr) of one command."""
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def fit_model(capsys, tmp_path, data, estimator="MMRestRegressor", extra=TINY_MMREST,
              split="all"):
    model = tmp_path / f"{estimator}.joblib"
    status, out, err = run(capsys, "fit", estimator, *data, "-o", model, "--split", split,
                           *extra)
    assert status == 0, err
    return model


def test_fit_evaluate_predict_info_on_npz(capsys, tmp_path, npz):
    path, X, y, spec = npz
    model = fit_model(capsys, tmp_path, [path], split="train")
    record = joblib.load(model)
    assert record["n_train"] == 40 and record["modalities"] == spec
    assert record["params"]["max_epochs"] == 2 and record["params"]["validation_fraction"] is None
    test = slice(45, 60)
    expected = msa_report(y[test], record["model"].predict(X[test]))

    status, out, _ = run(capsys, "evaluate", model, path, "--json")
    report = json.loads(out)
    assert status == 0 and report["n_rows"] == 15
    assert report["scores"] == pytest.approx(expected)

    status, out, _ = run(capsys, "evaluate", model, path)  # the table form
    assert status == 0 and f"{expected['mae']:.4f}" in out

    csv = tmp_path / "pred.csv"
    assert run(capsys, "predict", model, path, "-o", csv)[0] == 0
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["id", "split", "prediction"]
    assert frame["id"].tolist() == [f"clip{i}" for i in range(60)]
    np.testing.assert_allclose(frame["prediction"], record["model"].predict(X), rtol=1e-5)

    status, out, _ = run(capsys, "info", model, "--json")
    info = json.loads(out)
    assert info["estimator"] == "MMRestRegressor" and info["n_train"] == 40
    assert info["modalities"] == {"text": 6, "audio": [4, 3]}
    assert set(info["versions"]) == {"mmsense", "scikit-learn", "torch", "skorch"}
    assert info["params"]["hidden_dim"] == "8"


def test_classifier_on_scores_learns_polarity_with_probabilities(capsys, tmp_path, npz):
    path, X, y, _ = npz
    model = fit_model(capsys, tmp_path, [path], "CMCSLSelfLabeler",
                      ["--random-state", "0", "--device", "cpu", "-p", "mode=uni"])
    record = joblib.load(model)
    assert record["target"] == "polarity" and record["classes"] == [0, 1]
    status, out, _ = run(capsys, "evaluate", model, path, "--split", "all", "--json")
    y_class = (y >= 0).astype(int)
    accuracy = np.mean(record["model"].predict(X) == y_class)
    assert json.loads(out)["scores"]["accuracy"] == pytest.approx(accuracy)

    csv = tmp_path / "pred.csv"
    run(capsys, "predict", model, path, "-o", csv, "--split", "test")
    frame = pd.read_csv(csv)
    assert list(frame.columns) == ["id", "split", "prediction", "proba_0", "proba_1"]
    assert len(frame) == 15
    np.testing.assert_allclose(frame[["proba_0", "proba_1"]].sum(axis=1), 1, rtol=1e-5)


def test_nested_params_reach_the_dec_pretrainer(capsys, tmp_path, npz):
    path, *_ = npz
    tiny = ["-p", "pretrainer__embed_dim=8", "-p", "pretrainer__hidden_dims=(8,)",
            "-p", "pretrainer__latent_dim=2", "-p", "pretrainer__num_heads=2",
            "-p", "pretrainer__pretrain_max_epochs=1", "-p", "pretrainer__max_epochs=1",
            "-p", "max_epochs=1", "--random-state", "0", "--device", "cpu", "--verbose", "0"]
    model = fit_model(capsys, tmp_path, [path], "DECClassifier", tiny, split="train")
    fitted = joblib.load(model)["model"][-1]
    assert fitted.pretrainer_.latent_dim == 2 and fitted.pretrainer_.hidden_dims == (8,)
    assert run(capsys, "evaluate", model, path)[0] == 0


def test_mmsa_and_mult_pickles_are_told_apart(capsys, tmp_path):
    mmsa, _ = mmsa_file(tmp_path)
    mult, _, _ = mult_file(tmp_path)
    for path, loader in [(mmsa, load_mmsa_pickle), (mult, load_mult_pickle)]:
        model = fit_model(capsys, tmp_path, [path])
        record = joblib.load(model)
        assert record["modalities"] == loader(path).modalities
        assert record["n_train"] == 9
        status, out, _ = run(capsys, "evaluate", model, path, "--json")
        assert status == 0 and json.loads(out)["n_rows"] == 3  # the test split


def test_pooled_text_option_reaches_the_pickle_loader(capsys, tmp_path):
    mmsa, _ = mmsa_file(tmp_path)
    record = joblib.load(fit_model(capsys, tmp_path, [mmsa, "--text", "mean"]))
    assert record["modalities"] == load_mmsa_pickle(mmsa, text="mean").modalities
    assert record["modalities"]["text"] == 6  # d_text of mmsa_file's default sizes


def test_cmu_sdk_csd_files(capsys, tmp_path):
    pytest.importorskip("h5py")
    from test_datasets_csd import frames, write_csd

    labels = write_csd(tmp_path / "labels.csd", {
        "a": (np.array([[1.0], [-2.0]], np.float32), [[0.0, 1.0], [1.0, 3.0]]),
        "b": (np.array([[0.5]], np.float32), [[0.0, 1.5]]),
        "c": (np.array([[2.5]], np.float32), [[0.0, 1.0]]),
    })
    audio = write_csd(tmp_path / "audio.csd", {"a": frames(6, 2), "b": frames(3, 2),
                                               "c": frames(2, 2)})
    vision = write_csd(tmp_path / "vision.csd", {"a": frames(3, 3, step=1.0),
                                                 "b": frames(2, 3, step=1.0)})  # no video c
    data = [labels, f"audio={audio}", f"vision={vision}"]
    with pytest.warns(UserWarning, match="dropped"):
        model = fit_model(capsys, tmp_path, data)
    with pytest.warns(UserWarning, match="dropped"):
        expected = load_cmu_sdk(labels, {"audio": audio, "vision": vision})
    record = joblib.load(model)
    assert record["modalities"] == expected.modalities and record["n_train"] == 3
    csv = tmp_path / "pred.csv"
    with pytest.warns(UserWarning, match="dropped"):
        run(capsys, "predict", model, *data, "-o", csv)
    assert pd.read_csv(csv)["id"].tolist() == list(expected.ids)


def _transcripts(tmp_path, rows):
    path = tmp_path / "label.csv"
    pd.DataFrame(rows, columns=["id", "text", "label", "mode"]).to_csv(path, index=False)
    return path


def test_transcripts_csv_is_embedded(capsys, tmp_path):
    pytest.importorskip("sentence_transformers")
    rows = [(f"v_{i}", text, label, mode) for i, (text, label, mode) in enumerate([
        ("a wonderful film", 2.0, "train"), ("really great acting", 1.4, "train"),
        ("i loved it", 2.6, "train"), ("boring and long", -1.8, "train"),
        ("the worst plot", -2.4, "train"), ("awful dialogue", -2.0, "train"),
        ("great fun", 1.8, "test"), ("dull and awful", -2.2, "test")])]
    path = _transcripts(tmp_path, rows)
    model = fit_model(capsys, tmp_path, [path, "--text-cache", tmp_path / "cache"],
                      "TorchMLPClassifier",
                      ["-p", "max_epochs=30", "-p", "lr=0.05", "--random-state", "0",
                       "--device", "cpu", "--verbose", "0"], split="train")
    record = joblib.load(model)
    assert record["modalities"] == {"text": 384} and record["n_train"] == 6
    csv = tmp_path / "pred.csv"
    run(capsys, "predict", model, path, "-o", csv, "--text-cache", tmp_path / "cache")
    assert pd.read_csv(csv)["id"].tolist() == [r[0] for r in rows]


@needs_mosi
def test_real_mosi_transcripts_with_csd_labels_and_folds(capsys, tmp_path):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("h5py")
    # 40 real transcripts (embedding all 2199 takes minutes on a busy 2-core machine)
    subset = tmp_path / "mosi_label_text.csv"
    pd.read_csv(MOSI_CSV, dtype=str, keep_default_na=False).head(40).to_csv(subset, index=False)
    with pytest.warns(UserWarning, match="no transcript"):
        model = fit_model(capsys, tmp_path, [subset, MOSI_CSD, MOSI_FOLDS], "MMRestRegressor",
                          TINY_MMREST, split="train")
    record = joblib.load(model)
    assert record["modalities"] == {"text": 384} and 0 < record["n_train"] <= 40
    with pytest.warns(UserWarning, match="no transcript"):
        status, out, _ = run(capsys, "evaluate", model, subset, MOSI_CSD, MOSI_FOLDS,
                             "--split", "all", "--json")
    assert status == 0 and json.loads(out)["n_rows"] == 40


# ------------------------------------------------------------------------- user errors


def one_line_error(capsys, *argv, command):
    status, _, err = run(capsys, *argv)
    err = err.strip()
    assert status == 2, err
    assert err.startswith(f"mmsense {command}: error:") and len(err.splitlines()) == 1, err
    return err


def test_unknown_parameter_lists_the_valid_ones(capsys, tmp_path, npz):
    err = one_line_error(capsys, "fit", "MMRestRegressor", npz[0], "-o", tmp_path / "m",
                         "-p", "n_cluster=3", command="fit")
    assert "no parameter 'n_cluster'" in err and "n_clusters" in err and "margin" in err


@pytest.mark.parametrize("argv, message", [
    (["fit", "MMRestRegressor", "missing.npz"], "no such file"),
    (["fit", "MMRestRegressor", "data.txt"], "cannot tell the format"),
    (["fit", "MMRestRegressor", "{npz}", "-p", "max_epochs"], "expects name=value"),
    (["fit", "MMRestRegressor", "{npz}", "-p", "max_epochs=-1"], "max_epochs"),
    (["fit", "MMRestRegressor", "{npz}", "-p", "modalities={'text': 30}"], "read from DATA"),
    (["fit", "MMRestRegressor", "{npz}", "--target", "labels"], "--target labels"),
    (["evaluate", "data.txt", "{npz}"], "not an mmsense model file"),
    (["info", "missing.joblib"], "no such model file"),
])
def test_user_mistakes_are_one_line(capsys, tmp_path, npz, argv, message):
    (tmp_path / "data.txt").write_text("not data")
    argv = [str(npz[0]) if a == "{npz}" else a for a in argv]
    argv = [str(tmp_path / a) if a.endswith((".npz", ".txt", ".joblib")) and "/" not in a
            else a for a in argv]
    if argv[0] == "fit":
        argv += ["-o", str(tmp_path / "m.joblib"), "--verbose", "0", "--device", "cpu"]
    assert message in one_line_error(capsys, *argv, command=argv[0])


def test_unknown_estimator_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "MMRest", "x.npz", "-o", "m"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'MMRest'" in capsys.readouterr().err


def test_model_on_data_with_other_modalities(capsys, tmp_path, npz):
    model = fit_model(capsys, tmp_path, [npz[0]])
    X, y, spec = make_multimodal_sentiment(20, {"text": 6}, random_state=1)
    other = save_dataset(tmp_path / "other.npz", X, y, modalities=spec)
    err = one_line_error(capsys, "predict", model, other, "-o", tmp_path / "p.csv",
                         command="predict")
    assert "fitted on modalities" in err and "{'text': 6}" in err


def test_other_versions_warn_naming_them(capsys, tmp_path, npz):
    model = fit_model(capsys, tmp_path, [npz[0]])
    record = joblib.load(model)
    record["versions"]["scikit-learn"] = "0.1"
    joblib.dump(record, model)
    # a real process: pytest would capture the warning before the CLI formats it
    out = subprocess.run([sys.executable, "-m", "mmsense", "info", str(model)],
                         capture_output=True, text=True)
    assert out.returncode == 0
    warning = [line for line in out.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1 and warning[0].startswith("mmsense: warning:")
    assert "scikit-learn 0.1 (now" in warning[0]


def test_params_are_python_literals_or_strings():
    assert parse_param("hidden_dims=(64, 32)") == ("hidden_dims", (64, 32))
    assert parse_param("validation_fraction=None") == ("validation_fraction", None)
    assert parse_param("device=cuda:1") == ("device", "cuda:1")
    assert parse_param(" lr = 1e-3") == ("lr", 0.001)


def test_every_option_of_every_command_shows_its_default():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        help_text = " ".join(sub.format_help().split())
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and "%(default)" not in action.help
                flag = action.option_strings[-1] if name else ""
                assert flag in help_text
        assert help_text.count("(default:") == sum(
            1 for a in sub._actions if a.option_strings and a.dest != "help"), name


def test_help_of_every_command_imports_no_numpy_or_torch():
    code = ("import sys; from mmsense._cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('numpy', 'torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fit_offers_every_public_model():
    """``fit``'s list (static, for a fast --help) is every public estimator that predicts."""
    from mmsense._cli._models import ESTIMATORS
    from mmsense.utils import all_estimators

    predicting = {name for name, cls in all_estimators() if hasattr(cls, "predict")}
    assert set(ESTIMATORS) == predicting
