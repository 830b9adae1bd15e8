"""The DEC network: per-modality Transformer encoders, late fusion to ``z``, decoders.

Built once per fit from the contract's modality specs. The cluster centers
live in the module as a parameter so that they train with the network (as in
DEC) and travel with it through skorch's pickling and device handling.

A modality missing from a row (see :mod:`mmsense._contract`) is left out of the
fusion: its slot in the concatenation is 0 whatever its encoder would give, and
its reconstruction is not scored.
"""

from __future__ import annotations

import torch
from torch import nn

from .._contract import modality_input, modality_present, sequence_means
from ..nn import ModalityEncoders, mlp


def pooled_inputs(inputs: dict, specs) -> dict:
    """Each modality's raw features averaged over its real steps (static: the vector).

    These are the decoder's reconstruction targets. The target is the input,
    not the encoder's own pooled output, which the encoder could make constant.
    """
    pooled = {}
    for spec in specs:
        values, lengths = modality_input(inputs, spec)
        pooled[spec.name] = values if lengths is None else sequence_means(values, lengths)
    return pooled


def presence_masks(inputs: dict, specs) -> dict:
    """Each modality's boolean presence mask (a tensor, one entry per row)."""
    return {spec.name: modality_present(inputs, spec) for spec in specs}


class FusionEncoder(nn.Module):
    """Per-modality encoders, concatenation (late fusion), FC layers to the latent ``z``.

    This is the part that DECClassifier transfers to its classifier head. A
    modality missing from a row contributes a zero slot to that row's
    concatenation, so ``z`` is fused from the present modalities only.
    """

    def __init__(self, specs, embed_dim, hidden_dims, latent_dim, num_layers, num_heads, dropout):
        super().__init__()
        self.modalities = ModalityEncoders(
            specs, embed_dim, sequence_encoder="transformer",
            num_layers=num_layers, num_heads=num_heads, dropout=dropout,
        )
        self.fusion = mlp([len(specs) * embed_dim, *hidden_dims, latent_dim], dropout, norm=True)

    def forward(self, **inputs) -> torch.Tensor:
        pooled = self.modalities(inputs)
        present = presence_masks(inputs, self.modalities.specs)
        slots = [codes * present[name].unsqueeze(1).to(codes.dtype)
                 for name, codes in pooled.items()]
        return self.fusion(torch.cat(slots, dim=1))


class DECAutoencoder(nn.Module):
    """Fusion encoder, one decoder per modality and the cluster centers.

    ``forward(**inputs)`` returns ``(z, reconstructed, targets, present)``, the
    last three dicts keyed by modality name (see :func:`pooled_inputs` and
    :func:`presence_masks`; the loss scores a reconstruction on present rows only).
    """

    def __init__(self, specs, n_clusters, embed_dim=64, hidden_dims=(128,), latent_dim=32,
                 num_layers=2, num_heads=4, dropout=0.1):
        super().__init__()
        self.specs = tuple(specs)
        self.encoder = FusionEncoder(
            self.specs, embed_dim, hidden_dims, latent_dim, num_layers, num_heads, dropout
        )
        self.decoders = nn.ModuleDict({
            spec.name: mlp([latent_dim, *reversed(hidden_dims), spec.n_features], dropout,
                           norm=True)
            for spec in self.specs
        })
        # set from k-means or the labeled class means before phase 2
        self.centers = nn.Parameter(torch.zeros(n_clusters, latent_dim))

    def forward(self, **inputs):
        z = self.encoder(**inputs)
        reconstructed = {name: decoder(z) for name, decoder in self.decoders.items()}
        return (z, reconstructed, pooled_inputs(inputs, self.specs),
                presence_masks(inputs, self.specs))


class EncoderClassifier(nn.Module):
    """A (pretrained) fusion encoder followed by a linear head giving class logits.

    With ``centers`` (one per class, in the latent space) the head starts as the
    nearest-center rule, ``logit_j = z . mu_j - ||mu_j||^2 / 2``: before any
    fine-tuning it predicts DEC's cluster (= class) assignment instead of a
    random linear map of ``z``.
    """

    def __init__(self, encoder: FusionEncoder, latent_dim: int, n_classes: int, centers=None):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(latent_dim, n_classes)
        if centers is not None:
            centers = torch.as_tensor(centers, dtype=self.head.weight.dtype)
            with torch.no_grad():
                self.head.weight.copy_(centers)
                self.head.bias.copy_(-0.5 * centers.pow(2).sum(1))

    def forward(self, **inputs):
        return self.head(self.encoder(**inputs))
