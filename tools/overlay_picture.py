"""Draw docs/overlay.jpg: the README's picture, the three bundled samples side by side as `teethseg
predict --sample` draws them with the bundled model and its defaults (numbered teeth in their
colours, numbers placed so that none touch, the missing teeth in a legend).

Usage: python tools/overlay_picture.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

import teethseg
from teethseg.io.overlay import numbered_overlay
from teethseg.predict.folders import sample_paths

OUT = Path(__file__).resolve().parents[1] / "docs" / "overlay.jpg"
HEIGHT = 512  # each sample at this height, so the three line up
GAP = 6


def main() -> None:
    segmenter = teethseg.load_model(device="cpu")
    panels = []
    for path in sample_paths():
        result = segmenter.predict(path)
        picture = numbered_overlay(result.image, result.labels, result.teeth, result.class_names)
        scale = HEIGHT / picture.shape[0]
        panels.append(cv2.resize(picture, (round(picture.shape[1] * scale), HEIGHT), interpolation=cv2.INTER_AREA))
        panels.append(np.full((HEIGHT, GAP, 3), 255, np.uint8))
    row = cv2.cvtColor(np.concatenate(panels[:-1], axis=1), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(OUT), row, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {OUT} from {len(panels) // 2} samples ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
