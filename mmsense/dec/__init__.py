"""Semi-supervised deep embedded clustering (DEC) pretraining and fine-tuning.

From "Enhancing Multi-Modal Video Sentiment Classification Through
Semi-Supervised Clustering" (arXiv:2501.06475).
"""

from ._classifier import DECClassifier
from ._modules import DECAutoencoder, EncoderClassifier, FusionEncoder
from ._pretrainer import DECPretrainer

__all__ = [
    "DECAutoencoder",
    "DECClassifier",
    "DECPretrainer",
    "EncoderClassifier",
    "FusionEncoder",
]
