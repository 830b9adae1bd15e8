"""Shared modality encoders: every method builds its per-modality encoders from here.

Inputs follow :mod:`mmsense._contract`: a static modality is a ``(n, d)``
tensor; a sequence modality is a ``(n, T, d)`` tensor with its real steps at the
front and a ``(n,)`` int64 tensor of lengths (0 allowed).
"""

from __future__ import annotations

import functools
import math
from contextlib import contextmanager

import torch
from torch import nn

from .._contract import modality_input, sequence_means
from ._side_by_side import run_side_by_side

# Attention values one inference batch may hold (2**26 float32 values = 256 MiB).
ATTENTION_VALUES_PER_BATCH = 2**26
# Longest batch (steps) for which a Transformer layer may take torch's fused inference
# "fast path". That path materialises every attention weight; past a few dozen steps
# torch's scaled-dot-product path is faster (on the development CPU: 0.86x its speed
# at 20 steps, 1.6x at 50, 4x at 200, 5.3x at 500; equal outputs within float32 rounding).
FASTPATH_MAX_STEPS = 32


@contextmanager
def attention_fastpath(allowed: bool):
    """Forbid torch's fused Transformer inference path for the block unless ``allowed``.

    Never turns the path on: where it is off (``torch.backends.mha``, a process-wide
    switch) it stays off. A switch changed here is put back afterwards.
    """
    if allowed or not torch.backends.mha.get_fastpath_enabled():
        yield
        return
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(True)


def lengths_to_mask(lengths: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Boolean ``(n, n_steps)`` mask, True on real steps."""
    return torch.arange(n_steps, device=lengths.device)[None, :] < lengths[:, None]


def trim_to_longest(values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Drop trailing steps that are padding in every row of the batch."""
    longest = max(int(lengths.max()), 1) if lengths.numel() else 1
    return values[:, :longest]


class StaticEncoder(nn.Module):
    """Linear projection of a static modality vector to ``out_dim``."""

    def __init__(self, in_features: int, out_dim: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_dim)

    def forward(self, values: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(values)


class LSTMEncoder(nn.Module):
    """Unidirectional LSTM; the hidden state at each row's last real step, then Linear.

    The LSTM runs over the padded batch and the output at step ``length - 1`` is
    gathered. For a unidirectional LSTM this equals running it over the packed
    real steps (trailing padding cannot influence earlier outputs) and avoids
    PyTorch's slow CPU backward for packed batches of mixed lengths
    (pytorch/pytorch#149194). Rows with no real step encode to the projection of
    a zero hidden state.
    """

    def __init__(self, in_features: int, out_dim: int, hidden_size: int | None = None,
                 num_layers: int = 1):
        super().__init__()
        hidden_size = hidden_size or out_dim
        self.lstm = nn.LSTM(in_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, out_dim)

    def forward(self, values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        values = trim_to_longest(values, lengths)
        outputs, _ = self.lstm(values)
        last = (lengths - 1).clamp(min=0)
        index = last.view(-1, 1, 1).expand(-1, 1, outputs.shape[-1])
        hidden = outputs.gather(1, index).squeeze(1)
        hidden = hidden * (lengths > 0).unsqueeze(1).to(hidden.dtype)
        return self.linear(hidden)


def sinusoidal_positions(n_steps: int, dim: int) -> torch.Tensor:
    """The Transformer's fixed sinusoidal position encoding, ``(n_steps, dim)``."""
    position = torch.arange(n_steps, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(n_steps, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return table


class TransformerEncoder(nn.Module):
    """Linear input projection, sinusoidal positions, Transformer layers, masked mean pooling.

    Padded steps are hidden from attention by a key-padding mask and left out of
    the mean. A row with no real step pools to a zero vector.
    """

    def __init__(self, in_features: int, out_dim: int, n_steps: int, num_layers: int = 2,
                 num_heads: int = 4, dim_feedforward: int | None = None, dropout: float = 0.1):
        super().__init__()
        if out_dim % num_heads:
            raise ValueError(
                f"the Transformer width ({out_dim}) must be divisible by num_heads ({num_heads})."
            )
        self.project = nn.Linear(in_features, out_dim)
        # rows per inference batch: each row's attention weights are heads x T x T values
        self.max_batch_rows = max(1, ATTENTION_VALUES_PER_BATCH // (num_heads * n_steps**2))
        self.register_buffer("positions", sinusoidal_positions(n_steps, out_dim), persistent=False)
        layer = nn.TransformerEncoderLayer(
            out_dim, num_heads, dim_feedforward or 2 * out_dim, dropout, batch_first=True
        )
        self.layers = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)

    def forward(self, values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        values = trim_to_longest(values, lengths)
        n_steps = values.shape[1]
        mask = lengths_to_mask(lengths, n_steps)
        empty = lengths == 0
        # attention over no key at all gives NaN: let empty rows see their first (zero) step
        attend = mask | (empty[:, None] & (torch.arange(n_steps, device=mask.device) == 0))
        hidden = self.project(values) + self.positions[:n_steps]
        with attention_fastpath(n_steps <= FASTPATH_MAX_STEPS):
            hidden = self.layers(hidden, src_key_padding_mask=~attend)
        return sequence_means(hidden, lengths)


class ModalityEncoders(nn.Module):
    """One encoder per modality, all mapping to ``out_dim``.

    Parameters
    ----------
    specs : sequence of Modality
    out_dim : int
    sequence_encoder : {"lstm", "transformer"}
    **encoder_kwargs
        Passed to the sequence encoder class.

    ``forward(inputs)`` takes the network-input dict (see
    :func:`mmsense._contract.network_inputs`) and returns ``{name: (n, out_dim) tensor}``
    in the specs' order.
    """

    def __init__(self, specs, out_dim: int, sequence_encoder: str = "lstm", **encoder_kwargs):
        super().__init__()
        self.specs = tuple(specs)
        encoders = {}
        for spec in self.specs:
            if not spec.is_sequence:
                encoders[spec.name] = StaticEncoder(spec.n_features, out_dim)
            elif sequence_encoder == "lstm":
                encoders[spec.name] = LSTMEncoder(spec.n_features, out_dim, **encoder_kwargs)
            elif sequence_encoder == "transformer":
                encoders[spec.name] = TransformerEncoder(
                    spec.n_features, out_dim, spec.n_steps, **encoder_kwargs
                )
            else:
                raise ValueError(
                    f"sequence_encoder must be 'lstm' or 'transformer'; got {sequence_encoder!r}."
                )
        self.encoders = nn.ModuleDict(encoders)
        # torch threads shared by side-by-side encoders, set by side_by_side()
        self.side_by_side_threads = None

    def forward(self, inputs: dict) -> dict:
        calls = {spec.name: functools.partial(self.encoders[spec.name],
                                              *modality_input(inputs, spec))
                 for spec in self.specs}
        names = self._side_by_side_names(inputs)
        encoded = (dict(zip(names, run_side_by_side([calls[n] for n in names],
                                                    self.side_by_side_threads)))
                   if names else {})
        return {name: encoded[name] if name in encoded else call()
                for name, call in calls.items()}

    def can_run_side_by_side(self, training: bool) -> bool:
        """Whether the sequence encoders can run side by side (see :func:`side_by_side`):
        two or more of them, on the CPU, and no dropout when ``training``."""
        sequences = [self.encoders[spec.name] for spec in self.specs if spec.is_sequence]
        return (len(sequences) >= 2
                and all(p.device.type == "cpu" for p in self.parameters())
                and not (training and any(_draws_random(e) for e in sequences)))

    def _side_by_side_names(self, inputs: dict) -> list:
        """The sequence modalities this call encodes side by side: all of them inside
        :func:`side_by_side` when the mode is the one it allowed and the inputs need no
        gradient; none otherwise."""
        # getattr: modules pickled before this attribute existed lack it
        if (not getattr(self, "side_by_side_threads", None)
                or not self.can_run_side_by_side(self.training)):
            return []
        if any(isinstance(v, torch.Tensor) and (v.requires_grad or v.device.type != "cpu")
               for v in inputs.values()):
            return []
        return [spec.name for spec in self.specs if spec.is_sequence]


def _draws_random(module: nn.Module) -> bool:
    """Whether ``module`` draws random numbers in training mode (dropout anywhere in it)."""
    return any((isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0)
               or (isinstance(m, nn.RNNBase) and m.dropout > 0)
               for m in module.modules())
