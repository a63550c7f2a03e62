"""A uniform bright frame around a radiograph (an unexposed sensor or film edge, a white export
margin), cut off before segmenting; its pixels are background.

Each radiograph is standardised by its own mean and spread, so a wide white margin makes the
teeth look darker than any training image showed them. Close views framed in white (30 % more
width and height) lost 0.08-0.24 binary Dice and panoramics 0.023, where a black frame did no
harm (model card, "Close views in a frame"). Black frames are left alone: panoramics from many
machines have black uncovered borders, and the networks handle them
(``benchmarks/fullsize_check.py``).
"""

from __future__ import annotations

import numpy as np

from teethseg.io import MIN_SIDE
from teethseg.reframe import Window

# How far under the brightest value a frame pixel may be, as a share of the grey range (JPEG ringing).
NEAR_WHITE = 4 / 255
FRAME_SHARE = 0.98  # the share of a row or column that must be near white for it to be frame


def bright_frame_window(image: np.ndarray) -> Window | None:
    """The window (top, left, height, width) inside the rows and columns at the edges that are
    near the brightest value; None when there are none, or too little would be left."""
    brightest = float(image.max())
    near = image >= brightest - NEAR_WHITE * (brightest - float(image.min()))
    rows, cols = near.mean(axis=1) >= FRAME_SHARE, near.mean(axis=0) >= FRAME_SHARE
    top, bottom = _run_length(rows), _run_length(rows[::-1])
    left, right = _run_length(cols), _run_length(cols[::-1])
    height, width = image.shape[0] - top - bottom, image.shape[1] - left - right
    if top + bottom + left + right == 0 or min(height, width) < MIN_SIDE:
        return None
    return top, left, height, width


def _run_length(flags: np.ndarray) -> int:
    """How many leading entries are True."""
    return int(flags.size if flags.all() else np.argmin(flags))
