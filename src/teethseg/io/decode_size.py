"""Decoding radiographs over the working size at reduced size, remembering the size they had.

Prediction segments at most ``limits.WORK_PIXELS`` (``teethseg.inference.working_size``): the networks
see 256-512 pixels a side, so the pixels of a larger image are not needed. A 10000 x 10000 PNG
decoded whole as grey float is 400 MB before any copy; a JPEG is decoded at 1/2 to 1/8 of its
size by the decoder itself (``Image.draft``), other formats are reduced by a whole factor right
after decoding (``Image.reduce``). The array then carries the source size (``Downscaled``), so
that the outputs are written at the input's exact width and height.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from teethseg.io import limits

_ROTATED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_FULL_SIZE = "teethseg_full_size"


class Downscaled(np.ndarray):
    """A radiograph decoded at reduced size; ``full_shape`` (height, width) is the size of the file."""

    full_shape: tuple[int, int]


def full_shape(image: np.ndarray) -> tuple[int, int]:
    """The (height, width) the outputs of an image must have: its file's, when decoded reduced."""
    return getattr(image, "full_shape", None) or tuple(np.shape(image)[:2])


def mark(array: np.ndarray, full_hw: tuple[int, int] | None) -> np.ndarray:
    """The array marked with its file's size, when it was decoded at reduced size."""
    if full_hw is None or tuple(array.shape[:2]) == tuple(full_hw):
        return array
    marked = array.view(Downscaled)
    marked.full_shape = (int(full_hw[0]), int(full_hw[1]))
    return marked


def _factor(width: int, height: int) -> int:
    """The smallest whole factor that brings the image to the working size or under (1: leave it)."""
    return math.ceil(math.sqrt(width * height / limits.WORK_PIXELS)) if width * height > limits.WORK_PIXELS else 1


def draft(image: Image.Image) -> None:
    """Before decoding: ask the JPEG decoder for a reduced size when the image is over the working size."""
    width, height = image.size
    if image.format == "JPEG" and _factor(width, height) > 1:
        image.info[_FULL_SIZE] = (width, height)
        factor = _factor(width, height)
        image.draft(image.mode if image.mode in ("L", "RGB") else None, (-(-width // factor), -(-height // factor)))


def reduced(image: Image.Image) -> tuple[Image.Image, tuple[int, int] | None]:
    """A decoded image reduced by a whole factor when over the working size, and its file's (height, width)
    after EXIF orientation (None when it was not reduced)."""
    width, height = image.info.get(_FULL_SIZE, image.size)
    factor = _factor(*image.size)
    if factor > 1:
        if image.mode.startswith("I;16"):
            pixels = np.asarray(image)
            size = (image.size[0] // factor, image.size[1] // factor)
            import cv2

            image = Image.fromarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))
        elif image.mode in ("L", "RGB", "RGBA", "LA", "I", "F"):
            exif = image.info.get("exif")
            image = image.reduce(factor)
            if exif is not None:
                image.info["exif"] = exif
    if image.size == (width, height):
        return image, None
    orientation = image.getexif().get(0x0112)
    return image, ((width, height) if orientation in _ROTATED else (height, width))
