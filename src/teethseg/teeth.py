"""From a label map to teeth: cleanup of stray blobs and one record per tooth region."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

# Blobs smaller than this fraction of the image are noise, not teeth (52 px at 512x512).
MIN_BLOB_FRACTION = 0.0002


def remove_small_blobs(labels: np.ndarray, min_area: int) -> np.ndarray:
    """Set connected foreground regions smaller than ``min_area`` pixels to background."""
    foreground = labels > 0
    regions, count = ndimage.label(foreground)
    if count == 0:
        return labels
    areas = np.bincount(regions.ravel())
    small = areas < min_area
    small[0] = False
    cleaned = labels.copy()
    cleaned[small[regions]] = 0
    return cleaned


def tooth_records(
    labels: np.ndarray, confidence: np.ndarray, class_names: list[str], numbered: bool
) -> list[dict[str, Any]]:
    """One record per tooth: FDI number (numbered models) or connected region, area, box, confidence."""
    records = []
    if numbered:
        groups = [(labels == c, class_names[c]) for c in np.unique(labels) if c > 0]
    else:
        regions, count = ndimage.label(labels > 0)
        groups = [(regions == r, None) for r in range(1, count + 1)]
    for pixels, name in groups:
        rows, cols = np.nonzero(pixels)
        if rows.size == 0:
            continue
        records.append(
            {
                "fdi": int(name) if name is not None and name.isdigit() else name,
                "area_px": int(rows.size),
                "bbox_xywh": [int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1)],
                "confidence": round(float(confidence[pixels].mean()), 4),
            }
        )
    return records
