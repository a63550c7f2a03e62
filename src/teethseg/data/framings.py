"""Close views cut from a panoramic, to check the close-view path without bitewing data.

The shared data holds panoramics only. A window of one, enlarged, shows a few teeth two to four
times as big, as a bitewing or periapical radiograph does; ``benchmarks/fullsize_check.py``, the
tests and ``tools/close_view_picture.py`` cut them the same way.
"""

from __future__ import annotations

import cv2
import numpy as np

# Shares of height and width (top, bottom, left, right) of the patient's right molars.
RIGHT_MOLARS = (0.25, 0.78, 0.12, 0.51)


def teeth_window(image: np.ndarray, box_shares: tuple[float, float, float, float]) -> np.ndarray:
    """The part of ``image`` inside ``box_shares`` (top, bottom, left, right as shares of its size)."""
    height, width = image.shape[:2]
    top, bottom, left, right = (round(share * size) for share, size in zip(box_shares, (height, height, width, width)))
    return image[top:bottom, left:right]


def close_view(
    image: np.ndarray, box_shares: tuple[float, float, float, float] = RIGHT_MOLARS,
    size_wh: tuple[int, int] = (800, 1000), labels: bool = False,
) -> np.ndarray:
    """The window enlarged to ``size_wh``: cubic for a radiograph in [0, 1], nearest for ``labels``."""
    part = teeth_window(image, box_shares)
    if labels:
        return cv2.resize(part, size_wh, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(part, size_wh, interpolation=cv2.INTER_CUBIC).clip(0, 1)
