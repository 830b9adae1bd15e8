"""mmsense: semi-supervised, clustering-based multimodal sentiment analysis for scikit-learn."""

__version__ = "0.1.0.dev0"
