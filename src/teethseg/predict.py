"""Segmenter: read -> preprocess -> network -> back to source size -> cleanup -> Result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.io import read_image
from teethseg.model import SegmentationNet, load_network
from teethseg.preprocess import prepare_input, resize_scores
from teethseg.teeth import MIN_BLOB_FRACTION, remove_small_blobs, tooth_records


@dataclass
class Result:
    """What a radiograph's prediction holds, at the radiograph's own size."""

    image: np.ndarray
    labels: np.ndarray
    confidence: np.ndarray
    teeth: list[dict[str, Any]]
    class_names: list[str]
    model_name: str
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> np.ndarray:
        """Boolean teeth mask: every pixel of any tooth class."""
        return self.labels > 0

    @property
    def numbered(self) -> bool:
        return len(self.class_names) > 2

    def summary(self) -> dict[str, Any]:
        """The JSON record written beside the masks."""
        height, width = self.labels.shape
        return {
            "source": self.source,
            "width": width,
            "height": height,
            "model": self.model_name,
            "teeth_fraction": round(float(self.mask.mean()), 6),
            "teeth_count": len(self.teeth),
            "teeth_count_kind": "numbered teeth" if self.numbered else "connected tooth regions",
            "teeth": self.teeth,
            **self.extra,
        }


def choose_device(device: str = "auto") -> torch.device:
    """'auto' takes CUDA when present, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise TeethsegError(None, "--device cuda asked for, but no CUDA GPU is available")
    if device not in ("cpu", "cuda"):
        raise TeethsegError(None, f"unknown device '{device}' (expected auto, cpu or cuda)")
    return torch.device(device)


class Segmenter:
    """A loaded model that predicts teeth on radiographs of any size."""

    def __init__(self, network: SegmentationNet, config: ModelConfig, name: str = "model", device: str = "auto", info: dict | None = None) -> None:
        self.device = choose_device(device)
        self.network = network.to(self.device).eval()
        self.config = config
        self.name = name
        self.info = info or {}

    @classmethod
    def from_file(cls, path: str | Path, device: str = "auto", expected_sha256: str | None = None, name: str | None = None) -> "Segmenter":
        network, config, info = load_network(path, expected_sha256)
        return cls(network, config, name or info.get("name") or Path(path).stem, device, info)

    @torch.no_grad()
    def scores(self, image: np.ndarray) -> np.ndarray:
        """Class probabilities (C x H x W) at the model's input size."""
        x = prepare_input(image, self.config.input_size, self.config.normalization)
        logits = self.network(torch.from_numpy(x)[None, None].to(self.device))
        return torch.softmax(logits.float(), dim=1)[0].cpu().numpy()

    def predict(self, image: str | Path | np.ndarray) -> Result:
        """Segment one radiograph given as a path or a grey/RGB array."""
        source = None
        if isinstance(image, (str, Path)):
            source = str(image)
            image = read_image(image)
        image = _as_grey(image)
        probabilities = self.scores(image)
        labels, confidence = _labels_at_size(probabilities, image.shape)
        labels = remove_small_blobs(labels, max(1, int(MIN_BLOB_FRACTION * labels.size)))
        teeth = tooth_records(labels, confidence, self.config.class_names, len(self.config.class_names) > 2)
        return Result(image, labels, confidence, teeth, self.config.class_names, self.name, source)


def _as_grey(image: np.ndarray) -> np.ndarray:
    """Arrays from users: HxW or HxWx3/4, uint8/uint16/float -> grey float32 in [0, 1]."""
    array = np.asarray(image)
    scale = 255.0 if array.dtype == np.uint8 else 65535.0 if array.dtype == np.uint16 else 1.0
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3].astype(np.float32).mean(axis=2)
    if array.ndim != 2:
        raise TeethsegError(None, f"expected a grey HxW or colour HxWx3 image array, got shape {array.shape}")
    return np.clip(array.astype(np.float32) / scale, 0.0, 1.0)


def _labels_at_size(probabilities: np.ndarray, size_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Arg-max labels and their probability at the source size, one class at a time to save memory."""
    best = resize_scores(probabilities[:1], size_hw)[0]
    labels = np.zeros(size_hw, dtype=np.uint8)
    for c in range(1, probabilities.shape[0]):
        channel = resize_scores(probabilities[c : c + 1], size_hw)[0]
        better = channel > best
        labels[better] = c
        best = np.where(better, channel, best)
    return labels, best
