"""Overlays: the radiograph with each tooth tinted and outlined, and its FDI number written on it."""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np

from teethseg.imaging.regions import erode
from teethseg.teeth.records import numbers_to_check

TOOTH_COLOUR = np.array([0, 220, 90], dtype=np.float32)


def class_colours(num_classes: int) -> np.ndarray:
    """A distinct colour per class (index 0 unused), neighbours far apart on the colour wheel."""
    if num_classes <= 2:
        return np.array([[0, 0, 0], TOOTH_COLOUR], dtype=np.float32)
    hues = [(i * 0.381966) % 1.0 for i in range(num_classes - 1)]  # golden-ratio steps
    colours = [colorsys.hsv_to_rgb(h, 0.65, 0.95 if i % 2 else 0.8) for i, h in enumerate(hues)]
    return np.array([[0, 0, 0]] + [[255 * c for c in rgb] for rgb in colours], dtype=np.float32)



def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.35) -> np.ndarray:
    """The radiograph in grey with each tooth class tinted and outlined (uint8 RGB)."""
    grey = np.clip(image * 255.0, 0, 255).astype(np.float32)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    colours = class_colours(int(labels.max(initial=0)) + 1 if labels.max(initial=0) > 1 else 2)
    tooth = labels > 0
    rgb[tooth] = (1 - alpha) * rgb[tooth] + alpha * colours[labels[tooth]]
    thickness = max(1, round(max(labels.shape) / 700))
    edge = tooth & ~erode(tooth, thickness)
    rgb[edge] = colours[labels[edge]]
    return rgb.astype(np.uint8)


def numbered_overlay(image: np.ndarray, labels: np.ndarray, teeth: list[dict[str, Any]]) -> np.ndarray:
    """The overlay with each tooth's FDI number written at its centre, with a '?' after the
    numbers to check (``teethseg.teeth.records.numbers_to_check``)."""
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.fromarray(overlay(image, labels))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(9, round(min(labels.shape) / 38)))
    unsure = set(numbers_to_check(teeth))
    for tooth in teeth:
        if tooth.get("fdi") is None:
            continue
        x, y, w, h = tooth["bbox_xywh"]
        text = f"{tooth['fdi']}?" if tooth["fdi"] in unsure else str(tooth["fdi"])
        draw.text((x + w / 2, y + h / 2), text, fill=(255, 255, 255), font=font, anchor="mm",
                  stroke_width=max(1, font.size // 8), stroke_fill=(0, 0, 0))
    return np.asarray(picture)



