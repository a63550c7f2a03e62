"""``teethseg.load_model()``: the bundled default model, or any model file."""

from __future__ import annotations

import json
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError
from teethseg.mirror import MIRROR_BY_DEFAULT
from teethseg.predict import Segmenter


def weights_folder() -> Path:
    """Where the bundled model and its card live inside the installed package."""
    return Path(str(resources.files("teethseg") / "weights"))


def default_card() -> dict[str, Any]:
    """The bundled model's card: file name, checksum, classes, training facts."""
    path = weights_folder() / "default.json"
    if not path.is_file():
        raise TeethsegError(path, "no bundled default model in this installation; pass --model PATH")
    return json.loads(path.read_text())


def default_model_path() -> Path:
    """Path of the model that ships inside the package."""
    return weights_folder() / default_card()["file"]


def load_model(
    path: str | Path | None = None, device: str = "auto", backend: str = "auto", threads: int | None = None,
    mirror: bool = MIRROR_BY_DEFAULT, numbering: str | Path | None = None,
) -> Segmenter:
    """Load a model file, or the bundled default model (checksum-verified) when ``path`` is None.

    Args:
        path: a ``.safetensors`` or ``.onnx`` teethseg model; None for the bundled one.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        backend: ``auto`` (ONNX Runtime on CPU when the model has an ONNX twin), ``onnx`` or ``torch``.
        threads: CPU threads per network call (default: every core); 1 suits several images
            segmented at once from as many threads, as ``teethseg predict`` does with folders.
        mirror: also run every network on the mirror image and average (the default): more
            accurate (see the model card); False halves the network time.
        numbering: a numbering model file (``configs/numbering.yaml``, or one fine-tuned on your
            data) that names the teeth this model's mask finds, in place of the bundled one.
    """
    if path is not None:
        segmenter = Segmenter.from_file(path, device, backend, threads=threads)
    else:
        segmenter = _load_default(device, backend, threads, with_numbering=numbering is None)
    if numbering is not None:
        segmenter.numbering = _numbering_network(numbering, device, backend, threads)
    segmenter.mirror = mirror
    return segmenter


def _numbering_network(path: str | Path, device: str, backend: str, threads: int | None) -> Segmenter:
    """A model file that numbers teeth, refused with a one-line error when it does not."""
    network = Segmenter.from_file(path, device, backend, threads=threads)
    if not network.config.numbered:
        raise TeethsegError(path, "is not a numbering model (its classes are not FDI teeth); "
                                  "train one with configs/numbering.yaml")
    return network


def _load_default(device: str, backend: str, threads: int | None, with_numbering: bool = True) -> Segmenter:
    """The bundled networks, each checked against its checksum in the card; the close-up one loads when first needed."""
    card = default_card()
    folder = weights_folder()

    def loader(entry: dict[str, Any]) -> Any:
        """Loads one bundled network, checked against its checksum in the card."""
        return partial(Segmenter.from_file, folder / entry["file"], device, backend, entry["sha256"], threads=threads)

    segmenter = loader(card)(name=card["name"])
    if card.get("numbering") and with_numbering:
        segmenter.numbering = loader(card["numbering"])(name=card["numbering"]["name"])
    if card.get("close_up"):
        segmenter.close_up = loader(card["close_up"])  # loaded when a doubtful image first needs it
    return segmenter
