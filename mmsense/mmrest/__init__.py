"""MMRest: cluster-based multi-metric learning with a projection bias (CVPR 2026)."""

from ._estimator import MMRestRegressor

__all__ = ["MMRestRegressor"]
