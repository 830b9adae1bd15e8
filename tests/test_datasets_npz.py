"""save_dataset / load_dataset: one .npz holding a dataset in the input contract."""

import numpy as np
import pytest

from mmsense import stack_modalities
from mmsense.datasets import load_dataset, save_dataset


def test_round_trip_keeps_every_column_and_the_spec(tmp_path):
    rng = np.random.default_rng(0)
    X, spec = stack_modalities(text=rng.normal(size=(3, 4)),
                               audio=[rng.normal(size=(t, 2)) for t in (1, 3, 2)])
    y = np.array([0.5, -1.0, 2.0])
    path = save_dataset(tmp_path / "d", X, y, modalities=spec, ids=["a", "b", "c"],
                        split=["train", "dev", "test"])
    assert path.name == "d.npz"
    data = load_dataset(path)
    np.testing.assert_array_equal(data.data, X)  # NaN padding included
    assert data.data.dtype == X.dtype
    np.testing.assert_array_equal(data.target, y)
    assert data.modalities == spec == {"text": 4, "audio": (3, 2)}
    assert list(data.ids) == ["a", "b", "c"]
    assert list(data.split) == ["train", "valid", "test"]


def test_optional_columns_stay_absent(tmp_path):
    save_dataset(tmp_path / "d.npz", np.zeros((2, 3)))
    data = load_dataset(tmp_path / "d.npz")
    assert data.target is None and data.ids is None and data.split is None
    assert data.modalities == {"x": 3}


def test_bad_inputs_name_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match=r"y must be 1-D with one entry per row of X \(2\)"):
        save_dataset(tmp_path / "d.npz", np.zeros((2, 3)), y=[1.0])
    with pytest.raises(ValueError, match="modalities"):
        save_dataset(tmp_path / "d.npz", np.zeros((2, 3)), modalities={"text": 4})
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an mmsense dataset file"):
        load_dataset(tmp_path / "other.npz")
