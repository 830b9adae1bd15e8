"""The DEC network: per-modality Transformer encoders, late fusion to ``z``, decoders.

Built once per fit from the contract's modality specs. The cluster centres
live in the module as a parameter so that they train with the network (as in
DEC) and travel with it through skorch's pickling and device handling.
"""

from __future__ import annotations

import torch
from torch import nn

from ..nn import ModalityEncoders, lengths_key, lengths_to_mask


def fc_stack(sizes, dropout: float) -> nn.Sequential:
    """Linear layers through ``sizes``; every hidden layer gets LayerNorm, ReLU, Dropout.

    LayerNorm rather than BatchNorm: skorch's last mini-batch may hold a single row.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers += [nn.LayerNorm(n_out), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


def pooled_inputs(inputs: dict, specs) -> dict:
    """Each modality's raw features averaged over its real steps (static: the vector).

    These are the decoder's reconstruction targets. The target is the input,
    not the encoder's own pooled output, which the encoder could make constant.
    """
    pooled = {}
    for spec in specs:
        values = inputs[spec.name]
        if not spec.is_sequence:
            pooled[spec.name] = values
            continue
        lengths = inputs[lengths_key(spec.name)]
        mask = lengths_to_mask(lengths, values.shape[1]).to(values.dtype).unsqueeze(-1)
        pooled[spec.name] = (values * mask).sum(1) / lengths.clamp(min=1).to(values.dtype)[:, None]
    return pooled


class FusionEncoder(nn.Module):
    """Per-modality encoders, concatenation (late fusion), FC layers to the latent ``z``.

    This is the part that DECClassifier transfers to its classifier head.
    """

    def __init__(self, specs, embed_dim, hidden_dims, latent_dim, num_layers, num_heads, dropout):
        super().__init__()
        self.modalities = ModalityEncoders(
            specs, embed_dim, sequence_encoder="transformer",
            num_layers=num_layers, num_heads=num_heads, dropout=dropout,
        )
        self.fusion = fc_stack([len(specs) * embed_dim, *hidden_dims, latent_dim], dropout)

    def forward(self, **inputs) -> torch.Tensor:
        pooled = self.modalities(inputs)
        return self.fusion(torch.cat(list(pooled.values()), dim=1))


class DECAutoencoder(nn.Module):
    """Fusion encoder, one decoder per modality and the cluster centres.

    ``forward(**inputs)`` returns ``(z, reconstructed, targets)``, the last two
    dicts keyed by modality name (see :func:`pooled_inputs`).
    """

    def __init__(self, specs, n_clusters, embed_dim=64, hidden_dims=(128,), latent_dim=32,
                 num_layers=2, num_heads=4, dropout=0.1):
        super().__init__()
        self.specs = tuple(specs)
        self.encoder = FusionEncoder(
            self.specs, embed_dim, hidden_dims, latent_dim, num_layers, num_heads, dropout
        )
        self.decoders = nn.ModuleDict({
            spec.name: fc_stack([latent_dim, *reversed(hidden_dims), spec.n_features], dropout)
            for spec in self.specs
        })
        # set from k-means or the labelled class means before phase 2
        self.centres = nn.Parameter(torch.zeros(n_clusters, latent_dim))

    def forward(self, **inputs):
        z = self.encoder(**inputs)
        reconstructed = {name: decoder(z) for name, decoder in self.decoders.items()}
        return z, reconstructed, pooled_inputs(inputs, self.specs)


class EncoderClassifier(nn.Module):
    """A (pretrained) fusion encoder followed by a linear head giving class logits.

    With ``centres`` (one per class, in the latent space) the head starts as the
    nearest-centre rule, ``logit_j = z . mu_j - ||mu_j||^2 / 2``: before any
    fine-tuning it predicts DEC's cluster (= class) assignment instead of a
    random linear map of ``z``.
    """

    def __init__(self, encoder: FusionEncoder, latent_dim: int, n_classes: int, centres=None):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(latent_dim, n_classes)
        if centres is not None:
            centres = torch.as_tensor(centres, dtype=self.head.weight.dtype)
            with torch.no_grad():
                self.head.weight.copy_(centres)
                self.head.bias.copy_(-0.5 * centres.pow(2).sum(1))

    def forward(self, **inputs):
        return self.head(self.encoder(**inputs))
