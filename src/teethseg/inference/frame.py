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

from teethseg.imaging.windows import Window, cut, paste
from teethseg.inference.look import View
from teethseg.io.limits import MIN_SIDE

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


def without_frame(image: np.ndarray, frame: Window | None) -> np.ndarray:
    """The part of the radiograph inside its bright frame (the whole radiograph without one)."""
    return image if frame is None else cut(image, frame)


def with_frame(view: View, frame: Window | None, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Labels and confidence of a view put back in the whole radiograph: the frame is background.

    The view's notes say where the frame was cut, and a second look's window is moved into the
    radiograph's own pixels.
    """
    labels, confidence = view.look.labels, view.look.confidence
    if frame is None:
        return labels, confidence
    labels = paste(labels, frame, shape, np.zeros(shape, labels.dtype))
    confidence = paste(confidence, frame, shape, np.ones(shape, np.float32))
    view.notes["bright_frame_cut"] = {"window_yxhw": list(frame)}
    if "second_look" in view.notes:
        window = view.notes["second_look"]["window_yxhw"]
        view.notes["second_look"]["window_yxhw"] = [window[0] + frame[0], window[1] + frame[1], *window[2:]]
    return labels, confidence
