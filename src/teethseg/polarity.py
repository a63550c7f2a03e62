"""Radiographs stored as negatives (teeth dark, soft tissue light) are segmented inverted.

Some viewers export the inverted view, and DICOM's MONOCHROME1 says so but a JPEG or PNG
cannot. On such an image the networks find tooth-like shapes everywhere, with little
confidence: on the val negatives the mean confidence of the tooth pixels was 0.34-0.57, on the
val images themselves 0.63-0.93. So a radiograph whose teeth are found with less confidence
than ``CONFIDENT`` is also seen inverted, and the inverted look is kept when it is confident and
more confident than the first.
"""

from __future__ import annotations

import numpy as np

CONFIDENT = 0.6


def mean_tooth_confidence(labels: np.ndarray, confidence: np.ndarray) -> float:
    """Mean confidence of the pixels called tooth (0 when there are none)."""
    teeth = labels > 0
    return float(confidence[teeth].mean()) if teeth.any() else 0.0


def doubtful(labels: np.ndarray, confidence: np.ndarray) -> bool:
    """Whether the teeth were found with so little confidence that the image may be a negative."""
    return mean_tooth_confidence(labels, confidence) < CONFIDENT


def inverted_is_better(first: tuple[np.ndarray, np.ndarray], inverted: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether the inverted look (labels, confidence) should replace the first."""
    score = mean_tooth_confidence(*inverted)
    return score >= CONFIDENT and score > mean_tooth_confidence(*first)
