"""Facts about a file that its grey pixels no longer show: how colourful it was, what DICOM says it is.

Every radiograph is read as grey, so a colour photograph and a radiograph look alike to the
networks. The reader measures colour before it greys the image, and keeps the DICOM tags that
say what kind of image a file holds; ``teethseg.inference.dental`` judges from them whether the
input is a dental radiograph at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Colour is measured on at most this many pixels (a regular grid of them): enough for a stable
# figure, and about a millisecond on a 3000 x 1500 image.
_SAMPLES = 256 * 256


@dataclass(frozen=True)
class SourceFacts:
    """What reading saw beyond the grey pixels.

    ``colourfulness``: Hasler and Süsstrunk's measure on 0-255 values (0 for grey; about 15 is
    "slightly colourful", 33 "moderately"). ``modality`` and ``body_part``: the DICOM Modality
    and Body Part Examined, upper case (None for other files or when absent).
    """

    colourfulness: float = 0.0
    modality: str | None = None
    body_part: str | None = None


def colourfulness(pixels: np.ndarray) -> float:
    """Hasler and Süsstrunk's colourfulness (2003) of an HxW(x3/4) array; 0 for a grey one.

    Values are taken as 0-255 for uint8, 0-65535 for uint16 and 0-1 for floats, and put on the
    0-255 scale. A grey image stored as RGB (the published radiographs are) scores about 0.
    """
    array = np.asarray(pixels)
    if array.ndim != 3 or array.shape[2] < 3:
        return 0.0
    step = max(1, int(np.sqrt(array.shape[0] * array.shape[1] / _SAMPLES)))
    rgb = array[::step, ::step, :3].astype(np.float32)
    top = 255.0 if array.dtype == np.uint8 else 65535.0 if array.dtype == np.uint16 else 1.0
    if array.dtype.kind in "iu" and array.dtype not in (np.uint8, np.uint16):
        top = max(float(rgb.max()), 1.0)
    rgb *= 255.0 / top
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(float(rg.std()) ** 2 + float(yb.std()) ** 2)
    offset = np.sqrt(float(rg.mean()) ** 2 + float(yb.mean()) ** 2)
    return float(spread + 0.3 * offset)


def image_colourfulness(image: Any) -> float:
    """The colourfulness of a Pillow image (0 for grey modes)."""
    if image.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"):
        return 0.0
    if image.mode == "P":
        image = image.convert("RGB")
    step = max(1, int(np.sqrt(image.width * image.height / _SAMPLES)))
    if step > 1:
        image = image.reduce(step)
    return colourfulness(np.asarray(image.convert("RGB")))


def dicom_facts(dataset: Any, first_frame: np.ndarray) -> SourceFacts:
    """Modality, body part and colourfulness of a DICOM dataset and its first decoded frame."""

    def tag(keyword: str) -> str | None:
        value = dataset.get(keyword)
        return str(value).strip().upper() or None if value not in (None, "") else None

    frame = first_frame
    if str(dataset.get("PhotometricInterpretation", "")).upper() == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        try:
            frame = apply_color_lut(first_frame, dataset)
        except Exception:  # noqa: BLE001 - a broken palette fails the read itself, later
            frame = first_frame
    return SourceFacts(colourfulness(frame), tag("Modality"), tag("BodyPartExamined"))
