"""Pictures people look at: training curves, overlays, and truth-beside-prediction grids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import colorsys

import numpy as np
from teethseg.io import atomic_path
from teethseg.regions import erode
from teethseg.teeth import numbers_to_check

TOOTH_COLOUR = np.array([0, 220, 90], dtype=np.float32)


def class_colours(num_classes: int) -> np.ndarray:
    """A distinct colour per class (index 0 unused), neighbours far apart on the colour wheel."""
    if num_classes <= 2:
        return np.array([[0, 0, 0], TOOTH_COLOUR], dtype=np.float32)
    hues = [(i * 0.381966) % 1.0 for i in range(num_classes - 1)]  # golden-ratio steps
    colours = [colorsys.hsv_to_rgb(h, 0.65, 0.95 if i % 2 else 0.8) for i, h in enumerate(hues)]
    return np.array([[0, 0, 0]] + [[255 * c for c in rgb] for rgb in colours], dtype=np.float32)


def _pyplot():
    """Matplotlib, imported only for figures: predicting does not pay its start-up time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
    numbers to check (``teethseg.teeth.numbers_to_check``)."""
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


def plot_history(history: list[dict[str, Any]], path: str | Path) -> None:
    """Loss and validation scores per epoch, as one PNG."""
    plt = _pyplot()
    epochs = [row["epoch"] for row in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(epochs, [row["train_loss"] for row in history], marker="o", ms=3)
    left.set(title="training loss (Dice + CE)", xlabel="epoch")
    right.plot(epochs, [row["val_dice"] for row in history], marker="o", ms=3, label="Dice")
    right.plot(epochs, [row["val_accuracy"] for row in history], marker="o", ms=3, label="pixel accuracy")
    if "val_tooth_dice" in history[0]:
        right.plot(epochs, [row["val_tooth_dice"] for row in history], marker="o", ms=3, label="mean per-tooth Dice")
    right.set(title="validation", xlabel="epoch")
    right.legend()
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path)


def comparison_grid(rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, float]], path: str | Path) -> None:
    """For each (name, image, truth, prediction, dice): radiograph, truth overlay, prediction overlay."""
    plt = _pyplot()
    figure, axes = plt.subplots(len(rows), 3, figsize=(12, 3.4 * len(rows)), squeeze=False)
    for axis_row, (name, image, truth, prediction, dice) in zip(axes, rows):
        panels = [(image, name), (overlay(image, truth.astype(np.uint8)), "ground truth"),
                  (overlay(image, prediction.astype(np.uint8)), f"prediction (Dice {dice:.3f})")]
        for axis, (picture, title) in zip(axis_row, panels):
            axis.imshow(picture, cmap="gray", vmin=0, vmax=1 if picture.ndim == 2 else None)
            axis.set_title(title, fontsize=9)
            axis.axis("off")
    figure.tight_layout()
    _save(figure, path)


def _save(figure: Any, path: str | Path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=90, format="png")
    _pyplot().close(figure)
