"""Augmentations that suit radiographs, and a horizontal flip that keeps tooth numbers true.

Radiographs from other clinics differ in exposure, contrast, sharpness, noise, field of view
and patient position, so training varies exactly these. A horizontal flip swaps the
patient's left and right: for FDI-numbered masks it must swap quadrants 1<->2 and 3<->4.
"""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np

# A close-up keeps a share of the image's area (by default this range), with this range of
# width / height (in the model's geometry, where panoramics are squeezed to half their width):
# periapical and bitewing views show a few teeth 2-4 times as big as a panoramic does.
CLOSE_UP_AREA = (0.06, 0.4)
CLOSE_UP_RATIO = (0.3, 1.5)


def train_augmentation(
    scale: tuple[float, float] = (0.8, 1.2), close_up: float = 0.0, size_hw: tuple[int, int] = (512, 512),
    close_up_area: tuple[float, float] = CLOSE_UP_AREA,
) -> A.Compose:
    """Geometry and intensity variation for float32 grey images in [0, 1] and label masks.

    ``scale``: the range of zoom, drawn for width and height apart (below 1: a wider view).
    ``close_up``: the share of samples first cut to a random window (``close_up_area`` of the
    image's area) and stretched back to ``size_hw``, so that a network trained on panoramics also
    sees teeth as close views show them.
    """
    return A.Compose(
        [
            A.RandomResizedCrop(size=tuple(size_hw), scale=tuple(close_up_area), ratio=CLOSE_UP_RATIO, p=close_up),
            A.Affine(
                scale={"x": tuple(scale), "y": tuple(scale)},
                translate_percent=(-0.06, 0.06),
                rotate=(-10, 10),
                shear=(-4, 4),
                border_mode=cv2.BORDER_CONSTANT,
                fill=0,
                fill_mask=0,
                p=0.8,
            ),
            A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.3, p=0.8),
            A.RandomGamma(gamma_limit=(60, 160), p=0.6),
            A.OneOf([A.GaussianBlur(blur_limit=(3, 5)), A.Sharpen(alpha=(0.1, 0.4))], p=0.3),
            A.GaussNoise(std_range=(0.01, 0.05), p=0.3),
        ],
        seed=0,
    )


def horizontal_flip(image: np.ndarray, mask: np.ndarray, flip_table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror image and mask, renumbering teeth so labels stay true."""
    return np.ascontiguousarray(image[:, ::-1]), flip_table[np.ascontiguousarray(mask[:, ::-1])]
