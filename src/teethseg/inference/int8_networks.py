"""The bundled model's mask and numbering networks as their INT8 twins in OpenVINO, when installed.

The default on a CPU: 2-3x faster per network than the float networks in ONNX Runtime with the
same val accuracy (model card). The numbering networks averaged by the card become one graph, so
one call gives their mean probabilities with the mirror image's (``teethseg.nn.openvino_backend``).
``--backend onnx`` keeps the float networks in ONNX Runtime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError
from teethseg.inference.early_compile import has_int8_twins, twins_backend
from teethseg.inference.network import Network
from teethseg.nn.checksums import verified_sha256
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.openvino_backend import available


def use_int8(card: dict[str, Any], backend: str, on_cpu: bool) -> bool:
    """``auto`` on a CPU takes the INT8 twins when OpenVINO and the twins are there; ``openvino`` insists on them."""
    if backend == "openvino":
        if not on_cpu:
            raise TeethsegError(None, "--backend openvino runs on the CPU only; use --device cpu")
        if not available():
            raise TeethsegError(None, "--backend openvino needs OpenVINO: pip install openvino")
        if not has_int8_twins(card):
            raise TeethsegError(None, "--backend openvino needs the model's INT8 twins (tools/quantise_model.py makes them)")
        return True
    return backend == "auto" and on_cpu and has_int8_twins(card) and available()


def int8_network(
    folder: Path, entries: list[dict[str, Any]], mirror: bool, threads: int | None, name: str | None = None,
    kind: type[Network] = Network, callers: int | None = None,
) -> Network:
    """One Network whose single call averages the INT8 twins of ``entries`` (one, or the numbering seeds).

    Every file is checked against its checksum: the model files here (their headers hold the classes
    and typical tooth sizes), the INT8 twins in the backend's thread, waited for before returning.
    """
    backend = twins_backend(folder, entries, mirror, threads, callers)
    for entry in entries:
        verified_sha256(folder / entry["file"], entry["sha256"])
    backend.verified()
    config, info = read_model_metadata(folder / entries[0]["file"])
    return kind(backend, config, name or " + ".join(entry["name"] for entry in entries), info, mirror=mirror)


def warm_up(networks: list[Network | None], mirror: bool) -> None:
    """Wait for each INT8 network's compiling (begun when loaded) and make its first calls from this thread."""
    for network in networks:
        if network is not None and hasattr(network.backend, "warm_up"):
            network.backend.warm_up(mirror)
