"""Utilities: estimator discovery, parameter validation, persistence, optional imports, files."""

from ._discovery import all_estimators
from ._persistence import get_trusted_types

__all__ = ["all_estimators", "get_trusted_types"]
