"""CMU-SDK computational sequences: segment-level features from .csd files into the contract."""

import numpy as np
import pytest

from mmsense._contract import check_modality_values, parse_modalities, split_modalities
from mmsense.datasets import load_cmu_sdk, read_computational_sequence

h5py = pytest.importorskip("h5py")

RNG = np.random.default_rng(0)


def write_csd(path, videos, root="seq"):
    with h5py.File(path, "w") as f:
        data = f.create_group(root).create_group("data")
        f[root].create_group("metadata")["dimension names"] = np.array([b'["x"]'], dtype=object)
        for video, (features, intervals) in videos.items():
            data.create_group(video)
            data[video]["features"] = features
            data[video]["intervals"] = np.asarray(intervals, dtype=np.float64)
    return path


def frames(n, width, step=0.5):
    """n feature frames of ``width`` features, each ``step`` seconds long."""
    starts = np.arange(n) * step
    return RNG.normal(size=(n, width)).astype(np.float32), np.c_[starts, starts + step]


@pytest.fixture
def files(tmp_path):
    labels = write_csd(tmp_path / "labels.csd", {
        "a": (np.array([[1.0], [-2.0]], np.float32), [[0.0, 1.0], [1.0, 3.0]]),
        "b": (np.array([[0.5]], np.float32), [[0.0, 1.5]]),
        "c": (np.array([[2.5]], np.float32), [[0.0, 1.0]]),
    })
    audio = {"a": frames(6, 2), "b": frames(3, 2), "c": frames(2, 2)}
    vision = {"a": frames(3, 3, step=1.0), "b": frames(2, 3, step=1.0)}  # no video c
    return Files(labels, write_csd(tmp_path / "audio.csd", audio), audio,
                 write_csd(tmp_path / "vision.csd", vision), vision)


class Files:
    def __init__(self, labels, audio_path, audio, vision_path, vision):
        self.labels, self.audio_path, self.audio = labels, audio_path, audio
        self.vision_path, self.vision = vision_path, vision


def test_segments_take_the_overlapping_frames(files):
    bunch = load_cmu_sdk(files.labels, {"audio": files.audio_path},
                         folds={"train": ["a"], "test": ["b", "c"]})
    assert list(bunch.ids) == ["a_1", "a_2", "b_1", "c_1"]
    assert list(bunch.split) == ["train", "train", "test", "test"]
    np.testing.assert_allclose(bunch.target, [1.0, -2.0, 0.5, 2.5])
    # a_1 = [0, 1) -> frames 0, 1; a_2 = [1, 3) -> frames 2..5; b_1 = [0, 1.5) -> 0..2
    assert bunch.modalities == {"audio": (4, 2)}
    np.testing.assert_array_equal(bunch.n_steps["audio"], [2, 4, 3, 2])
    blocks = split_modalities(bunch.data, parse_modalities(bunch.modalities, bunch.data.shape[1]))
    feats = files.audio["a"][0]
    np.testing.assert_array_equal(blocks["audio"].values[0, :2], feats[0:2])
    np.testing.assert_array_equal(blocks["audio"].values[1], feats[2:6])
    np.testing.assert_array_equal(blocks["audio"].values[2, :3], files.audio["b"][0])
    np.testing.assert_array_equal(blocks["audio"].lengths, [2, 4, 3, 2])
    assert np.isnan(bunch.data[0, 4:]).all()  # padding of a_1 is NaN in X
    assert bunch.data.dtype == np.float32 and len(bunch.dropped) == 0


def test_segments_of_a_video_missing_from_a_feature_file_are_dropped_and_kept(files):
    with pytest.warns(UserWarning, match="dropped 1 segment.*c_1"):
        bunch = load_cmu_sdk(files.labels, {"audio": files.audio_path,
                                            "vision": files.vision_path})
    assert list(bunch.ids) == ["a_1", "a_2", "b_1"]
    assert list(bunch.dropped["id"]) == ["c_1"]
    assert "vision" in bunch.dropped["reason"][0]
    assert bunch.modalities == {"audio": (4, 2), "vision": (2, 3)}
    check_modality_values(bunch.data, parse_modalities(bunch.modalities, bunch.data.shape[1]))


def test_max_steps_and_empty_segments(tmp_path, files):
    labels = write_csd(tmp_path / "late.csd", {
        "a": (np.array([[1.0], [0.0]], np.float32), [[0.0, 3.0], [50.0, 60.0]])})
    bunch = load_cmu_sdk(labels, {"audio": files.audio_path}, max_steps=2)
    assert bunch.modalities == {"audio": (2, 2)}
    np.testing.assert_array_equal(bunch.n_steps["audio"], [6, 0])  # original counts
    np.testing.assert_array_equal(bunch.data[0], files.audio["a"][0][:2].ravel())
    assert np.isnan(bunch.data[1]).all()  # no frame in [50, 60): kept as all padding


def test_nonfinite_in_real_steps(tmp_path, files):
    feats, intervals = frames(6, 2)
    feats[3, 1] = -np.inf
    audio = write_csd(tmp_path / "inf.csd", {"a": (feats, intervals), "b": frames(3, 2),
                                             "c": frames(2, 2)})
    with pytest.raises(ValueError, match=r"inf.csd.*1 NaN/inf.*'a_2'"):
        load_cmu_sdk(files.labels, {"audio": audio})
    bunch = load_cmu_sdk(files.labels, {"audio": audio}, nonfinite=0.0)
    assert bunch.nonfinite_replaced == {"audio": 1}
    assert bunch.data[1, 3] == 0.0  # a_2 step 1 (frame 3), feature 1


def test_read_computational_sequence(files):
    csd = read_computational_sequence(files.audio_path)
    assert csd.root_name == "seq" and csd.metadata == {"dimension names": ["x"]}
    np.testing.assert_array_equal(csd.data["b"].features, files.audio["b"][0])


@pytest.mark.parametrize("problem, message", [
    ("words", "must be a 2-D numeric array"),
    ("widths", "has 3 columns but earlier videos have 2"),
    ("intervals", "intervals' must have shape"),
    ("no_intervals", "missing key 'data/a/intervals'"),
])
def test_bad_feature_files_name_file_and_key(tmp_path, files, problem, message):
    path = tmp_path / f"{problem}.csd"
    videos = {"a": frames(6, 2), "b": frames(3, 2), "c": frames(2, 2)}
    if problem == "words":
        videos["a"] = (np.array([[b"hello"]] * 6), videos["a"][1])
    elif problem == "widths":
        videos["b"] = frames(3, 3)
    elif problem == "intervals":
        videos["a"] = (videos["a"][0], videos["a"][1][:5])
    write_csd(path, videos)
    if problem == "no_intervals":
        with h5py.File(path, "a") as f:
            del f["seq/data/a/intervals"]
    with pytest.raises(ValueError, match=message) as info:
        load_cmu_sdk(files.labels, {"audio": path})
    assert str(path) in str(info.value)


def test_not_a_csd_file(tmp_path, files):
    text = tmp_path / "x.csd"
    text.write_text("not hdf5")
    with pytest.raises(ValueError, match="x.csd: not an HDF5"):
        load_cmu_sdk(files.labels, {"audio": text})
    with h5py.File(tmp_path / "nodata.csd", "w") as f:
        f.create_group("root").create_group("metadata")
    with pytest.raises(ValueError, match="nodata.csd: root group 'root' has no 'data'"):
        read_computational_sequence(tmp_path / "nodata.csd")
    with pytest.raises(FileNotFoundError, match="missing.csd"):
        read_computational_sequence(tmp_path / "missing.csd")


def test_bad_arguments(files):
    with pytest.raises(ValueError, match="at least one modality"):
        load_cmu_sdk(files.labels, {})
    with pytest.raises(ValueError, match="max_steps"):
        load_cmu_sdk(files.labels, {"audio": files.audio_path}, max_steps=0)
    with pytest.raises(ValueError, match="nonfinite"):
        load_cmu_sdk(files.labels, {"audio": files.audio_path}, nonfinite=np.inf)
