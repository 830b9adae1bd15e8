"""Files: the SHA-256 of a file's bytes, and writing a file that appears whole or not at all."""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def file_sha256(path):
    """The ``hashlib`` SHA-256 object of the bytes of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest


@contextmanager
def atomic_write(path):
    """A binary handle on a hidden ``.part`` file beside ``path``, renamed onto it at the end.

    An error inside the ``with`` block deletes the ``.part`` file instead, so ``path``
    only ever holds a complete file, and two writers never share a half-written one.
    """
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False
    )
    try:
        with handle:
            yield handle
        os.replace(handle.name, path)
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
