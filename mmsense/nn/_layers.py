"""Fully connected layer stacks shared by the networks."""

from __future__ import annotations

from torch import nn


def mlp(sizes, dropout: float = 0.0, norm: bool = False) -> nn.Sequential:
    """Linear layers through ``sizes``; every hidden layer gets [LayerNorm,] ReLU, Dropout.

    ``norm=True`` adds LayerNorm (not BatchNorm: skorch's last mini-batch may hold
    a single row). The last layer is linear, with no activation.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers += [nn.LayerNorm(n_out)] if norm else []
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)
