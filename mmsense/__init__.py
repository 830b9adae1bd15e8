"""mmsense: semi-supervised, clustering-based multimodal sentiment analysis for scikit-learn."""

from ._contract import stack_modalities

__version__ = "0.1.0.dev0"

__all__ = ["stack_modalities"]
