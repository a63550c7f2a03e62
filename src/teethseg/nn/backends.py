"""The two inference backends, PyTorch and ONNX Runtime, and choosing one for a model file.

An exported ``.onnx`` file carries the teethseg config and the checksum of the model file it
came from in its metadata (``teethseg.nn.export``), so a model's ONNX twin can be found and
trusted beside it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.io.json_files import load_json
from teethseg.nn.device import choose_device, wants_cuda
from teethseg.nn.export import onnx_bytes
from teethseg.nn.checksums import verified_sha256
from teethseg.nn.model_file import FORMAT_NAME, check_outputs, config_from_header, read_model_metadata


class TorchBackend:
    """Runs the PyTorch network: for training devices and CUDA."""

    name = "torch"

    def __init__(self, network: Any, device: Any, threads: int | None = None) -> None:
        self.device = device
        self.network = network.to(device).eval()
        if threads and device.type == "cpu":
            import torch

            torch.set_num_threads(threads)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Logits (N x C x H x W) for a normalised batch (N x 1 x H x W)."""
        import torch

        with torch.no_grad():
            return self.network(torch.from_numpy(batch).to(self.device)).float().cpu().numpy()


class OnnxBackend:
    """Runs an exported model with ONNX Runtime on the CPU: the fast default for prediction."""

    name = "onnx"

    def __init__(self, model: str | Path | bytes, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        # The sessions (mask, numbering, close-up) take turns: spinning threads of idle ones would
        # steal the cores of the busy one.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        source = model if isinstance(model, bytes) else str(model)
        try:
            self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # ORT raises its own exception types for bad files
            label = None if isinstance(model, bytes) else model
            raise TeethsegError(label, f"not a loadable ONNX model ({str(error).splitlines()[0][:200]})") from None
        self.metadata = self.session.get_modelmeta().custom_metadata_map
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(batch, dtype=np.float32)})[0]



def onnx_model_config(backend: OnnxBackend, path: str | Path | None) -> tuple[ModelConfig, dict[str, Any]]:
    """The teethseg config stored in an ONNX file, or a clear error when there is none."""
    metadata = backend.metadata
    if metadata.get("format") != FORMAT_NAME:
        raise TeethsegError(path, "not a teethseg model (ONNX file without teethseg metadata)")
    try:
        config, info = config_from_header(metadata["config"], path), load_json(metadata.get("info", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise TeethsegError(path, f"damaged teethseg metadata in ONNX file ({error})") from None
    check_outputs(config, onnx_output_channels(backend), path)
    return config, info


def onnx_output_channels(backend: OnnxBackend) -> int | None:
    """The channel dimension of an ONNX network's output (N x C x H x W), None when it is not fixed."""
    shape = backend.session.get_outputs()[0].shape
    return shape[1] if len(shape) == 4 and isinstance(shape[1], int) else None


def twin_path(model_path: Path) -> Path:
    """Where a model file's ONNX twin lies: beside it, with the same stem."""
    return model_path.with_suffix(".onnx")


def onnx_twin(model_path: Path, model_sha256: str, threads: int | None = None) -> OnnxBackend | None:
    """ONNX Runtime on the ``.onnx`` file beside a model file, if it was exported from exactly that file.

    ``model_sha256`` is the model file's checksum, which the caller has already computed.
    """
    candidate = twin_path(model_path)
    if not candidate.is_file():
        return None
    try:
        backend = OnnxBackend(candidate, threads)
    except TeethsegError:
        return None
    try:
        info = load_json(backend.metadata.get("info", "{}"))
    except ValueError:
        return None
    return backend if isinstance(info, dict) and info.get("source_sha256") == model_sha256 else None


def open_backend(
    path: str | Path, device: str = "auto", backend: str = "auto", expected_sha256: str | None = None,
    threads: int | None = None,
) -> tuple[TorchBackend | OnnxBackend, ModelConfig, dict[str, Any]]:
    """Load a model file (``.safetensors`` or ``.onnx``) with the backend asked for.

    ``auto`` picks ONNX Runtime on the CPU when the model has an ONNX twin (then PyTorch is
    never imported), else PyTorch; ``onnx`` exports in memory when there is no twin.
    ``threads``: CPU threads per network call (default: every core).
    """
    path = Path(path)
    if backend not in ("auto", "onnx", "torch"):
        raise TeethsegError(None, f"unknown backend '{backend}' (expected auto, onnx or torch)")
    if path.suffix.lower() == ".onnx":
        if backend == "torch":
            raise TeethsegError(path, "an ONNX file runs only with --backend onnx or auto")
        if not path.is_file():
            raise TeethsegError(path, "model file not found")
        onnx_backend = OnnxBackend(path, threads)
        config, info = onnx_model_config(onnx_backend, path)
        return onnx_backend, config, info
    on_cpu = not wants_cuda(device)
    use_twin = on_cpu and backend in ("auto", "onnx")
    if path.is_file() and (expected_sha256 is not None or use_twin):
        digest = verified_sha256(path, expected_sha256)  # hashed once, for the check and the twin
        if use_twin:
            config, info = read_model_metadata(path)
            twin = onnx_twin(path, digest, threads)
            if twin is not None:
                check_outputs(config, onnx_output_channels(twin), twin_path(path))
                return twin, config, info
    from teethseg.nn.network import load_network

    network, config, info = load_network(path)
    if on_cpu and backend == "onnx":
        return OnnxBackend(onnx_bytes(network, config, info), threads), config, info
    return TorchBackend(network, choose_device(device), threads), config, info
