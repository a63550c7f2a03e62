"""One network ready to predict: its backend, its configuration, and the facts stored with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from teethseg.config import ModelConfig
from teethseg.imaging.preprocess import prepare_input
from teethseg.inference.mirror import mirror_average
from teethseg.nn.backends import open_backend


class Network:
    """A loaded network that turns radiographs into class probabilities at its input size.

    With ``mirror`` it also sees the mirror image and the two outputs are averaged (FDI numbers
    swapped back): more accurate, twice the network time.
    """

    def __init__(
        self, backend: Callable[[np.ndarray], np.ndarray], config: ModelConfig, name: str = "model",
        info: dict | None = None, mirror: bool = False,
    ) -> None:
        self.backend = backend
        self.config = config
        self.name = name
        self.info = info or {}
        self.mirror = mirror

    @classmethod
    def from_file(
        cls, path: str | Path, device: str = "auto", backend: str = "auto",
        expected_sha256: str | None = None, name: str | None = None, threads: int | None = None,
    ) -> "Network":
        """Load a ``.safetensors`` or ``.onnx`` model with the backend asked for (see ``open_backend``)."""
        runner, config, info = open_backend(path, device, backend, expected_sha256, threads)
        return cls(runner, config, name or info.get("name") or Path(path).stem, info)

    @property
    def backend_name(self) -> str:
        return getattr(self.backend, "name", type(self.backend).__name__)

    def scores(self, images: list[np.ndarray], mirror: bool | None = None) -> np.ndarray:
        """Class probabilities (N x C x H x W) at the model's input size, in one backend call (two with ``mirror``)."""
        mirror = self.mirror if mirror is None else mirror
        if getattr(self.backend, "gives_probabilities", False):  # softmax and mirror in its graph (OpenVINO)
            return self.backend.probabilities(self._batch(images), mirror)
        if mirror:
            return mirror_average(self._scores, images, self.config.class_names)
        return self._scores(images)

    def _scores(self, images: list[np.ndarray]) -> np.ndarray:
        return softmax(self.backend(self._batch(images)))

    def _batch(self, images: list[np.ndarray]) -> np.ndarray:
        """The images as the network sees them: N x 1 x H x W at its input size, normalised."""
        size, method = self.config.input_size, self.config.normalization
        return np.stack([prepare_input(image, size, method) for image in images])[:, None]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits along axis 1, computed stably in float32."""
    shifted = logits.astype(np.float32, copy=False) - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted
