"""Take teeth out of a training radiograph, so that the numbering network learns to count across gaps.

On val, most wrong tooth numbers are runs shifted by one next to a missing tooth: the network
counts teeth as if none were missing. Training images where a tooth was taken out (its pixels
filled from the bone and soft tissue around it, its label set to background) show it gaps where
the labels are known to skip a number.
"""

from __future__ import annotations

import cv2
import numpy as np

# Fewer teeth than this: leave the image alone (a partial view, or a nearly toothless patient).
MIN_TEETH = 8
# The fill's noise, as a share of the texture (standard deviation) of the non-tooth pixels around.
NOISE_SHARE = 0.25


def remove_teeth(
    image: np.ndarray, labels: np.ndarray, rng: np.random.Generator, most: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` (float grey) and numbered ``labels`` with 1 to ``most`` random teeth taken out."""
    present = np.flatnonzero(np.bincount(labels.ravel())[1:]) + 1
    if len(present) < MIN_TEETH:
        return image, labels
    chosen = rng.choice(present, size=int(rng.integers(1, most + 1)), replace=False)
    # Resizing blurs the tooth's edge a pixel or two past its label: take those pixels too, but
    # never a neighbouring tooth's.
    gone = np.isin(labels, chosen)
    grown = cv2.dilate(gone.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).astype(bool)
    gone = grown & ((labels == 0) | gone)
    around = (labels == 0) & ~gone
    # Each removed pixel gets the Gaussian-weighted mean of the non-tooth pixels near it
    # (normalised convolution), about a tooth's width across, plus noise as textured as they are.
    width = float(np.sqrt(gone.sum() / len(chosen)))
    sigma = max(2.0, width / 3)
    weight = cv2.GaussianBlur(around.astype(np.float32), (0, 0), sigma)
    total = cv2.GaussianBlur(np.where(around, image, 0).astype(np.float32), (0, 0), sigma)
    fallback = float(image[around].mean()) if around.any() else float(image.mean())
    fill = np.where(weight > 1e-3, total / np.maximum(weight, 1e-3), fallback)
    ring = around & cv2.dilate(gone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    texture = float(image[ring].std()) if ring.sum() > 10 else 0.0
    noise = cv2.GaussianBlur(rng.standard_normal(image.shape).astype(np.float32), (0, 0), 1.5)
    noise *= texture / max(float(noise.std()), 1e-6) * NOISE_SHARE
    # Soften the seam by a pixel outside the removed area.
    alpha = np.maximum(cv2.GaussianBlur(gone.astype(np.float32), (0, 0), 1.0), gone)
    filled = image * (1 - alpha) + (fill + noise) * alpha
    return filled.clip(0, 1).astype(image.dtype), np.where(gone, 0, labels).astype(labels.dtype)
