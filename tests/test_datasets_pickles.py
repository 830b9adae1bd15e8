"""MMSA (post-padded, with lengths) and MulT (zero-padded) pickles into the contract."""

import pickle

import numpy as np
import pytest

from mmsense._contract import check_modality_values, parse_modalities, split_modalities
from mmsense.datasets import load_mmsa_pickle, load_mult_pickle

SPLIT_SIZES = {"train": 4, "valid": 2, "test": 3}


def mmsa_part(rng, n, sizes, aligned=False):
    """One split of an MMSA file; every step past a length holds junk (not zeros)."""
    t_text, d_text, t_audio, d_audio, t_vision, d_vision = sizes
    text_len = rng.integers(1, t_text + 1, n)
    mask = (np.arange(t_text)[None, :] < text_len[:, None]).astype(np.int64)
    part = {
        "text": rng.normal(size=(n, t_text, d_text)).astype(np.float32),
        "text_bert": np.stack([rng.integers(100, 999, (n, t_text)) * mask, mask,
                               np.zeros_like(mask)], axis=1),
        "audio": rng.normal(size=(n, t_audio, d_audio)).astype(np.float32),
        "vision": rng.normal(size=(n, t_vision, d_vision)).astype(np.float32),
        "regression_labels": rng.uniform(-3, 3, n).astype(np.float32),
        "id": np.array([f"vid{rng.integers(1000)}$_${i}" for i in range(n)]),
        "raw_text": np.array([f"sentence {i}" for i in range(n)]),
    }
    if not aligned:
        part["audio_lengths"] = list(rng.integers(0, t_audio + 1, n))
        part["vision_lengths"] = list(rng.integers(1, t_vision + 1, n))
    return part


def write_pickle(path, data):
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return path


def mmsa_file(tmp_path, sizes=(5, 6, 7, 2, 4, 3), aligned=False, valid_key="valid", seed=0):
    rng = np.random.default_rng(seed)
    data = {valid_key if s == "valid" else s: mmsa_part(rng, n, sizes, aligned)
            for s, n in SPLIT_SIZES.items()}
    return write_pickle(tmp_path / "unaligned.pkl", data), data


def expected_split():
    return [s for s, n in SPLIT_SIZES.items() for _ in range(n)]


def concat(data, key):
    return np.concatenate([np.asarray(data[s][key]) for s in data])


@pytest.mark.parametrize("sizes", [(5, 6, 7, 2, 4, 3), (3, 8, 2, 5, 6, 1)])
def test_mmsa_keeps_the_first_length_steps(tmp_path, sizes):
    path, data = mmsa_file(tmp_path, sizes)
    bunch = load_mmsa_pickle(path)
    t_text, d_text, t_audio, d_audio, t_vision, d_vision = sizes
    assert bunch.modalities == {"text": (t_text, d_text), "audio": (t_audio, d_audio),
                                "vision": (t_vision, d_vision)}
    assert list(bunch.split) == expected_split()
    assert list(bunch.ids) == list(concat(data, "id"))
    np.testing.assert_allclose(bunch.target, concat(data, "regression_labels"))
    assert list(bunch.raw_text) == list(concat(data, "raw_text"))
    specs = parse_modalities(bunch.modalities, bunch.data.shape[1])
    check_modality_values(bunch.data, specs)
    blocks = split_modalities(bunch.data, specs)
    lengths = {"text": concat(data, "text_bert")[:, 1].sum(axis=1),
               "audio": concat(data, "audio_lengths"), "vision": concat(data, "vision_lengths")}
    for name in ("text", "audio", "vision"):
        np.testing.assert_array_equal(blocks[name].lengths, lengths[name])
        original = concat(data, name)
        for row, length in enumerate(lengths[name]):
            np.testing.assert_array_equal(blocks[name].values[row, :length],
                                          original[row, :length])
    assert bunch.lengths_source == {"text": "text_bert attention mask",
                                    "audio": "audio_lengths", "vision": "vision_lengths"}


def test_mmsa_pooled_text(tmp_path):
    path, data = mmsa_file(tmp_path)
    text = concat(data, "text")
    lengths = concat(data, "text_bert")[:, 1].sum(axis=1)
    first = load_mmsa_pickle(path, text="first", modalities=("text",))
    assert first.modalities == {"text": 6}
    np.testing.assert_array_equal(first.data, text[:, 0])
    mean = load_mmsa_pickle(path, text="mean", modalities=("audio", "text"))
    assert list(mean.modalities) == ["audio", "text"]
    expected = np.stack([text[i, :k].mean(axis=0) for i, k in enumerate(lengths)])
    np.testing.assert_allclose(mean.data[:, -6:], expected, rtol=1e-5, atol=1e-6)


def test_mmsa_aligned_file_uses_the_text_mask(tmp_path):
    path, data = mmsa_file(tmp_path, sizes=(5, 6, 5, 2, 5, 3), aligned=True, valid_key="dev")
    bunch = load_mmsa_pickle(path)
    assert list(bunch.split) == expected_split()  # "dev" read as valid
    assert bunch.lengths_source["audio"].startswith("text_bert attention mask")
    blocks = split_modalities(bunch.data, parse_modalities(bunch.modalities, bunch.data.shape[1]))
    np.testing.assert_array_equal(blocks["audio"].lengths, blocks["text"].lengths)


def test_mmsa_without_lengths_keeps_every_step(tmp_path):
    path, data = mmsa_file(tmp_path, sizes=(5, 6, 7, 2, 4, 3), aligned=True)
    bunch = load_mmsa_pickle(path, modalities=("audio",))
    assert bunch.lengths_source["audio"].startswith("all steps")
    np.testing.assert_array_equal(bunch.data.reshape(-1, 7, 2), concat(data, "audio"))


def test_mmsa_nonfinite(tmp_path):
    path, data = mmsa_file(tmp_path)
    data["train"]["audio_lengths"][0] = 3
    data["train"]["audio"][0, 1, 0] = -np.inf  # real step
    data["train"]["audio"][0, 5, 1] = np.nan  # padding step: ignored
    write_pickle(path, data)
    with pytest.raises(ValueError, match=r"'audio' has 1 NaN/inf.*id 'vid\d+\$_\$0', step 1"):
        load_mmsa_pickle(path)
    bunch = load_mmsa_pickle(path, nonfinite=0.0, modalities=("audio",))
    assert bunch.nonfinite_replaced == {"audio": 1}
    assert bunch.data[0, 2] == 0.0 and np.isnan(bunch.data[0, 6:]).all()


def test_mmsa_lengths_beyond_the_stored_steps_warn(tmp_path):
    path, data = mmsa_file(tmp_path)
    data["test"]["vision_lengths"][0] = 40
    write_pickle(path, data)
    with pytest.warns(UserWarning, match="1 value.*'vision_lengths' exceed the 4 stored steps"):
        bunch = load_mmsa_pickle(path, modalities=("vision",))
    assert not np.isnan(bunch.data[6]).any()  # first test row: all 4 steps real


@pytest.mark.parametrize("damage, message", [
    (lambda d: d["valid"].pop("audio"), "split 'valid' has no key 'audio'"),
    (lambda d: d["test"].update(regression_labels=np.zeros(2)),
     r"different numbers of rows \('regression_labels': 8, 'text': 9"),
    (lambda d: d["train"]["regression_labels"].__setitem__(1, 3.5), r"not in \[-3.0, 3.0\]"),
    (lambda d: d["test"].update(vision=np.zeros((3, 4, 9), np.float32)),
     r"'vision' has shape \(4, 9\) per row in 'test'"),
    (lambda d: d["train"]["audio_lengths"].__setitem__(0, -1), "'audio_lengths' must hold whole"),
    (lambda d: [p.update(text_bert=np.zeros((len(p["text"]), 2, 5))) for p in d.values()],
     "'text_bert' must have shape"),
    (lambda d: d.update(dev=d["valid"]), "holds both"),
])
def test_mmsa_bad_files_name_file_and_key(tmp_path, damage, message):
    path, data = mmsa_file(tmp_path)
    damage(data)
    write_pickle(path, data)
    with pytest.raises(ValueError, match=message) as info:
        load_mmsa_pickle(path)
    assert str(path) in str(info.value)


def test_not_a_dataset_pickle(tmp_path):
    with pytest.raises(ValueError, match="garbage.pkl: not a readable pickle"):
        load_mmsa_pickle(write_bytes(tmp_path / "garbage.pkl", b"\x00\x01 not a pickle"))
    with pytest.raises(ValueError, match="list.pkl: expected a dict"):
        load_mult_pickle(write_pickle(tmp_path / "list.pkl", [1, 2]))
    with pytest.raises(ValueError, match="expected keys 'train'"):
        load_mult_pickle(write_pickle(tmp_path / "keys.pkl", {"training": {}}))
    with pytest.raises(ValueError, match="text must be one of"):
        load_mmsa_pickle(tmp_path / "garbage.pkl", text="last")


def write_bytes(path, content):
    path.write_bytes(content)
    return path


# ---------------------------------------------------------------- MulT

def mult_file(tmp_path, with_id=True, seed=1):
    """Zero pre-padded sequences (MulT's layout), labels (n, 1, 1), ids (video, start, end)."""
    rng = np.random.default_rng(seed)
    data, real = {}, {}
    for split, n in SPLIT_SIZES.items():
        part = {"labels": rng.uniform(-3, 3, (n, 1, 1)).astype(np.float32)}
        for name, (t, d) in {"text": (6, 4), "audio": (6, 3), "vision": (6, 2)}.items():
            seq = rng.normal(size=(n, t, d)).astype(np.float32)
            lengths = rng.integers(1, t + 1, n)
            mask = np.arange(t)[None, :] >= (t - lengths)[:, None]  # real steps at the end
            seq[~mask] = 0.0
            part[name] = seq
            real.setdefault(name, []).append(mask)
        if with_id:
            part["id"] = np.array([[f"v{i}".encode(), b"1.5", b"3.0"] for i in range(n)])
        data[split] = part
    return write_pickle(tmp_path / "mosi_data.pkl", data), data, {
        k: np.concatenate(v) for k, v in real.items()}


def test_mult_lengths_from_non_zero_steps(tmp_path):
    path, data, real = mult_file(tmp_path)
    bunch = load_mult_pickle(path)
    assert bunch.modalities == {"text": (6, 4), "audio": (6, 3), "vision": (6, 2)}
    assert list(bunch.split) == expected_split()
    assert bunch.ids[0] == "v0_1.5_3.0"
    np.testing.assert_allclose(bunch.target, concat(data, "labels").reshape(-1))
    specs = parse_modalities(bunch.modalities, bunch.data.shape[1])
    check_modality_values(bunch.data, specs)
    blocks = split_modalities(bunch.data, specs)
    for name in ("text", "audio", "vision"):
        np.testing.assert_array_equal(blocks[name].lengths, real[name].sum(axis=1))
        original = concat(data, name)
        for row in range(len(original)):
            np.testing.assert_array_equal(blocks[name].values[row, : real[name][row].sum()],
                                          original[row][real[name][row]])


def test_mult_pooled_text_and_positional_ids(tmp_path):
    path, data, real = mult_file(tmp_path, with_id=False)
    bunch = load_mult_pickle(path, modalities=("text",), text="mean")
    text = concat(data, "text")
    expected = np.stack([text[i][real["text"][i]].mean(axis=0) for i in range(len(text))])
    np.testing.assert_allclose(bunch.data, expected, rtol=1e-5, atol=1e-6)
    assert list(bunch.ids[:5]) == ["train/0", "train/1", "train/2", "train/3", "valid/0"]
    first = load_mult_pickle(path, modalities=("text",), text="first")
    np.testing.assert_array_equal(first.data, [text[i][real["text"][i]][0] for i in range(9)])


def test_mult_audio_minus_inf(tmp_path):
    path, data, real = mult_file(tmp_path)
    data["valid"]["audio"][1, -1, 2] = -np.inf  # the last step is always real
    write_pickle(path, data)
    with pytest.raises(ValueError, match="mosi_data.pkl: 'audio' has 1 NaN/inf.*'v1_1.5_3.0'"):
        load_mult_pickle(path)
    assert load_mult_pickle(path, nonfinite=0.0).nonfinite_replaced == {
        "text": 0, "audio": 1, "vision": 0}


def test_mult_labels_must_be_one_score(tmp_path):
    path, data, _ = mult_file(tmp_path)
    for part in data.values():
        part["labels"] = np.zeros((len(part["labels"]), 4, 2))
    write_pickle(path, data)
    with pytest.raises(ValueError, match="mosi_data.pkl: 'labels' must hold one sentiment score"):
        load_mult_pickle(path)
