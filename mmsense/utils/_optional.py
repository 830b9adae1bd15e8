"""Optional dependencies, imported when first needed with an error that says how to get them."""

from __future__ import annotations

import importlib


def import_optional(module: str, message: str):
    """Import ``module``; if that fails, raise ``ImportError(message)`` chained to the cause."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(message) from exc
