"""Draw docs/close-view.jpg: a bitewing-like crop of a bundled sample, segmented without and with
the close-up network, side by side (the README's picture of close views). Left, the panoramic
network's mask in one colour; right, each tooth in its own colour, as `teethseg predict` draws
close views.

Usage: python tools/close_view_picture.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

import teethseg
from teethseg.data.framings import close_view
from teethseg.io.images import read_image
from teethseg.io.overlay import overlay
from teethseg.predict.folders import sample_paths

OUT = Path(__file__).resolve().parents[1] / "docs" / "close-view.jpg"


def main() -> None:
    segmenter = teethseg.load_model(device="cpu")
    close = close_view(read_image(sample_paths()[-1]))
    with_close_up = segmenter.predict(close)
    segmenter.close_up = None
    panoramic_only = segmenter.predict(close)
    panels = []
    for result, title in ((panoramic_only, "panoramic network alone"), (with_close_up, "with the close-up network")):
        labels = result.labels if result is with_close_up else result.mask.astype(np.uint8)
        picture = cv2.cvtColor(overlay(result.image, labels), cv2.COLOR_RGB2BGR)
        cv2.putText(picture, title, (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (255, 255, 255), 3, cv2.LINE_AA)
        panels.append(picture)
    both = cv2.resize(np.hstack(panels), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(OUT), both, [cv2.IMWRITE_JPEG_QUALITY, 80])
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
