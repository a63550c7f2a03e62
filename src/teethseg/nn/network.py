"""Networks and the teethseg model file: safetensors weights with the config in its header.

One ``.safetensors`` file holds everything needed to predict: weights, architecture, input
geometry, normalisation, class names and training facts. It loads without pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from monai.networks.nets import UNet
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.io.files import atomic_path
from teethseg.nn.checksums import verified_sha256
from teethseg.nn.model_file import FORMAT_NAME, FORMAT_VERSION, read_model_metadata


class SegmentationNet(nn.Module):
    """A MONAI U-Net that accepts any input size by padding to its stride multiple."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.architecture != "monai-unet":
            raise ValueError(f"unknown architecture '{config.architecture}'")
        self.unet = UNet(
            spatial_dims=2,
            in_channels=1,
            out_channels=config.num_classes,
            channels=tuple(config.channels),
            strides=tuple(config.strides),
            num_res_units=config.num_res_units,
            norm=config.norm,
            dropout=config.dropout,
        )
        self.multiple = 1
        for stride in config.strides:
            self.multiple *= stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h = (-height) % self.multiple
        pad_w = (-width) % self.multiple
        if pad_h or pad_w:
            reflect = pad_h < height and pad_w < width
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect" if reflect else "replicate")
        return self.unet(x)[..., :height, :width]


def build_network(config: ModelConfig) -> SegmentationNet:
    """The network a config describes, with fresh weights."""
    return SegmentationNet(config)


def save_model(
    path: str | Path, network: nn.Module, config: ModelConfig, info: dict[str, Any] | None = None, half: bool = False
) -> None:
    """Write weights plus config (and facts such as metrics) as one safetensors file, atomically.

    ``half`` stores floating-point weights as float16 (half the size, for the bundled model);
    they are widened back to float32 when loaded.
    """
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(asdict(config)),
        "info": json.dumps(info or {}),
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
    if half:
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    with atomic_path(path) as temporary:
        save_file(tensors, str(temporary), metadata=metadata)


def load_network(path: str | Path, expected_sha256: str | None = None) -> tuple[SegmentationNet, ModelConfig, dict[str, Any]]:
    """Load a model file (no pickle), optionally checking its checksum first."""
    path = Path(path)
    if expected_sha256 is not None and path.is_file():
        verified_sha256(path, expected_sha256)
    config, info = read_model_metadata(path)
    try:
        network = build_network(config)
        network.load_state_dict(load_file(str(path)))
    except (SafetensorError, RuntimeError, ValueError, OSError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise TeethsegError(path, f"damaged teethseg model weights ({first_line})") from None
    network.eval()
    return network, config, info
