"""Teeth as records: one per numbered tooth (or per connected region for binary models)."""

from __future__ import annotations

from typing import Any

import numpy as np

from teethseg.imaging.regions import label_regions, value_boxes

# A tooth named with a mean numbering confidence under this has its number flagged for a check:
# on val one flagged number in three was wrong, one in 43 of the others (model card, "Numbers to
# check").
CHECK_NUMBER_BELOW = 0.7


def tooth_regions(
    labels: np.ndarray, class_names: list[str], numbered: bool
) -> tuple[np.ndarray, list[str | None], list[Any]]:
    """The teeth as regions: a map of region values, each value's class name (None for the connected
    regions of a binary model) and each value's bounding box (None where the value is absent)."""
    if numbered:
        return labels, class_names, value_boxes(labels)
    regions, count, boxes, _ = label_regions(labels > 0)
    return regions, [None] * (count + 1), boxes


def tooth_records(
    labels: np.ndarray, confidence: np.ndarray, class_names: list[str], numbered: bool
) -> list[dict[str, Any]]:
    """FDI number (numbered models; else None), area, bounding box and mean confidence of each tooth."""
    regions, names, boxes = tooth_regions(labels, class_names, numbered)
    records = []
    for value, box in enumerate(boxes, start=1):
        if box is None:
            continue
        pixels = regions[box] == value
        rows, cols = box
        name = names[value]
        records.append(
            {
                "fdi": int(name) if name is not None and name.isdigit() else name,
                "area_px": int(pixels.sum()),
                "bbox_xywh": [cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start],
                "confidence": round(float(confidence[box][pixels].mean()), 4),
            }
        )
    return records


def missing_teeth(teeth: list[dict[str, Any]], class_names: list[str]) -> list[int]:
    """FDI numbers the model knows but did not find: candidate missing teeth."""
    found = {tooth["fdi"] for tooth in teeth}
    return [int(name) for name in class_names[1:] if name.isdigit() and int(name) not in found]


def numbers_to_check(teeth: list[dict[str, Any]]) -> list[int]:
    """FDI numbers of the teeth named with low confidence, which are the numbers most often wrong."""
    return sorted(t["fdi"] for t in teeth if isinstance(t.get("fdi"), int) and t["confidence"] < CHECK_NUMBER_BELOW)
