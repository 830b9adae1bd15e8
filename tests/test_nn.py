"""Shared torch plumbing: device choice, seeding and the modality encoders."""

import numpy as np
import pytest
import torch

from mmsense import stack_modalities
from mmsense._contract import lengths_key, network_inputs, parse_modalities
from mmsense.nn import (
    LSTMEncoder,
    ModalityEncoders,
    TransformerEncoder,
    resolve_device,
    sinusoidal_positions,
    torch_seed_from,
)


def _inputs(lengths=(0, 1, 4, 2), d=3, seed=0):
    rng = np.random.default_rng(seed)
    X, spec = stack_modalities(
        text=rng.normal(size=(len(lengths), 5)),
        audio=[rng.normal(size=(t, d)) for t in lengths],
    )
    specs = parse_modalities(spec, X.shape[1])
    inputs = {k: torch.as_tensor(v) for k, v in network_inputs(X, specs).items()}
    return specs, inputs


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on CPU-only machines")
def test_cuda_requested_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda:0")


def test_seeding_is_reproducible():
    assert torch_seed_from(3) == torch_seed_from(3)
    assert torch_seed_from(3) != torch_seed_from(4)


def test_net_inputs_are_float32_with_lengths():
    _, inputs = _inputs()
    assert inputs["text"].dtype == torch.float32 and inputs["audio"].dtype == torch.float32
    assert inputs[lengths_key("audio")].tolist() == [0, 1, 4, 2]


def test_lstm_matches_running_on_real_steps_only():
    torch.manual_seed(0)
    _, inputs = _inputs()
    enc = LSTMEncoder(3, 6)
    out = enc(inputs["audio"], inputs[lengths_key("audio")])
    for i, length in enumerate(inputs[lengths_key("audio")].tolist()):
        if length == 0:
            expected = enc.linear(torch.zeros(1, 6))
        else:
            _, (h, _) = enc.lstm(inputs["audio"][i:i + 1, :length])
            expected = enc.linear(h[-1])
        torch.testing.assert_close(out[i:i + 1], expected, atol=1e-6, rtol=1e-5)


def test_transformer_ignores_padding_and_handles_empty_rows():
    torch.manual_seed(0)
    _, inputs = _inputs()
    enc = TransformerEncoder(3, 8, n_steps=4).eval()
    out = enc(inputs["audio"], inputs[lengths_key("audio")])
    assert torch.isfinite(out).all()
    assert torch.equal(out[0], torch.zeros(8))  # zero real steps pool to zeros
    # garbage in padded steps must not change the encoding
    noisy = inputs["audio"].clone()
    noisy[1, 1:] = 100.0
    torch.testing.assert_close(enc(noisy, inputs[lengths_key("audio")]), out)
    # a row alone gives the same encoding as inside the batch (no leakage across rows)
    torch.testing.assert_close(enc(inputs["audio"][2:3], inputs[lengths_key("audio")][2:3]),
                               out[2:3])


def test_sinusoidal_positions_formula():
    table = sinusoidal_positions(5, 4)
    pos, i = 3, 1
    angle = pos / 10000 ** (2 * i / 4)
    assert table[pos, 2 * i].item() == pytest.approx(np.sin(angle), abs=1e-6)
    assert table[pos, 2 * i + 1].item() == pytest.approx(np.cos(angle), abs=1e-6)


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_modality_encoders_shapes(kind):
    specs, inputs = _inputs()
    out = ModalityEncoders(specs, 8, kind)(inputs)
    assert list(out) == ["text", "audio"] and all(v.shape == (4, 8) for v in out.values())


def test_modality_encoders_reject_unknown_kind():
    specs, _ = _inputs()
    with pytest.raises(ValueError, match="sequence_encoder"):
        ModalityEncoders(specs, 8, "gru")


def test_inference_batches_respect_an_encoders_row_cap():
    from mmsense.nn import predict_batches
    from mmsense.nn._encoders import ATTENTION_VALUES_PER_BATCH

    long = TransformerEncoder(3, 8, n_steps=500, num_heads=4)
    assert long.max_batch_rows == ATTENTION_VALUES_PER_BATCH // (4 * 500**2)
    enc = TransformerEncoder(3, 8, n_steps=4, num_heads=2).eval()
    enc.max_batch_rows = 2  # as a long sequence would set it
    sizes = []
    enc.register_forward_hook(lambda module, args, out: sizes.append(len(out)))
    specs, inputs = _inputs()
    values, lengths = inputs["audio"].numpy(), inputs[lengths_key("audio")].numpy()
    out = predict_batches(enc, {"values": values, "lengths": lengths})
    assert sizes == [2, 2]
    torch.testing.assert_close(out, enc(inputs["audio"], inputs[lengths_key("audio")]))


class _EchoRows(torch.nn.Module):
    """Returns each row's own values, so the order of the output rows can be checked."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))  # gives the module a device
        self.batch_lengths = []

    def forward(self, values, values__lengths):
        self.batch_lengths.append(values__lengths.tolist())
        return values[:, 0, 0] + self.weight, values__lengths


def test_inference_batches_sort_rows_by_length_and_keep_the_row_order():
    from mmsense.nn import predict_batches
    from mmsense.nn._inference import SORTED_BATCH_SIZE

    rng = np.random.default_rng(0)
    n = 2 * SORTED_BATCH_SIZE + 7
    lengths = rng.integers(0, 9, size=n)
    values = rng.normal(size=(n, 9, 2)).astype(np.float32)
    module = _EchoRows()
    first, echoed = predict_batches(module, {"values": values, "values__lengths": lengths})
    # three batches, each holding lengths no longer than the next batch's shortest
    assert [len(b) for b in module.batch_lengths] == [SORTED_BATCH_SIZE] * 2 + [7]
    assert all(max(a) <= min(b) for a, b in zip(module.batch_lengths, module.batch_lengths[1:]))
    # the outputs come back in the input's row order
    np.testing.assert_array_equal(first.numpy(), values[:, 0, 0])
    np.testing.assert_array_equal(echoed.numpy(), lengths)


def test_static_inputs_keep_the_large_batch():
    from mmsense.nn import INFERENCE_BATCH_SIZE, predict_batches
    from mmsense.nn._batching import sequence_costs

    linear = torch.nn.Linear(3, 1)
    sizes = []
    linear.register_forward_hook(lambda module, args, out: sizes.append(len(out)))
    X = np.ones((INFERENCE_BATCH_SIZE + 1, 3), dtype=np.float32)
    assert sequence_costs({"input": X}) is None
    predict_batches(linear, {"input": X})
    assert sizes == [INFERENCE_BATCH_SIZE, 1]


def test_sequence_costs_add_each_modalitys_share_of_its_steps():
    from mmsense.nn._batching import sequence_costs

    specs, inputs = _inputs(lengths=(0, 1, 4, 2))  # audio padded to 4 steps; text static
    costs = sequence_costs({k: v.numpy() for k, v in inputs.items()})
    np.testing.assert_allclose(costs, [0.0, 0.25, 1.0, 0.5])


@pytest.mark.parametrize("switch", [True, False])
@pytest.mark.parametrize("n_steps", [8, 64])
def test_transformer_inference_path_gives_the_training_path_s_output(n_steps, switch):
    # eval mode may take torch's fused path (short batches) or its attention kernel (long
    # ones); both must give what the plain layer computation gives (grad enabled: no fast
    # path); the process-wide switch is left as it was, and never turned on
    from mmsense.nn._encoders import FASTPATH_MAX_STEPS, attention_fastpath

    torch.manual_seed(0)
    enc = TransformerEncoder(3, 8, n_steps=n_steps, num_heads=2, dropout=0.0).eval()
    values = torch.randn(5, n_steps, 3)
    lengths = torch.tensor([n_steps, 1, 0, n_steps // 2, 3])
    expected = enc(values, lengths)  # autograd on: torch never takes the fused path
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(switch)
    try:
        with torch.no_grad():
            got = enc(values, lengths)
        assert torch.backends.mha.get_fastpath_enabled() == switch
        with attention_fastpath(n_steps <= FASTPATH_MAX_STEPS):
            assert torch.backends.mha.get_fastpath_enabled() == (switch and n_steps == 8)
    finally:
        torch.backends.mha.set_fastpath_enabled(before)
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-6)
