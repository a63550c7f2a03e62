"""The teethseg model file without the network: its header, its checksum. Cheap to import,
so that prediction through ONNX Runtime never loads PyTorch."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import fields
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError

FORMAT_NAME = "teethseg-model"
FORMAT_VERSION = "1"


def file_sha256(path: str | Path) -> str:
    """Checksum of a file, for model cards and integrity checks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_sha256(path: str | Path, expected: str | None = None) -> str:
    """The file's checksum, refusing the file when it differs from ``expected``."""
    digest = file_sha256(path)
    if expected is not None and digest != expected:
        raise TeethsegError(path, "model file is corrupted (checksum mismatch); reinstall teethseg")
    return digest


def read_model_metadata(path: str | Path) -> tuple[ModelConfig, dict[str, Any]]:
    """Config and info of a model file, checking that it is ours."""
    path = Path(path)
    if not path.is_file():
        raise TeethsegError(path, "model file not found")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise TeethsegError(path, f"not a teethseg model (not a readable safetensors file: {error})") from None
    if metadata.get("format") != FORMAT_NAME:
        raise TeethsegError(path, "not a teethseg model (no teethseg header)")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise TeethsegError(path, f"unsupported teethseg model version {metadata.get('format_version')}")
    try:
        config = config_from_header(metadata["config"], path)
        info = json.loads(metadata.get("info", "{}"))
    except (KeyError, TypeError, ValueError) as error:
        raise TeethsegError(path, f"damaged teethseg model header ({error})") from None
    return config, info


def config_from_header(text: str, path: str | Path | None) -> ModelConfig:
    """The ModelConfig stored in a model file; a setting this version does not know means a newer teethseg made it."""
    values = json.loads(text)
    unknown = sorted(set(values) - {f.name for f in fields(ModelConfig)})
    if unknown:
        raise TeethsegError(path, f"model made by a newer teethseg (unknown settings: {', '.join(unknown)}); upgrade teethseg")
    return ModelConfig(**values)


def stored_as_half(path: str | Path) -> bool:
    """True when a model file keeps its weights as float16 (as the bundled models do)."""
    with safe_open(str(path), framework="numpy") as handle:
        return any(handle.get_slice(name).get_dtype() == "F16" for name in handle.keys())


def tensor_spans(path: str | Path) -> dict[str, tuple[str, list[int], int, int]]:
    """Each stored tensor's dtype, shape, byte offset in the file and byte length.

    A safetensors file is an 8-byte header length, a JSON header, then the raw little-endian
    tensors: so other formats (an ONNX twin's external data) can point at the same bytes.
    """
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    start = 8 + length
    return {
        name: (entry["dtype"], entry["shape"], start + entry["data_offsets"][0],
               entry["data_offsets"][1] - entry["data_offsets"][0])
        for name, entry in header.items() if name != "__metadata__"
    }
