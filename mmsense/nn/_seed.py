"""Seeding torch from scikit-learn's ``random_state``."""

import numpy as np
from sklearn.utils import check_random_state


def torch_seed_from(random_state) -> int:
    """Draw an int seed from ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
