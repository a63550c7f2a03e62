"""Hostile and odd uploads, built here: the bytes a careless or malicious client could send."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.io.test_dicom import dicom_dataset

SAMPLE = Path(__file__).parents[2] / "src" / "teethseg" / "samples" / "ufba425-cate1-00008.jpg"


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and header that claims ``width`` x ``height``, with almost no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def encoded(pixels: np.ndarray, kind: str, **options) -> bytes:
    """An array as the bytes of an image file."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, kind, **options)
    return buffer.getvalue()


def dicom_bytes(pixels: np.ndarray | None, **attributes) -> bytes:
    """A minimal DX DICOM file; without ``pixels`` it has an image header but no pixel data."""
    dataset = dicom_dataset(np.zeros((64, 64), np.uint8) if pixels is None else pixels, **attributes)
    if pixels is None:
        del dataset.PixelData
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def sample_pixels() -> np.ndarray:
    """The first bundled sample as 8-bit grey pixels."""
    return np.asarray(Image.open(SAMPLE).convert("L"))
