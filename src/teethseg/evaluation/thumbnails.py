"""Small pictures of one image for the report: radiograph, truth, prediction and errors,
each as a JPEG data URI, so the page is one self-contained file."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from teethseg.io.overlay import overlay

THUMBNAIL_WIDTH = 300
FALSE_POSITIVE = (255, 140, 0)  # orange: predicted tooth, truly background
FALSE_NEGATIVE = (30, 120, 255)  # blue: true tooth, predicted background
WRONG_NUMBER = (235, 60, 200)  # magenta: tooth in both, under another FDI number


def data_uri(picture: np.ndarray | Image.Image, kind: str = "JPEG") -> str:
    """An image as a ``data:`` URI (JPEG for radiographs, PNG for figures with flat colours)."""
    picture = picture if isinstance(picture, Image.Image) else Image.fromarray(picture)
    buffer = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(buffer, "JPEG", quality=82)
    else:
        picture.save(buffer, "PNG", optimize=True)
    return f"data:image/{kind.lower()};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def error_map(image: np.ndarray, truth: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """The radiograph in grey with false positives, false negatives and (numbered labels) wrong
    numbers painted in their colours (uint8 RGB)."""
    grey = np.clip(image * 255.0 * 0.8, 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    true_tooth, found_tooth = truth > 0, prediction > 0
    rgb[found_tooth & ~true_tooth] = FALSE_POSITIVE
    rgb[true_tooth & ~found_tooth] = FALSE_NEGATIVE
    rgb[true_tooth & found_tooth & (truth != prediction)] = WRONG_NUMBER
    return rgb


def _shrink(picture: np.ndarray, width: int) -> Image.Image:
    image = Image.fromarray(picture)
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)
    return image


def panels(image: np.ndarray, truth: np.ndarray, predictions: list[np.ndarray], width: int = THUMBNAIL_WIDTH) -> dict[str, list[str]]:
    """Data URIs of the radiograph, its truth, and each prediction with its error map.

    ``truth`` and ``predictions`` are label maps in the same classes (0 = background); the
    pictures are made at full size, then shrunk, so thin errors stay visible as colour.
    """
    grey = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    return {
        "radiograph": [data_uri(_shrink(grey, width))],
        "truth": [data_uri(_shrink(overlay(image, truth.astype(np.uint8)), width))],
        "prediction": [data_uri(_shrink(overlay(image, p.astype(np.uint8)), width)) for p in predictions],
        "errors": [data_uri(_shrink(error_map(image, truth, p), width)) for p in predictions],
    }
