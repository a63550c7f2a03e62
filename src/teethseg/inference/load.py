"""``teethseg.load_model()``: the bundled default model, a model folder (``teethseg export --out``), or any model file."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError
from teethseg.inference.ensemble import AveragedNetworks, averaged
from teethseg.inference.int8_networks import int8_network, use_int8, warm_up
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.inference.network import Network
from teethseg.inference.segmenter import Segmenter
from teethseg.nn.bundled import default_card, numbering_entries, weights_folder
from teethseg.nn.device import wants_cuda
from teethseg.nn.openvino_backend import OpenVinoFailed
from teethseg.teeth.arch_decoder import NAMINGS


def load_model(
    path: str | Path | None = None, device: str = "auto", backend: str = "auto", threads: int | None = None,
    mirror: bool = MIRROR_BY_DEFAULT, numbering: str | Path | list[str | Path] | None = None,
    naming: str | None = None, callers: int | None = None,
) -> Segmenter:
    """Load a model file, or the bundled default model (checksum-verified) when ``path`` is None.

    Args:
        path: a ``.safetensors`` or ``.onnx`` teethseg model, or a model folder of several networks
            (``teethseg export --out DIR`` writes the bundled one as such); None for the bundled one.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        backend: ``auto`` (on a CPU: the bundled networks' INT8 twins in OpenVINO, else ONNX Runtime when
            the model has an ONNX twin), ``openvino``, ``onnx`` (float networks in ONNX Runtime) or ``torch``.
        threads: CPU threads per network call (default: every core); 1 suits several images
            segmented at once from as many threads, as ``teethseg predict`` does with folders.
        mirror: also run every network on the mirror image and average (the default): more
            accurate (see the model card); False halves the network time.
        numbering: a numbering model file (``configs/numbering.yaml``, or one fine-tuned on your
            data) that names the teeth this model's mask finds, in place of the bundled one; or a
            list of them, trained with other seeds, whose probabilities are averaged.
        naming: how teeth are named (``teethseg.teeth.arch_decoder.NAMINGS``; default: the model's own).
        callers: threads that will call the model at once, for the INT8 twins' OpenVINO streams
            (default: as many as ``threads`` leaves cores); 1 for a model each process or actor
            uses from one thread (Ray's workers), so that it compiles and warms up one stream.
    """
    if naming is not None and naming not in NAMINGS:
        raise TeethsegError(None, f"naming must be one of {', '.join(NAMINGS)}, not {naming!r}")
    if path is not None and Path(path).is_dir():
        segmenter = _load_default(device, backend, threads, with_numbering=numbering is None, folder=Path(path),
                                  mirror=mirror, callers=callers)
    elif path is not None:
        if backend == "openvino":
            raise TeethsegError(path, "--backend openvino runs the INT8 twins of the bundled model or of a model "
                                      "folder; a model file runs with --backend onnx or auto")
        segmenter = Segmenter.from_file(path, device, backend, threads=threads)
        _note_without_twin(segmenter, path, backend)
    else:
        segmenter = _load_default(device, backend, threads, with_numbering=numbering is None, mirror=mirror,
                                  callers=callers)
    if numbering is not None:
        paths = numbering if isinstance(numbering, (list, tuple)) else [numbering]
        segmenter.numbering = _numbering_networks(paths, device, backend, threads)
    segmenter.mirror = mirror
    if naming is not None:
        segmenter.naming = naming
    return segmenter


def _note_without_twin(network: Network, path: str | Path, backend: str) -> None:
    """Say once on stderr when a model file runs on PyTorch on a CPU for want of its ONNX twin: 2-3x slower
    (``benchmarks/user_model_speed.py``), and how to make the twin."""
    if backend == "auto" and network.backend_name == "torch" and getattr(network.backend, "device", None) is not None \
            and str(network.backend.device) == "cpu":
        print(f"teethseg: note: {path} has no ONNX twin beside it, so it runs on PyTorch (2-3x slower on a CPU); "
              f"make one with: teethseg export --model {path} --onnx {Path(path).with_suffix('.onnx')}", file=sys.stderr)


def _numbering_networks(
    paths: list[str | Path], device: str, backend: str, threads: int | None
) -> Network | AveragedNetworks:
    """Model files that number teeth alike (one, or several to average), each refused with a one-line error when not."""
    networks = []
    for path in paths:
        network = Network.from_file(path, device, backend, threads=threads)
        if not network.config.numbered:
            raise TeethsegError(path, "is not a numbering model (its classes are not FDI teeth); "
                                      "train one with configs/numbering.yaml")
        first = networks[0].config if networks else network.config
        if (network.config.class_names, network.config.input_size) != (first.class_names, first.input_size):
            raise TeethsegError(path, f"numbers other classes or sees another input size than {paths[0]}; "
                                      "numbering models averaged must share one recipe")
        _note_without_twin(network, path, backend)
        networks.append(network)
    return averaged(networks)


def _load_default(
    device: str, backend: str, threads: int | None, with_numbering: bool = True, folder: Path | None = None,
    mirror: bool = MIRROR_BY_DEFAULT, callers: int | None = None,
) -> Segmenter:
    """The bundled networks (or a model folder's), each checked against its checksum in the card; the
    close-up one loads when first needed. On a CPU the INT8 twins run when they can (``use_int8``)."""
    card = default_card() if folder is None else default_card(folder)
    folder = weights_folder() if folder is None else folder
    int8, asked = use_int8(card, backend, not wants_cuda(device)), backend
    if int8:
        backend = "auto"  # the close-up network stays float: ONNX Runtime

    def loader(entry: dict[str, Any], kind: type[Network] = Network) -> Any:
        """Loads one bundled network, checked against its checksum in the card."""
        return partial(kind.from_file, folder / entry["file"], device, backend, entry["sha256"], threads=threads)

    if int8:
        try:
            segmenter = int8_network(folder, [card], mirror, threads, card["name"], Segmenter, callers)
            if card.get("numbering") and with_numbering:
                segmenter.numbering = int8_network(folder, numbering_entries(card), mirror, threads, callers=callers)
            warm_up([segmenter, segmenter.numbering], mirror)
        except OpenVinoFailed as error:
            if asked == "openvino":
                raise
            print(f"teethseg: note: {error}; the float networks run in ONNX Runtime instead", file=sys.stderr)
            int8 = False
    if not int8:
        segmenter = loader(card, Segmenter)(name=card["name"])
        if card.get("numbering") and with_numbering:
            segmenter.numbering = averaged([loader(entry)(name=entry["name"]) for entry in numbering_entries(card)])
    if card.get("close_up"):
        segmenter.close_up = loader(card["close_up"])  # loaded when a doubtful image first needs it
        segmenter.dental_evidence = True  # the image evidence's limits were measured on these networks
    return segmenter
