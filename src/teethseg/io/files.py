"""Writing outputs atomically: a file appears whole under its name, or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600 files; outputs get the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_png(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 grey or RGB array as PNG, atomically.

    Compression level 1 with the "up" row filter: an overlay is written in half the time of
    Pillow's level 1 (6 ms against 12 ms at 512x512) at the same size; masks, most of the
    pixels written, compress almost as well as at the default level 6.
    """
    import cv2

    pixels = array[..., ::-1] if array.ndim == 3 else array  # OpenCV writes BGR
    options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    encoded, data = cv2.imencode(".png", np.ascontiguousarray(pixels), options)
    if not encoded:
        raise TeethsegError(path, "could not encode PNG")
    with atomic_path(path) as temporary:
        temporary.write_bytes(data.tobytes())


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")  # strict JSON: no NaN or Infinity
