"""The multimodal input contract: spec parsing, validation errors, splitting, stacking."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from mmsense import stack_modalities
from mmsense._contract import (
    check_modality_values,
    parse_modalities,
    split_modalities,
    validate_multimodal,
)

SPEC = {"text": 3, "audio": (4, 2)}


class _Holder(BaseEstimator):
    """Minimal estimator to run validate_multimodal against."""

    def __init__(self, modalities=None):
        self.modalities = modalities


def _valid_X(n=5, rng=0):
    X = np.random.default_rng(rng).normal(size=(n, 3 + 8)).astype(np.float32)
    X[0, 3 + 2 * 2:] = np.nan  # row 0: two real audio steps, two padding steps
    return X


def test_parse_spec_columns_and_order():
    specs = parse_modalities(SPEC, 11)
    assert [s.name for s in specs] == ["text", "audio"]
    assert (specs[0].start, specs[0].stop) == (0, 3)
    assert (specs[1].start, specs[1].stop, specs[1].n_steps, specs[1].n_features) == (3, 11, 4, 2)


def test_none_spec_is_one_static_block():
    (spec,) = parse_modalities(None, 7)
    assert not spec.is_sequence and spec.width == 7


def test_wrong_total_width_lists_every_modality():
    with pytest.raises(ValueError) as err:
        parse_modalities(SPEC, 12)
    msg = str(err.value)
    assert "'text': static 3" in msg and "'audio': sequence (4, 2) = 8" in msg
    assert "11 columns in total" in msg and "X has 12" in msg


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({"text": 0}, "modality 'text'"),
        ({"text": -3}, "modality 'text'"),
        ({"audio": (4,)}, "modality 'audio'"),
        ({"audio": (4, 2, 1)}, "modality 'audio'"),
        ({"audio": (0, 2)}, "modality 'audio'"),
        ({"audio": "4x2"}, "modality 'audio'"),
        ({"text": True}, "modality 'text'"),
        ({}, "at least one"),
        ([3, 4], "mapping"),
    ],
)
def test_bad_specs_name_the_modality(spec, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_modalities(spec, None)


def test_nan_in_static_block_names_modality_and_row():
    X = _valid_X()
    X[3, 1] = np.nan
    with pytest.raises(ValueError,
                       match=r"'text' is static and partly NaN \(first at row 3: 1 of 3"):
        check_modality_values(X, parse_modalities(SPEC, 11))


def test_partly_nan_step_names_modality_row_and_step():
    X = _valid_X()
    X[2, 3 + 2 * 1] = np.nan  # one of step 1's two features
    with pytest.raises(ValueError,
                       match=r"'audio' has a partly-NaN step \(first at row 2, step 1\)"):
        check_modality_values(X, parse_modalities(SPEC, 11))


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("col, name", [(0, "text"), (5, "audio")])
def test_inf_anywhere_is_rejected(value, col, name):
    X = _valid_X()
    X[4, col] = value
    with pytest.raises(ValueError, match=rf"'{name}' contains inf \(first at row 4\)"):
        check_modality_values(X, parse_modalities(SPEC, 11))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_values_whose_sums_overflow_pass_and_bad_values_among_them_do_not(dtype):
    # the finiteness check sums columns; huge finite values overflow those sums
    big = np.finfo(dtype).max / 2
    X = np.full((6, 3), big, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no overflow warning
        check_modality_values(X, parse_modalities({"text": 3}, 3))
    for value, message in [(np.inf, "contains inf"), (-np.inf, "contains inf"),
                           (np.nan, "partly NaN")]:
        bad = X.copy()
        bad[3, 1] = value
        with pytest.raises(ValueError, match=message):
            check_modality_values(bad, parse_modalities({"text": 3}, 3))


def test_validate_multimodal_rejects_empty_1d_and_strings():
    est = _Holder(SPEC)
    with pytest.raises(ValueError, match="0 sample"):
        validate_multimodal(est, np.zeros((0, 11)))
    with pytest.raises(ValueError, match="2D array"):
        validate_multimodal(est, np.zeros(11))
    frame = pd.DataFrame(_valid_X())
    frame[0] = frame[0].astype(str).str.cat(["x"] * len(frame))
    with pytest.raises(ValueError, match="could not convert string to float"):
        validate_multimodal(est, frame)


def test_validate_multimodal_keeps_float32_without_copy():
    X = _valid_X()
    Xv, _, specs = validate_multimodal(_Holder(SPEC), X)
    assert Xv.dtype == np.float32 and np.shares_memory(Xv, X)
    assert len(specs) == 2


def test_validate_accepts_dataframe_and_padding():
    X, _, _ = validate_multimodal(_Holder(SPEC), pd.DataFrame(_valid_X()))
    assert np.isnan(X[0, 7:]).all()


def test_split_front_packs_real_steps_and_zero_fills_padding():
    X = np.zeros((2, 3 + 8), dtype=np.float32)
    X[:, :3] = [[1, 2, 3], [4, 5, 6]]
    steps = np.array([[10, 11], [np.nan, np.nan], [20, 21], [np.nan, np.nan]])  # gap inside
    X[0, 3:] = steps.ravel()
    X[1, 3:] = np.nan  # a sequence with zero real steps
    blocks = split_modalities(X, parse_modalities(SPEC, 11))
    np.testing.assert_array_equal(blocks["text"].values, X[:, :3])
    audio = blocks["audio"]
    np.testing.assert_array_equal(audio.lengths, [2, 0])
    np.testing.assert_array_equal(audio.values[0], [[10, 11], [20, 21], [0, 0], [0, 0]])
    np.testing.assert_array_equal(audio.values[1], np.zeros((4, 2)))
    assert audio.values.dtype == np.float32


def test_stack_modalities_all_input_forms_round_trip():
    rng = np.random.default_rng(0)
    text = rng.normal(size=(3, 4))
    padded = rng.normal(size=(3, 5, 2))
    ragged = [rng.normal(size=(t, 3)) for t in (2, 0, 4)]
    X, spec = stack_modalities(
        text=text, audio=padded, vision=ragged, lengths={"audio": [5, 1, 3]}
    )
    assert spec == {"text": 4, "audio": (5, 2), "vision": (4, 3)}
    assert X.shape == (3, 4 + 10 + 12) and X.dtype == np.float64
    blocks = split_modalities(X, parse_modalities(spec, X.shape[1]))
    np.testing.assert_allclose(blocks["text"].values, text)
    np.testing.assert_array_equal(blocks["audio"].lengths, [5, 1, 3])
    np.testing.assert_allclose(blocks["audio"].values[1, :1], padded[1, :1])
    np.testing.assert_array_equal(blocks["vision"].lengths, [2, 0, 4])
    np.testing.assert_allclose(blocks["vision"].values[2], ragged[2])


def test_stack_modalities_keeps_float32():
    X, _ = stack_modalities(text=np.ones((2, 3), np.float32), audio=np.ones((2, 2, 2), np.float32))
    assert X.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(text=np.ones((2, 3)), audio=np.ones((3, 2, 2))),
         "'audio' has 3 rows but 'text' has 2"),
        (dict(text=np.ones(3)), "'text'.*1 dimension"),
        (dict(audio=np.ones((2, 3, 1)), lengths={"audio": [1, 4]}),
         r"lengths\['audio'\] must lie in \[0, 3\]"),
        (dict(audio=np.ones((2, 3, 1)), lengths={"vision": [1, 1]}), "not given"),
        (dict(audio=[np.ones((2, 2)), np.ones((1, 3))]), "different widths"),
        ({}, "at least one modality"),
    ],
)
def test_stack_modalities_errors(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        stack_modalities(**kwargs)


# -- missing modalities ------------------------------------------------------------------


def _missing_X():
    """Row 1 misses text (all NaN), row 2 misses audio (no real step), row 3 misses both."""
    X = _valid_X(n=6)
    X[1, :3] = np.nan
    X[2, 3:] = np.nan
    X[3, :] = np.nan
    return X


def test_all_nan_static_block_is_a_missing_modality():
    X = _missing_X()
    X = X[[0, 1, 2, 4, 5]]  # keep the row missing everything out
    est = _Holder(SPEC)
    Xv, _, specs = validate_multimodal(est, X)
    assert est.n_missing_ == {"text": 1, "audio": 1}
    blocks = split_modalities(Xv, specs)
    np.testing.assert_array_equal(blocks["text"].present, [True, False, True, True, True])
    np.testing.assert_array_equal(blocks["audio"].present, [True, True, False, True, True])
    np.testing.assert_array_equal(blocks["text"].values[1], np.zeros(3))  # never NaN
    np.testing.assert_array_equal(blocks["text"].values[0], X[0, :3])
    assert blocks["audio"].lengths[2] == 0


def test_row_missing_every_modality_is_an_error_with_its_index():
    with pytest.raises(ValueError, match=r"1 row\(s\) miss every modality .* rows \[3\]"):
        validate_multimodal(_Holder(SPEC), _missing_X())
    est = _Holder(SPEC)
    validate_multimodal(est, _missing_X(), all_missing="allow")
    assert est.n_missing_ == {"text": 2, "audio": 2}


def test_modality_missing_in_every_training_row_is_named():
    X = _valid_X()
    X[:, :3] = np.nan
    with pytest.raises(ValueError, match="modality 'text' is missing .* every one of the 5"):
        validate_multimodal(_Holder(SPEC), X)
    # at predict time a batch without text is fine
    est = _Holder(SPEC)
    validate_multimodal(est, _valid_X())
    validate_multimodal(est, X, reset=False)


def test_modality_missing_in_most_rows_warns():
    X = _valid_X(n=10)
    X[:6, :3] = np.nan  # 6 of 10 rows, above MISSING_WARNING_FRACTION
    with pytest.warns(UserWarning, match="'text' is missing in 6 of the 10 training rows"):
        validate_multimodal(_Holder(SPEC), X)


def test_network_inputs_carry_the_presence_mask():
    from mmsense._contract import modality_present, network_inputs, present_key

    X = _missing_X()[[0, 1, 2]]
    specs = parse_modalities(SPEC, 11)
    inputs = network_inputs(X, specs)
    np.testing.assert_array_equal(inputs[present_key("text")], [True, False, True])
    np.testing.assert_array_equal(modality_present(inputs, specs[1]), [True, True, False])
    del inputs[present_key("audio")]  # older inputs: sequences fall back on their lengths
    np.testing.assert_array_equal(modality_present(inputs, specs[1]), [True, True, False])


@pytest.mark.parametrize("spec, expected", [
    (None, False),                      # one static block: an all-NaN row has nothing left
    ({"text": 3}, False),
    ({"text": 3, "audio": 2}, True),    # a missing static block
    ({"audio": (4, 2)}, True),          # padding
])
def test_allow_nan_tag_says_whether_some_nan_is_accepted(spec, expected):
    from mmsense._contract import allows_nan

    assert allows_nan(spec) is expected
