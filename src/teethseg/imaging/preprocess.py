"""The geometry and intensity steps shared by training and prediction, so they never drift.

Radiographs of any size are resized (not cropped or padded) to the model's input size, as
the training panoramics were squeezed to 512x512, and the network's output is resized back
to the source size. Intensities are standardised per image for robustness to exposure.
"""

from __future__ import annotations

import cv2
import numpy as np


def resize_image(image: np.ndarray, size_hw: tuple[int, int] | list[int]) -> np.ndarray:
    """Resize a grey image to (height, width) with area averaging when shrinking."""
    height, width = int(size_hw[0]), int(size_hw[1])
    if image.shape[:2] == (height, width):
        return image
    shrinking = image.shape[0] > height or image.shape[1] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def resize_labels(mask: np.ndarray, size_hw: tuple[int, int] | list[int]) -> np.ndarray:
    """Resize a label map with nearest neighbour, so classes stay classes."""
    height, width = int(size_hw[0]), int(size_hw[1])
    if mask.shape[:2] == (height, width):
        return mask
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST)


def resize_scores(scores: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Resize per-class scores (C x H x W float32) back to a source size, bilinearly."""
    height, width = int(size_hw[0]), int(size_hw[1])
    if scores.shape[1:] == (height, width):
        return scores
    return np.stack([cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in scores])


def normalize(image: np.ndarray, method: str = "zscore") -> np.ndarray:
    """Standardise intensities per image (zero mean, unit spread)."""
    image = image.astype(np.float32, copy=False)
    if method == "zscore":
        return (image - image.mean()) / max(float(image.std()), 1e-6)
    if method == "unit":
        return image
    raise ValueError(f"unknown normalisation '{method}'")


def prepare_input(image: np.ndarray, input_size: list[int], method: str = "zscore") -> np.ndarray:
    """Grey image in [0, 1] of any size -> normalised float32 at the model's input size."""
    return normalize(resize_image(image.astype(np.float32, copy=False), input_size), method)
