"""Draw docs/overlay.jpg: the README's picture, the first bundled sample as `teethseg predict
--sample` draws it with the bundled model and its defaults (numbered teeth in their colours).

Usage: python tools/overlay_picture.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

import teethseg
from teethseg.io.overlay import numbered_overlay
from teethseg.predict.folders import sample_paths

OUT = Path(__file__).resolve().parents[1] / "docs" / "overlay.jpg"


def main() -> None:
    result = teethseg.load_model(device="cpu").predict(sample_paths()[0])
    picture = cv2.cvtColor(numbered_overlay(result.image, result.labels, result.teeth), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(OUT), picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {OUT} from {result.source} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
