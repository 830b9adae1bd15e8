"""Feature extraction: turn raw clips and transcripts into numeric features.

Names are imported on first use, so that the media extractors (``audio`` and
``video`` extras) do not pay for torch, which only ``TextEmbedder`` needs.
"""

import importlib

# public name -> module that defines it (relative to this package)
_EXPORTS = {
    "AudioFeatures": "._audio",
    "FaceFeatures": "._face",
    "TextEmbedder": "._text",
    "extract_clip_features": "._clips",
    "extract_clip_features_like": "._clips",
    "predict_clips": "._clips",
    "read_audio": "._clip_reader",
    "read_frames": "._clip_reader",
    "read_transcripts": "._clips",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
