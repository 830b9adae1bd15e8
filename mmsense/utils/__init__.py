"""Utilities: estimator discovery and parameter validation."""

from ._discovery import all_estimators

__all__ = ["all_estimators"]
