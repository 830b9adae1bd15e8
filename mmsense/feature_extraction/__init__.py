"""Feature extraction: turn raw modalities (transcripts) into numeric features."""

from ._text import TextEmbedder

__all__ = ["TextEmbedder"]
