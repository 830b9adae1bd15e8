"""Seeding torch from scikit-learn's ``random_state``."""

import numpy as np
import torch
from sklearn.utils import check_random_state


def torch_seed_from(random_state) -> int:
    """Draw an int seed from ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def seed_torch(seed: int) -> torch.Generator:
    """Seed torch's global generators (CPU and CUDA) and return a CPU generator.

    Two fits with the same seed on the CPU then give identical weights,
    shuffles and dropout masks.
    """
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
