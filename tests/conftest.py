"""Fixtures shared by the test modules."""

import pickle

import pytest
import torch


@pytest.fixture
def reload_on_cpu_only(monkeypatch):
    """Pickle a fitted neural estimator and load it where CUDA is unavailable.

    Checks what every such load must give (``device_ == "cpu"``, the network's
    parameters on the CPU) and returns the loaded estimator.
    """
    def reload(estimator):
        blob = pickle.dumps(estimator)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        loaded = pickle.loads(blob)
        assert loaded.device_ == "cpu"
        assert not next(loaded.net_.module_.parameters()).is_cuda
        return loaded

    return reload
