"""The teethseg model file without the network: its header, its checksum. Cheap to import,
so that prediction through ONNX Runtime never loads PyTorch."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from teethseg.config import ModelConfig, check_model_config, validated
from teethseg.errors import TeethsegError
from teethseg.io.json_files import load_json

FORMAT_NAME = "teethseg-model"
FORMAT_VERSION = "1"


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
        info = load_json(metadata.get("info", "{}"))
        spans = tensor_spans(path)
    except (KeyError, TypeError, ValueError, struct.error) as error:
        raise TeethsegError(path, f"damaged teethseg model header ({error})") from None
    check_outputs(config, output_channels(spans), path)
    return config, info


def config_from_header(text: str, path: str | Path | None) -> ModelConfig:
    """The ModelConfig stored in a model file, checked against the recipe schema and for a class
    name per output; a setting this version does not know means a newer teethseg made it."""
    values = load_json(text)
    if isinstance(values, dict):
        known = ModelConfig.__dataclass_fields__
        unknown = sorted(str(name) for name in values if name not in known)
        if unknown:
            raise TeethsegError(path, f"model made by a newer teethseg (unknown settings: {', '.join(unknown)}); upgrade teethseg")
    config = validated(ModelConfig, values, path)
    try:
        check_model_config(config, None)
    except TeethsegError as error:
        raise TeethsegError(path, f"damaged teethseg model header ({error})") from None
    if len(config.class_names) != config.num_classes:
        raise TeethsegError(path, f"inconsistent model file: {len(config.class_names)} class names for "
                                  f"{config.num_classes} classes")
    return config


def check_outputs(config: ModelConfig, channels: int | None, path: str | Path | None) -> None:
    """Refuse a model file whose network gives another number of outputs than it names classes."""
    if channels is not None and channels != config.num_classes:
        raise TeethsegError(path, f"inconsistent model file: the network has {channels} outputs but the "
                                  f"header names {config.num_classes} classes ({', '.join(config.class_names[:4])}...)")


_OUTPUT_BIAS = re.compile(r"^unet\.model\.(\d+)\.(.*\.)?conv\.bias$")


def output_channels(spans: dict[str, tuple[str, list[int], int, int]]) -> int | None:
    """The network's number of outputs: the length of its last convolution's bias (None when not found).

    MONAI's U-Net keeps its top level as ``unet.model.0`` (down), ``.1`` (the rest), ``.2`` (up to
    the outputs), whose last convolution, by name, gives the outputs.
    """
    found = [(int(match.group(1)), name) for name in spans if (match := _OUTPUT_BIAS.match(name))]
    if not found:
        return None
    shape = spans[max(found)[1]][1]
    return int(shape[0]) if len(shape) == 1 else None


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
        header = load_json(handle.read(length))
    start = 8 + length
    return {
        name: (entry["dtype"], entry["shape"], start + entry["data_offsets"][0],
               entry["data_offsets"][1] - entry["data_offsets"][0])
        for name, entry in header.items() if name != "__metadata__"
    }
