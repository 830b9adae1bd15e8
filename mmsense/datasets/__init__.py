"""Datasets: synthetic multimodal sentiment data and loaders for the standard MSA formats."""

from ._synthetic import make_multimodal_sentiment

__all__ = ["make_multimodal_sentiment"]
