"""Which device runs the network, decided without importing PyTorch where no GPU can exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError


def cuda_possible() -> bool:
    """False when this machine has no NVIDIA driver, so a CPU-only run need not load PyTorch."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia").exists()


def wants_cuda(device: str) -> bool:
    """Whether ``device`` ('auto', 'cpu' or 'cuda') resolves to a CUDA GPU."""
    if device not in ("auto", "cpu", "cuda"):
        raise TeethsegError(None, f"unknown device '{device}' (expected auto, cpu or cuda)")
    if device == "cpu" or (device == "auto" and not cuda_possible()):
        return False
    import torch

    if torch.cuda.is_available():
        return True
    if device == "cuda":
        raise TeethsegError(None, "--device cuda asked for, but no CUDA GPU is available")
    return False


def choose_device(device: str = "auto") -> Any:
    """The torch.device for 'auto' (CUDA when present, else CPU), 'cpu' or 'cuda'."""
    import torch

    return torch.device("cuda" if wants_cuda(device) else "cpu")
