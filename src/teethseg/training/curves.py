"""Training curves: loss and validation scores per epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from teethseg.io.figures import pyplot, save_figure


def plot_history(history: list[dict[str, Any]], path: str | Path) -> None:
    """Loss and validation scores per epoch, as one PNG."""
    plt = pyplot()
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
    save_figure(figure, path)
