"""Matplotlib figures written as PNG, atomically; Matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from teethseg.io.files import atomic_path


def pyplot():
    """Matplotlib, imported only for figures: predicting does not pay its start-up time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: str | Path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=90, format="png")
    pyplot().close(figure)
