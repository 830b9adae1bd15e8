"""Device choice for the torch networks: ``"auto"`` means CUDA when present, else CPU."""

import re

import torch

_CUDA_PATTERN = re.compile(r"^cuda(:\d+)?$")


def resolve_device(device="auto") -> str:
    """Turn the ``device`` parameter into a torch device string.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device
        ``"auto"`` picks ``"cuda"`` when a GPU is visible and ``"cpu"`` otherwise.

    Returns
    -------
    str
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if isinstance(device, str) and _CUDA_PATTERN.match(device):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this machine; "
                "use device='auto' to fall back to the CPU."
            )
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are visible."
            )
        return device
    raise ValueError(
        f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}."
    )
