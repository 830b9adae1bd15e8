"""CMCSL: cross-modality clustering-based self-labelling (arXiv:2408.02568)."""

from ._estimator import CMCSLSelfLabeler

__all__ = ["CMCSLSelfLabeler"]
