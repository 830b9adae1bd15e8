"""Saving the skorch nets inside mmsense estimators without a pickle blob.

skorch pickles a net's torch attributes (``module_``, ``criterion_``,
``optimizer_``, ...) into one ``bytes`` value and unpickles it with plain
pickle. skops (and MLflow 3, which saves scikit-learn models with skops) sees
only those bytes, so its trusted-types check would not cover the network, and
loading would run an unrestricted unpickler. Here the estimator replaces each
net by a plain dict: the net's class (a type skops checks), the rest of the
net's attributes (which skops walks and checks) and the torch attributes saved
with ``torch.save`` and read back with ``torch.load(weights_only=True)``,
whose restricted unpickler accepts only tensors, plain containers and the classes
listed by :func:`torch_safe_globals`. The optimizer is stored as its
``state_dict`` and rebuilt by skorch's ``initialize_optimizer``, because an
optimizer object itself needs ``collections.defaultdict``, which
``weights_only`` refuses. pickle and joblib take the same path.
"""

from __future__ import annotations

import io

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.utils import get_map_location

from .._contract import Modality

# marks a dict written by net_state (the value is the net's class)
_NET_KEY = "__mmsense_skorch_net__"


def torch_safe_globals() -> list:
    """What ``torch.load(weights_only=True)`` may build for an mmsense net.

    The ``torch.nn.Module`` subclasses of ``torch.nn.modules`` (layers, losses,
    containers) and of mmsense (imported with the estimator that owns the net),
    the :class:`~mmsense._contract.Modality` specs those modules hold, and the
    two activation functions ``torch.nn.TransformerEncoderLayer`` stores. The
    file can name nothing else: no module, function or class outside this list.
    """
    modules = [cls for cls in _subclasses(torch.nn.Module)
               if cls.__module__.startswith(("torch.nn.modules.", "mmsense."))]
    return [*dict.fromkeys(modules), Modality, F.relu, F.gelu]


def _subclasses(cls) -> list:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def net_state(net: NeuralNet) -> dict:
    """A dict of ``net`` that holds no torch object (see the module docstring)."""
    state = dict(vars(net))
    prefixes = tuple(net.cuda_dependent_attributes_)
    torch_attributes = {key: state.pop(key) for key in list(state)
                        if isinstance(key, str) and key.startswith(prefixes)}
    optimizers = {key: value for key, value in torch_attributes.items()
                  if isinstance(value, torch.optim.Optimizer)}
    if set(optimizers) - {"optimizer_"}:
        raise TypeError(
            f"{type(net).__name__}: only the optimizer 'optimizer_' can be saved; "
            f"found {sorted(optimizers)}."
        )
    saved = {
        "attributes": {key: value for key, value in torch_attributes.items()
                       if key not in optimizers},
        "optimizer_states": {key: value.state_dict() for key, value in optimizers.items()},
    }
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    return {_NET_KEY: type(net), "state": state, "torch": buffer.getvalue()}


def is_net_state(value) -> bool:
    return isinstance(value, dict) and _NET_KEY in value


def restore_net(saved: dict) -> NeuralNet:
    """Rebuild the net saved by :func:`net_state`, on the CPU when CUDA is absent."""
    cls = saved[_NET_KEY]
    if not (isinstance(cls, type) and issubclass(cls, NeuralNet)):
        raise TypeError(f"expected a skorch NeuralNet class in a saved net; got {cls!r}.")
    state = dict(saved["state"])
    # warns (skorch's DeviceWarning) when the net was fitted on CUDA and none is here
    map_location = get_map_location(state.get("device"))
    if state.get("device") is None or torch.device(state["device"]).type != map_location.type:
        state["device"] = str(map_location)
    with torch.serialization.safe_globals(torch_safe_globals()):
        torch_state = torch.load(io.BytesIO(saved["torch"]), map_location=map_location,
                                 weights_only=True)
    net = cls.__new__(cls)
    net.__dict__.update(state)
    net.__dict__.update(torch_state["attributes"])
    optimizer_state = torch_state["optimizer_states"].get("optimizer_")
    if optimizer_state is not None:
        net.initialize_optimizer()
        net.optimizer_.load_state_dict(optimizer_state)
    return net


class NetPersistenceMixin:
    """Estimator mixin: pickle, joblib and skops save each skorch net as :func:`net_state`."""

    def __getstate__(self):
        state = super().__getstate__()
        return {key: net_state(value) if isinstance(value, NeuralNet) else value
                for key, value in state.items()}

    def __setstate__(self, state):
        state = {key: restore_net(value) if is_net_state(value) else value
                 for key, value in state.items()}
        super().__setstate__(state)
