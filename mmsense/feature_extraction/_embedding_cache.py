"""An on-disk store of text embeddings, keyed by the SHA-256 of each text.

Each batch of new embeddings is written as one ``.npz`` shard (keys and
vectors) under a folder named after the embedding settings, via a temporary
file and an atomic rename, so a crash never leaves a half-written shard and
two processes can add shards at the same time.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..utils._files import atomic_write


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Embeddings of one setting (model fingerprint, normalisation) in ``folder``.

    Parameters
    ----------
    folder : path-like
        The user's ``cache_dir``.
    settings : dict
        What the vectors depend on besides the text (JSON-serialisable); its
        hash names the sub-folder, and it is written there as ``settings.json``.
    """

    def __init__(self, folder, settings: dict):
        blob = json.dumps(settings, sort_keys=True).encode("utf-8")
        self.path = Path(folder).expanduser() / hashlib.sha256(blob).hexdigest()[:20]
        self.settings = settings

    def _shards(self):
        return sorted(self.path.glob("shard-*.npz")) if self.path.is_dir() else []

    def get(self, keys) -> dict:
        """Cached vectors of ``keys`` (bytes), as a dict key -> vector (missing keys absent)."""
        wanted, found = set(keys), {}
        for shard in self._shards():
            try:
                with np.load(shard) as data:
                    shard_keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
                # a damaged shard only costs recomputation; say so rather than fail
                warnings.warn(f"ignoring unreadable embedding cache file {shard} ({exc!r}).")
                continue
            # keys are stored as (n, 32) uint8: a bytes dtype would drop trailing NUL bytes
            for key, vector in zip(map(bytes, shard_keys), vectors):
                if key in wanted:
                    found[key] = vector
        return found

    def put(self, keys, vectors) -> None:
        """Store ``vectors`` (n, d) under ``keys`` as one new shard."""
        if len(keys) == 0:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        settings_file = self.path / "settings.json"
        if not settings_file.exists():
            settings_file.write_text(json.dumps(self.settings, indent=1, sort_keys=True))
        with atomic_write(self.path / f"shard-{uuid.uuid4().hex}.npz") as handle:
            key_bytes = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1)
            np.savez(handle, keys=key_bytes, vectors=np.asarray(vectors, dtype=np.float32))
