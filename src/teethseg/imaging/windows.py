"""Windows of an image: cut one out (black beyond the image), paste one back."""

from __future__ import annotations

import numpy as np

Window = tuple[int, int, int, int]  # top, left, height, width in image pixels


def cut(image: np.ndarray, window: Window) -> np.ndarray:
    """The window's part of the image, black where the window leaves the image."""
    part = np.zeros(window[2:], dtype=image.dtype)
    inside, placed = _overlap(window, image.shape)
    part[placed] = image[inside]
    return part


def paste(part: np.ndarray, window: Window, shape: tuple[int, int], fill: np.ndarray) -> np.ndarray:
    """``fill`` (an array of ``shape``) with the window's ``part`` written over it."""
    whole = fill.copy()
    inside, placed = _overlap(window, shape)
    whole[inside] = part[placed]
    return whole


def _overlap(window: Window, shape: tuple[int, ...]) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Where window and image overlap: in image pixels, and in window pixels."""
    top, left, height, width = window
    rows = slice(max(top, 0), min(top + height, shape[0]))
    cols = slice(max(left, 0), min(left + width, shape[1]))
    return (rows, cols), (slice(rows.start - top, rows.stop - top), slice(cols.start - left, cols.stop - left))
