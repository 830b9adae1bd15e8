"""Feature extraction: turn raw clips and transcripts into numeric features.

The media extractors need the ``audio`` / ``video`` extras and import them
only when they run.
"""

from ._audio import AudioFeatures
from ._clip_reader import read_audio, read_frames
from ._clips import (
    extract_clip_features,
    extract_clip_features_like,
    predict_clips,
    read_transcripts,
)
from ._face import FaceFeatures
from ._text import TextEmbedder

__all__ = [
    "AudioFeatures",
    "FaceFeatures",
    "TextEmbedder",
    "extract_clip_features",
    "extract_clip_features_like",
    "predict_clips",
    "read_audio",
    "read_frames",
    "read_transcripts",
]
