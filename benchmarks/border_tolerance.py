"""How close to the annotators' borders a mask must be for a given Dice, from the val masks alone.

Usage: .venv/bin/python benchmarks/border_tolerance.py

Each true teeth mask is compared with itself grown by one pixel, shrunk by one pixel, moved one
pixel sideways and smoothed (Gaussian, sigma 1 px). Prints the mean Dice over the val images of
each, so a Dice target can be read as a border tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from teethseg.evaluation.metrics import compute_binary_scores
from teethseg.io.images import read_mask

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ufba425"


def main() -> None:
    ids = json.loads((SHARED / "splits.json").read_text())["val"]
    changes = {
        "grown by 1 px": lambda m: ndimage.binary_dilation(m),
        "shrunk by 1 px": lambda m: ndimage.binary_erosion(m),
        "moved 1 px sideways": lambda m: np.roll(m, 1, axis=1),
        "smoothed (sigma 1 px)": lambda m: ndimage.gaussian_filter(m.astype(np.float32), 1.0) > 0.5,
    }
    scores: dict[str, list[float]] = {name: [] for name in changes}
    for key in ids:
        truth = read_mask(SHARED / "masks" / f"{key}.png") > 0
        for name, change in changes.items():
            scores[name].append(compute_binary_scores(change(truth), truth)["dice"])
    print(f"true val masks ({len(ids)} images) against themselves changed:")
    for name, values in scores.items():
        print(f"  {name:24} mean Dice {np.mean(values):.4f}")


if __name__ == "__main__":
    main()
