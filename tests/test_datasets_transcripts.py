"""Transcript and label loaders (MMSA label.csv), standard folds, .csd labels, the real files."""

import json

import numpy as np
import pandas as pd
import pytest

from mmsense.datasets import (
    load_csd_labels,
    load_msa_label_csv,
    load_msa_transcripts,
    load_standard_folds,
)
from mmsense.datasets._paths import shared_data_candidates


def _shared(relative):
    for folder in shared_data_candidates():
        if (folder / relative).is_file():
            return folder / relative
    return None


MOSI_CSV = _shared("mosi/mosi_label_text.csv")
MOSEI_CSV = _shared("mosei/mosei_label_text.csv")
MOSI_CSD = _shared("mosi/CMU_MOSI_Opinion_Labels.csd")
MOSI_FOLDS = _shared("mosi/cmu_mosi_std_folds.json")
needs_mosi = pytest.mark.skipif(
    MOSI_CSV is None or MOSI_CSD is None or MOSI_FOLDS is None, reason="real MOSI files absent"
)
needs_mosei = pytest.mark.skipif(MOSEI_CSV is None, reason="real MOSEI file absent")


def write_csd(path, videos, root="Opinion Segment Labels"):
    """A CMU-SDK computational sequence: videos maps name -> (features, intervals)."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as f:
        group = f.create_group(root)
        data = group.create_group("data")
        for video, (features, intervals) in videos.items():
            data.create_group(video)
            data[video]["features"] = np.asarray(features, dtype=np.float32)
            data[video]["intervals"] = np.asarray(intervals, dtype=np.float64)
        meta = group.create_group("metadata")
        meta["dataset name"] = np.array([b'"TINY"'], dtype=object)
    return path


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- label.csv forms

def test_id_text_label_mode_form(tmp_path):
    path = write_csv(tmp_path / "label.csv",
                     "id,text,label,mode\n"
                     "v1_1,good movie,2.4,train\n"
                     "v1_2,bad,-1.5,dev\n"
                     "v2_1,meh,0.0,test\n")
    bunch = load_msa_label_csv(path)
    assert list(bunch.data) == ["good movie", "bad", "meh"]
    np.testing.assert_array_equal(bunch.target, [2.4, -1.5, 0.0])
    assert list(bunch.ids) == ["v1_1", "v1_2", "v2_1"]
    assert list(bunch.split) == ["train", "valid", "test"]  # dev renamed
    assert bunch.target.dtype == np.float64 and bunch.data.dtype == object
    assert len(bunch.dropped) == 0 and list(bunch.dropped.columns) == ["id", "reason"]


def test_video_clip_form_keeps_ids_and_text_as_strings(tmp_path):
    # numeric-looking ids and a transcript reading "NA" must survive unchanged
    path = write_csv(tmp_path / "label.csv",
                     "video_id,clip_id,text,label,mode\n"
                     "100499,0_0,NA,0.333333,train\n"
                     "-3g5yACwYnA,007,\"Yes, really.\",-3,valid\n")
    bunch = load_msa_label_csv(path, as_frame=True)
    assert list(bunch.ids) == ["100499_0_0", "-3g5yACwYnA_007"]
    assert list(bunch.data) == ["NA", "Yes, really."]
    assert isinstance(bunch.data, pd.Series) and isinstance(bunch.target, pd.Series)
    assert list(bunch.frame.columns) == ["id", "text", "label", "split", "video_id", "clip_id"]
    assert list(bunch.frame["split"]) == ["train", "valid"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("id,text,mode\nv_1,x,train\n", "missing column 'label'"),
        ("text,label,mode\nx,1,train\n", "'id' column or 'video_id' and 'clip_id'"),
        ("id,text,label,mode\nv_1,x,3.5,train\n", "not in [-3.0, 3.0] (first at id 'v_1'"),
        ("id,text,label,mode\nv_1,x,,train\n", "column 'label' must hold numbers"),
        ("id,text,label,mode\nv_1,x,1,training\n", "found training"),
        ("id,text,label,mode\nv_1,x,1,train\nv_1,y,2,test\n", "repeated: v_1"),
    ],
)
def test_bad_label_csv_names_file_and_key(tmp_path, content, message):
    path = write_csv(tmp_path / "bad.csv", content)
    with pytest.raises(ValueError, match=None) as info:
        load_msa_label_csv(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_label_range_none_accepts_other_scales(tmp_path):
    path = write_csv(tmp_path / "sims.csv", "id,text,label,mode\nv_1,x,5,train\n")
    assert load_msa_label_csv(path, label_range=None).target[0] == 5.0


def test_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "not.csv"
    path.write_bytes(b"\xff\xfe\x00\x81" * 50)
    with pytest.raises(ValueError, match="not.csv"):
        load_msa_label_csv(path)


# ---------------------------------------------------------------- data_dir resolution

def _tiny_dataset_dir(tmp_path):
    (tmp_path / "mosi").mkdir()
    write_csv(tmp_path / "mosi" / "mosi_label_text.csv",
              "id,text,label,mode\na_1,one,1,train\na_2,two,-1,dev\nb_1,three,0.5,test\n")
    return tmp_path


def test_data_dir_and_environment_variable(tmp_path, monkeypatch):
    folder = _tiny_dataset_dir(tmp_path)
    assert list(load_msa_transcripts("mosi", data_dir=folder).ids) == ["a_1", "a_2", "b_1"]
    monkeypatch.setenv("MMSENSE_SHARED_DATA", str(folder))
    assert list(load_msa_transcripts("mosi").split) == ["train", "valid", "test"]


def test_missing_files_tell_how_to_point_to_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MMSENSE_SHARED_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="MMSENSE_SHARED_DATA") as info:
        load_msa_transcripts("mosei")
    assert "fetch_msa_transcripts('mosei')" in str(info.value)
    with pytest.raises(FileNotFoundError, match="data_dir"):
        load_msa_transcripts("mosi", data_dir=tmp_path / "nowhere")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        load_msa_transcripts("iemocap", data_dir=tmp_path)
    with pytest.raises(ValueError, match="labels must be 'csv' or 'csd'"):
        load_msa_transcripts("mosi", data_dir=tmp_path, labels="h5")


# ---------------------------------------------------------------- folds and .csd labels

def test_standard_folds(tmp_path):
    path = tmp_path / "folds.json"
    path.write_text(json.dumps({"train": ["a"], "dev": ["b"], "test": ["c", "d"]}))
    assert load_standard_folds(path) == {"train": ["a"], "valid": ["b"], "test": ["c", "d"]}
    with pytest.raises(ValueError, match="more than one fold: a"):
        load_standard_folds({"train": ["a"], "test": ["a"]})
    with pytest.raises(ValueError, match="keys must be"):
        load_standard_folds({"training": ["a"]})


def test_csd_labels_ids_split_and_unassigned_videos(tmp_path):
    path = write_csd(tmp_path / "labels.csd", {
        "a": ([[1.0], [-2.5]], [[0, 1], [1, 2]]),
        "b": ([[0.5]], [[3, 4]]),
        "c": ([[3.0]], [[0, 2]]),
    })
    bunch = load_csd_labels(path, folds={"train": ["a"], "test": ["b"]})
    assert list(bunch.ids) == ["a_1", "a_2", "b_1", "c_1"]  # k is 1-based
    np.testing.assert_allclose(bunch.target, [1.0, -2.5, 0.5, 3.0])
    assert list(bunch.split) == ["train", "train", "test", "unassigned"]
    np.testing.assert_array_equal(bunch.intervals[1], [1, 2])
    assert bunch.metadata == {"dataset name": "TINY"}
    assert load_csd_labels(path).split is None
    frame = load_csd_labels(path, folds={"train": ["a"]}, as_frame=True).frame
    assert list(frame.columns) == ["id", "video", "label", "split", "start", "end"]
    assert list(frame["split"]) == ["train", "train", "unassigned", "unassigned"]


def test_csd_bad_label_names_file_and_id(tmp_path):
    path = write_csd(tmp_path / "labels.csd", {"a": ([[1.0], [7.0]], [[0, 1], [1, 2]])})
    with pytest.raises(ValueError, match=r"labels.csd.*features\[:, 0\].*'a_2'"):
        load_csd_labels(path)
    with pytest.raises(ValueError, match="column=3 but 'data/a/features' has 1 column"):
        load_csd_labels(path, column=3, label_range=None)


def test_transcripts_with_csd_labels_drop_and_report(tmp_path):
    (tmp_path / "mosi").mkdir()
    write_csv(tmp_path / "mosi" / "mosi_label_text.csv",
              "id,text,label,mode\na_1,one,1,train\nb_1,two,0.5,test\nz_9,orphan,0,train\n")
    write_csd(tmp_path / "mosi" / "CMU_MOSI_Opinion_Labels.csd", {
        "a": ([[1.0], [-2.0]], [[0, 1], [1, 2]]),
        "b": ([[0.5]], [[0, 1]]),
    })
    (tmp_path / "mosi" / "cmu_mosi_std_folds.json").write_text(
        json.dumps({"train": ["a"], "valid": [], "test": ["b"]}))
    with pytest.warns(UserWarning, match="dropped 2 segment.*a_2, z_9"):
        bunch = load_msa_transcripts("mosi", data_dir=tmp_path, labels="csd")
    assert list(bunch.ids) == ["a_1", "b_1"]
    assert list(bunch.data) == ["one", "two"]
    assert list(bunch.split) == ["train", "test"]
    dropped = bunch.dropped.set_index("id")
    assert dropped.loc["a_2", "label"] == -2.0 and dropped.loc["a_2", "split"] == "train"
    assert "no transcript" in dropped.loc["a_2", "reason"]
    assert dropped.loc["z_9", "text"] == "orphan" and "no label" in dropped.loc["z_9", "reason"]


def test_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"pip install mmsense\[sdk\]"):
        load_csd_labels(tmp_path / "x.csd")


# ---------------------------------------------------------------- the real files

@needs_mosi
def test_real_mosi_transcripts_counts():
    bunch = load_msa_transcripts("mosi")
    counts = [int((bunch.split == s).sum()) for s in ("train", "valid", "test")]
    assert counts == [1281, 229, 685]
    assert len(set(bunch.ids)) == 2195
    assert bunch.target.min() >= -3 and bunch.target.max() <= 3


@needs_mosei
def test_real_mosei_transcripts_counts():
    bunch = load_msa_transcripts("mosei")
    counts = [int((bunch.split == s).sum()) for s in ("train", "valid", "test")]
    assert counts == [16274, 1861, 4653]
    assert all(isinstance(t, str) and t for t in bunch.data[:100])


@needs_mosi
def test_real_mosi_csd_with_standard_folds():
    bunch = load_csd_labels(MOSI_CSD, folds=MOSI_FOLDS)
    counts = [int((bunch.split == s).sum()) for s in ("train", "valid", "test")]
    assert counts == [1284, 229, 686]
    assert len(bunch.ids) == 2199 and len(set(bunch.video)) == 93


@needs_mosi
def test_real_mosi_every_transcript_label_matches_the_csd():
    texts = load_msa_transcripts("mosi")
    csd = load_csd_labels(MOSI_CSD, folds=MOSI_FOLDS)
    label_of = dict(zip(csd.ids, csd.target))
    split_of = dict(zip(csd.ids, csd.split))
    assert set(texts.ids) <= set(label_of)
    # the csd stores float32; the csv the decimal
    np.testing.assert_allclose(texts.target, [label_of[i] for i in texts.ids], atol=1e-6)
    assert list(texts.split) == [split_of[i] for i in texts.ids]


@needs_mosi
def test_real_mosi_csd_labels_drop_the_four_untranscribed_segments():
    with pytest.warns(UserWarning, match="dropped 4 segment"):
        bunch = load_msa_transcripts("mosi", labels="csd")
    assert sorted(bunch.dropped["id"]) == [
        "2WGyTLYerpo_44", "5W7Z1C_fDaE_24", "BioHAh1qJAQ_30", "lXPQBPVc5Cw_30"]
    counts = [int((bunch.split == s).sum()) for s in ("train", "valid", "test")]
    assert counts == [1281, 229, 685]
