"""Utilities around the estimators: persistence."""

from ._persistence import get_trusted_types

__all__ = ["get_trusted_types"]
