"""Doubtful first looks: a negative, or a close view. Such radiographs are seen in other ways too.

Some viewers export the inverted view (teeth dark), and DICOM's MONOCHROME1 says so but a JPEG
or PNG cannot. On such an image the networks find tooth-like shapes everywhere, with little
confidence: on the val negatives the mean confidence of the tooth pixels was 0.34-0.57, on the
val images themselves 0.63-0.93. Close views (bitewings, periapicals), where a few teeth fill
the image, look doubtful too (every bitewing-like crop of ``benchmarks/fullsize_check.py``): the
bundled mask network learnt panoramics and finds little more than the crowns there.

So a radiograph whose teeth are found with less confidence than ``CONFIDENT`` is also seen
inverted and, when the model has a close-up mask network (the bundled one does:
``configs/close-up.yaml``), by that network upright and inverted. The look whose mask network
is surest of its mask (``mask_confidence``) is kept. On the doubtful val images under
fullsize_check's conditions this picked a look within 0.03 of the best of the four in mean Dice
for every condition (analysis in the model card).
"""

from __future__ import annotations

import numpy as np

CONFIDENT = 0.6


def mean_tooth_confidence(labels: np.ndarray, confidence: np.ndarray) -> float:
    """Mean confidence of the pixels called tooth (0 when there are none)."""
    teeth = labels > 0
    return float(confidence[teeth].mean()) if teeth.any() else 0.0


def doubtful(labels: np.ndarray, confidence: np.ndarray) -> bool:
    """Whether the teeth were found with so little confidence that the image may be a negative or a close view."""
    return mean_tooth_confidence(labels, confidence) < CONFIDENT


def mask_confidence(scores: np.ndarray) -> float:
    """Mean tooth probability (one minus background) over the pixels a mask network calls tooth; 0 with none.

    Unlike the look's confidence, this leaves the numbering network out: it compares the mask
    networks' own certainty, and numbers are unsure on any close view.
    """
    tooth = 1.0 - scores[0]
    found = tooth > 0.5
    return float(tooth[found].mean()) if found.any() else 0.0
