"""Clip features: audio descriptors with known answers, face padding, errors, cache, contract."""

import io
import os
import socket
import subprocess
import sys
import wave
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pickle

import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils import estimator_checks

from mmsense._cli import main
from mmsense._contract import parse_modalities
from mmsense.datasets import load_dataset
from mmsense.datasets._paths import shared_data_candidates
from mmsense.feature_extraction import (
    AudioFeatures,
    FaceFeatures,
    extract_clip_features,
    predict_clips,
    read_audio,
    read_frames,
)
from mmsense.feature_extraction import _clips

av = pytest.importorskip("av")
pytest.importorskip("librosa")
cv2 = pytest.importorskip("cv2")

SR = 16000
NAMES = list(AudioFeatures().get_feature_names_out())
F0, VOICED, RMS, ZCR = (NAMES.index(n) for n in ("f0_hz", "voiced", "rms", "zcr"))


def write_wav(path, signal, rate=SR):
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return str(path)


def tone(freq, seconds=1.0, amplitude=0.5, rate=SR):
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def write_video(path, n_frames=20, fps=10, with_audio=False):
    """A face-free video: flat grey frames whose brightness changes, optionally with a tone."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        audio = container.add_stream("aac", rate=SR) if with_audio else None
        if audio is not None:
            audio.layout = "mono"
        for i in range(n_frames):
            image = np.full((64, 96, 3), 40 + 8 * i, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio is not None:
            samples = tone(200, n_frames / fps).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = SR
            container.mux(audio.encode(frame))
            container.mux(audio.encode())
    return str(path)


@pytest.fixture(scope="module")
def samples():
    for folder in shared_data_candidates():
        folder = folder / "mosi" / "raw_samples"
        wav, mp4 = folder / "03bSnISJMiM_1.wav", folder / "Oz06ZWiO20M_6.mp4"
        if wav.is_file() and mp4.is_file():
            return str(wav), str(mp4)
    pytest.skip("CMU-MOSI raw samples not found (set MMSENSE_SHARED_DATA)")


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory):
    """One feature cache for the sample-clip tests: the 7.5 s video is analysed once."""
    return tmp_path_factory.mktemp("clip-cache")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


# --- audio: known answers ------------------------------------------------------------------

@pytest.mark.parametrize("freq", [110.0, 220.0, 330.0])
def test_pitch_of_a_tone_within_2_percent(tmp_path, freq):
    (seq,) = AudioFeatures().transform([write_wav(tmp_path / "t.wav", tone(freq))])
    inner = seq[10:-10]  # frames away from the clip's edges
    assert inner[:, VOICED].mean() > 0.95
    voiced = inner[inner[:, VOICED] == 1, F0]
    assert np.all(np.abs(voiced / freq - 1) < 0.02)


def test_rms_and_zero_crossings_of_a_tone(tmp_path):
    (seq,) = AudioFeatures().transform([write_wav(tmp_path / "t.wav", tone(200, amplitude=0.4))])
    inner = seq[5:-5]
    # a sine of amplitude A has RMS A / sqrt(2) and crosses zero 2 f times a second
    np.testing.assert_allclose(inner[:, RMS], 0.4 / np.sqrt(2), rtol=0.02)
    np.testing.assert_allclose(inner[:, ZCR], 2 * 200 / SR, rtol=0.1)


def test_silence_is_unvoiced_and_finite(tmp_path):
    (seq,) = AudioFeatures().transform([write_wav(tmp_path / "s.wav", np.zeros(SR))])
    assert np.isfinite(seq).all()
    assert (seq[:, VOICED] == 0).all() and (seq[:, F0] == 0).all()
    assert (seq[:, RMS] == 0).all()


def test_steps_follow_the_hop_and_resampling_keeps_pitch(tmp_path):
    path = write_wav(tmp_path / "t44.wav", tone(220, seconds=0.5, rate=44100), rate=44100)
    assert abs(len(read_audio(path, SR)) - SR // 2) <= 32
    (seq,) = AudioFeatures().transform([path])
    assert seq.shape == (1 + (SR // 2) // 160, len(NAMES)) and seq.dtype == np.float32
    assert abs(np.median(seq[10:-10, F0]) / 220 - 1) < 0.02


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="backend"):  # InvalidParameterError is a ValueError
        AudioFeatures(backend="covarep").fit(["a.wav"])
    with pytest.raises(ValueError, match="fps"):
        FaceFeatures(fps=0).fit(["a.mp4"])
    with pytest.raises(ValueError, match="single path"):
        AudioFeatures().transform("a.wav")


def test_opensmile_backend_is_never_required():
    try:
        import opensmile  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="non-commercial"):
            AudioFeatures(backend="opensmile").get_feature_names_out()
    else:
        assert len(AudioFeatures(backend="opensmile").get_feature_names_out()) == 25


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
@pytest.mark.parametrize("Extractor", [AudioFeatures, FaceFeatures])
def test_sklearn_checks_that_do_not_need_numeric_input(check, Extractor):
    # their input is file paths, so (as for TextEmbedder) the numeric common checks do not apply
    check(Extractor.__name__, Extractor())


def test_clone_pickle_and_n_jobs_give_the_same_sequences(tmp_path):
    clips = [write_video(tmp_path / f"v{i}.mp4", n_frames=6 + 2 * i) for i in range(3)]
    extractor = FaceFeatures(fps=10)
    first = extractor.transform(clips)
    again = pickle.loads(pickle.dumps(clone(extractor).set_params(n_jobs=2))).transform(clips)
    assert [len(s) for s in first] == [6, 8, 10]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


# --- video ---------------------------------------------------------------------------------

def test_video_without_a_face_is_all_padding(tmp_path):
    path = write_video(tmp_path / "blank.mp4", n_frames=20, fps=10)
    frames, times = read_frames(path, fps=5)
    np.testing.assert_allclose(times, np.arange(10) / 5, atol=1e-3)
    (seq,) = FaceFeatures(fps=5).transform([path])
    assert seq.shape == (10, 8) and np.isnan(seq).all()
    with pytest.raises(ValueError, match="blank.mp4.*no face found in any of its 10 frames"):
        extract_clip_features([path], audio=False)


def test_faces_in_the_sample_clip(samples, sample_cache, no_network):
    _, mp4 = samples
    (seq,) = FaceFeatures(fps=5, cache_dir=sample_cache).transform([mp4])
    assert seq.shape == (38, 8)  # 7.5 s at 5 fps
    found = ~np.isnan(seq).all(axis=1)
    assert found.mean() > 0.8
    assert np.isnan(seq[~found]).all() and np.isfinite(seq[found]).all()
    x, y, w, h = seq[found, :4].T
    assert ((x > 0) & (x < 1) & (y > 0) & (y < 1) & (w > 0.1) & (h > 0.1)).all()
    assert set(np.unique(seq[found, 6])) <= {0.0, 1.0}


# --- errors name the clip ------------------------------------------------------------------

def test_missing_undecodable_and_silent_clips_are_named(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    silent_video = write_video(tmp_path / "mute.mp4")
    with pytest.raises(ValueError) as info:
        AudioFeatures().transform([str(tmp_path / "gone.wav"), str(bad), silent_video])
    message = str(info.value)
    assert "3 of 3" in message and "gone.wav': no such file" in message
    assert "bad.mp4': not a media file" in message and "mute.mp4' has no audio track" in message
    with pytest.raises(ValueError, match="has no video track"):
        FaceFeatures().transform([write_wav(tmp_path / "a.wav", tone(200))])


def test_skipped_clips_are_listed(tmp_path):
    good = write_wav(tmp_path / "good.wav", tone(200))
    with pytest.warns(UserWarning, match="skipped 1 of 2"):
        feats = extract_clip_features([good, str(tmp_path / "gone.wav")], vision=False,
                                      on_error="skip")
    assert feats.ids == ["good"] and list(feats.skipped) == [str(tmp_path / "gone.wav")]


def test_transcripts_must_cover_every_clip(tmp_path):
    pytest.importorskip("torch")  # TextEmbedder's module needs it (a core dependency)
    clips = [write_wav(tmp_path / f"c{i}.wav", tone(200, 0.2)) for i in range(3)]
    csv = tmp_path / "t.csv"
    pd.DataFrame({"id": ["c0", "c2"], "text": ["good", "bad"]}).to_csv(csv, index=False)
    with pytest.raises(ValueError, match=r"no text for 1 clip\(s\): \['c1'\]"):
        extract_clip_features(clips, csv, audio=False, vision=False)
    with pytest.raises(ValueError, match="columns 'id' and 'text'"):
        extract_clip_features(clips, pd.DataFrame({"clip": ["c0"]}), vision=False)
    with pytest.raises(ValueError, match="need transcripts"):
        extract_clip_features(clips, text=True, vision=False)


# --- capping, cache, contract, prediction ----------------------------------------------------

def test_pooling_and_truncation_are_explicit():
    seq = np.arange(20, dtype=np.float32).reshape(10, 2)
    seq[4:6] = np.nan  # a padding stretch
    pooled = _clips._cap_sequence(seq, 5, "pool")
    np.testing.assert_array_equal(pooled[[0, 1, 3, 4], 0], [1, 5, 13, 17])
    assert np.isnan(pooled[2]).all()
    np.testing.assert_array_equal(_clips._cap_sequence(seq, 3, "truncate"), seq[:3])


def test_truncating_warns_and_original_lengths_are_reported(tmp_path):
    clips = [write_wav(tmp_path / "a.wav", tone(200, 0.5)),
             write_wav(tmp_path / "b.wav", tone(300, 0.2))]
    with pytest.warns(UserWarning, match="1 clip.*truncated to their first 30 steps"):
        feats = extract_clip_features(clips, vision=False, max_steps=30, cap="truncate")
    np.testing.assert_array_equal(feats.original_steps["audio"], [51, 21])
    assert feats.modalities == {"audio": (30, len(NAMES))}
    block = feats.X.reshape(2, 30, -1)
    assert np.isnan(block[1, 21:]).all() and np.isfinite(block[1, :21]).all()
    parse_modalities(feats.modalities, feats.X.shape[1])


def test_cache_is_reused_and_keyed_by_content_and_settings(tmp_path, monkeypatch):
    clip = write_wav(tmp_path / "a.wav", tone(200, 0.3))
    cache = tmp_path / "cache"
    (first,) = AudioFeatures(cache_dir=cache).transform([clip])
    copy = write_wav(tmp_path / "renamed.wav", tone(200, 0.3))

    def fail(self, path):
        raise AssertionError("cache missed")

    monkeypatch.setattr(AudioFeatures, "_extract", fail)
    (again,) = AudioFeatures(cache_dir=cache).transform([copy])
    np.testing.assert_array_equal(first, again)
    with pytest.raises(AssertionError, match="cache missed"):
        AudioFeatures(cache_dir=cache, hop_seconds=0.02).transform([clip])


def test_extract_predict_round_trip_and_offline(tmp_path, no_network):
    train = [write_wav(tmp_path / f"tr{i}.wav", tone(110 + 40 * i, 0.3 + 0.1 * i))
             for i in range(4)]
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"id": [f"tr{i}" for i in range(4)], "label": [-2.0, -1.0, 1.0, 2.0]}).to_csv(
        labels, index=False)
    out = tmp_path / "train.npz"
    assert main(["extract", *train, "--no-vision", "--labels", str(labels), "--max-steps", "40",
                 "-o", str(out)]) == 0
    data = load_dataset(out)
    assert data.modalities == {"audio": (40, len(NAMES))} and list(data.target) == [-2, -1, 1, 2]
    model = HistGradientBoostingRegressor(max_iter=5, min_samples_leaf=1).fit(data.data,
                                                                              data.target)
    longer = write_wav(tmp_path / "new.wav", tone(150, 1.0))  # 101 steps pooled into 40
    result = predict_clips(model, [train[0], longer], settings=out)
    assert result.ids == ["tr0", "new"] and result.X.shape == (2, 40 * len(NAMES))
    np.testing.assert_allclose(result.X[0], data.data[0])
    np.testing.assert_allclose(result.predictions[0], model.predict(data.data[:1])[0])


def test_predict_clips_command_uses_the_training_extraction(tmp_path, capsys):
    pytest.importorskip("librosa")
    train = [write_wav(tmp_path / f"tr{i}.wav", tone(110 + 40 * i, 0.3)) for i in range(6)]
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"id": [f"tr{i}" for i in range(6)],
                  "label": [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0]}).to_csv(labels, index=False)
    data, model = tmp_path / "train.npz", tmp_path / "model.joblib"
    assert main(["extract", *train, "--no-vision", "--labels", str(labels), "--max-steps", "20",
                 "-o", str(data)]) == 0
    assert main(["fit", "MMRestRegressor", str(data), "-o", str(model), "--split", "all",
                 "--verbose", "0", "-p", "n_clusters=2", "-p", "max_epochs=1",
                 "-p", "validation_fraction=None", "-p", "hidden_dim=4"]) == 0
    capsys.readouterr()
    new = write_wav(tmp_path / "new.wav", tone(200, 0.5))
    assert main(["predict", str(model), "--clips", str(new), train[0]]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert frame["id"].tolist() == ["new", "tr0"] and np.isfinite(frame["prediction"]).all()
    # the same model's prediction from the training features of tr0
    saved = joblib.load(model)["model"]
    assert frame["prediction"][1] == pytest.approx(saved.predict(load_dataset(data).data[:1])[0],
                                                   abs=1e-5)


def test_predict_clips_needs_a_model_fitted_on_extracted_features(tmp_path, capsys):
    from mmsense.datasets import make_multimodal_sentiment, save_dataset

    X, y, modalities = make_multimodal_sentiment(30, {"text": 4}, random_state=0)
    data, model = tmp_path / "d.npz", tmp_path / "m.joblib"
    save_dataset(data, X, y, modalities=modalities)
    assert main(["fit", "MMRestRegressor", str(data), "-o", str(model), "--split", "all",
                 "--verbose", "0", "-p", "n_clusters=2", "-p", "max_epochs=1"]) == 0
    capsys.readouterr()
    assert main(["predict", str(model), "--clips", "x.wav"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not fitted on features from `mmsense extract`" in err and len(err.splitlines()) == 1


def test_extract_command_errors_are_one_line(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "gone.mp4"), "-o", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mmsense extract: error:") and "gone.mp4" in err
    assert len(err.splitlines()) == 1


def test_sample_clips_into_the_contract(samples, sample_cache, no_network):
    wav, mp4 = samples
    (audio_wav, audio_mp4) = AudioFeatures(cache_dir=sample_cache).transform([wav, mp4])
    assert audio_wav.shape == (1 + 53290 // 160, len(NAMES))  # 3.33 s at 16 kHz, 10 ms hop
    assert audio_mp4.shape[0] in range(740, 752)  # 7.44 s audio track
    assert 0.2 < audio_mp4[:, VOICED].mean() < 0.95  # speech: voiced and unvoiced frames
    voiced_f0 = audio_mp4[audio_mp4[:, VOICED] == 1, F0]
    assert 65 <= voiced_f0.min() and voiced_f0.max() <= 500
    feats = extract_clip_features([mp4], max_steps=200, cache_dir=sample_cache)
    assert feats.modalities == {"audio": (200, len(NAMES)), "vision": (38, 8)}
    assert feats.X.dtype == np.float32 and feats.ids == ["Oz06ZWiO20M_6"]


ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "raw_clips" / "plot_clips_to_prediction.py"


def test_example_skips_cleanly_without_the_samples(tmp_path):
    env = {**os.environ, "MMSENSE_SHARED_DATA": str(tmp_path), "MPLBACKEND": "Agg",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Skipping this example: ")  # samples or packages missing
    assert out.stdout.count("\n") == 1


@pytest.mark.slow
def test_example_runs_on_the_samples(samples):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Oz06ZWiO20M_6: " in out.stdout and "not a real sentiment estimate" in out.stdout


def test_dataset_metadata_round_trip(tmp_path):
    from mmsense.datasets import save_dataset

    X = np.ones((2, 3), dtype=np.float32)
    path = save_dataset(tmp_path / "m.npz", X, metadata={"extraction": {"cap": "pool"}})
    assert load_dataset(path).metadata == {"extraction": {"cap": "pool"}}
    assert load_dataset(save_dataset(tmp_path / "plain.npz", X)).metadata is None
    with pytest.raises(ValueError, match="metadata must be a dict"):
        save_dataset(tmp_path / "bad.npz", X, metadata=["x"])
