"""Doubtful first looks: a negative, or a close view. Such radiographs are seen in other ways too.

Some viewers export the inverted view (teeth dark), and DICOM's MONOCHROME1 says so but a JPEG
or PNG cannot. On such an image the networks find tooth-like shapes everywhere, with little
confidence: on the val negatives the mean confidence of the tooth pixels was 0.34-0.57, on the
val images themselves 0.63-0.93. Close views (bitewings, periapicals), where a few teeth fill
the image, look doubtful too (every bitewing-like crop of ``benchmarks/fullsize_check.py``): the
bundled mask network learnt panoramics and finds little more than the crowns there.

A close view can also fool the panoramic network the other way: on 9 of the 260 val crops of
fullsize_check it found a blob of 0.05-0.71 % of the image with confidence (binary Dice 0.001-0.04,
where the close-up network scores 0.83-0.93). A panoramic shows far more teeth: at least 0.77 % of
the image among the training radiographs (an almost toothless patient), 1.9 % among val's, framed
in any way of fullsize_check. So teeth under ``MIN_TEETH_SHARE`` of the image make a look
doubtful too.

So a radiograph whose teeth are found with less confidence than ``CONFIDENT``, or cover less than
``MIN_TEETH_SHARE`` of it, is also seen inverted and, when the model has a close-up mask network
(the bundled one does: ``configs/close-up.yaml``), by that network upright and inverted. The
look whose mask network is surest of its mask (``mask_confidence``) is kept. On the doubtful val
images under fullsize_check's conditions this picked a look within 0.03 of the best of the four
in mean Dice for every condition (analysis in the model card).
"""

from __future__ import annotations

import numpy as np

CONFIDENT = 0.6
MIN_TEETH_SHARE = 0.01


def mean_tooth_confidence(labels: np.ndarray, confidence: np.ndarray) -> float:
    """Mean confidence of the pixels called tooth (0 when there are none)."""
    teeth = labels > 0
    return float(confidence[teeth].mean()) if teeth.any() else 0.0


def doubtful(labels: np.ndarray, confidence: np.ndarray) -> bool:
    """Whether the teeth were found with so little confidence, or so few, that the image may be a negative or a close view."""
    few = np.count_nonzero(labels) < MIN_TEETH_SHARE * labels.size
    return bool(few or mean_tooth_confidence(labels, confidence) < CONFIDENT)


def mask_confidence(scores: np.ndarray) -> float:
    """Mean tooth probability (one minus background) over the pixels a mask network calls tooth; 0 with none.

    Unlike the look's confidence, this leaves the numbering network out: it compares the mask
    networks' own certainty, and numbers are unsure on any close view.
    """
    tooth = 1.0 - scores[0]
    found = tooth > 0.5
    return float(tooth[found].mean()) if found.any() else 0.0
