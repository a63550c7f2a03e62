"""Pictures of an evaluation: the radiograph, its truth and the prediction side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from teethseg.io.figures import pyplot, save_figure
from teethseg.io.overlay import overlay
from teethseg.io.shown_names import shown_name


def comparison_grid(rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, float]], path: str | Path) -> None:
    """For each (name, image, truth, prediction, dice): radiograph, truth overlay, prediction overlay."""
    plt = pyplot()
    figure, axes = plt.subplots(len(rows), 3, figsize=(12, 3.4 * len(rows)), squeeze=False)
    for axis_row, (name, image, truth, prediction, dice) in zip(axes, rows):
        panels = [(image, shown_name(name)), (overlay(image, truth.astype(np.uint8)), "ground truth"),
                  (overlay(image, prediction.astype(np.uint8)), f"prediction (Dice {dice:.3f})")]
        for axis, (picture, title) in zip(axis_row, panels):
            axis.imshow(picture, cmap="gray", vmin=0, vmax=1 if picture.ndim == 2 else None)
            axis.set_title(title, fontsize=9)
            axis.axis("off")
    figure.tight_layout()
    save_figure(figure, path)
