"""Segmenting a radiograph over the working size at that size, and its result at the input's own size.

An image over ``WORK_PIXELS`` (16 Mpx) is segmented at the largest size under it (the networks
see 256-512 pixels a side; decoded already reduced where the reader could:
``teethseg.io.decode_size``). Its labels and confidence are then enlarged to the input's exact
width and height by repeating pixels, so that each output pixel takes the label of the
working pixel it falls in, and each tooth's area, box and mean confidence are counted in the
input's pixels from the working ones with the number of input pixels each stands for. Images
at or under the working size are segmented as they are.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from teethseg.io import limits
from teethseg.teeth.records import tooth_regions


def working_image(image: np.ndarray) -> np.ndarray:
    """The grey image at the working size: itself when at or under it, else shrunk (area average) under it."""
    height, width = image.shape[:2]
    if height * width <= limits.WORK_PIXELS:
        return image
    scale = math.sqrt(limits.WORK_PIXELS / (height * width))
    size = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def source_index(working: int, full: int) -> np.ndarray:
    """For each of ``full`` output rows (or columns), the working row it takes its label from."""
    return (np.arange(full, dtype=np.int64) * working) // full


def enlarged(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A working-size array repeated to ``shape`` (each output pixel takes its working pixel's value)."""
    if array.shape[:2] == tuple(shape):
        return array
    rows, cols = source_index(array.shape[0], shape[0]), source_index(array.shape[1], shape[1])
    return np.take(np.take(array, rows, axis=0), cols, axis=1)


def full_size_records(
    labels: np.ndarray, confidence: np.ndarray, class_names: list[str], numbered: bool, shape: tuple[int, int],
) -> list[dict[str, Any]]:
    """The records of ``teethseg.teeth.records.tooth_records`` for the working labels enlarged to ``shape``,
    counted without enlarging them: each working pixel stands for a block of input pixels."""
    height, width = labels.shape
    row_counts = np.bincount(source_index(height, shape[0]), minlength=height)
    col_counts = np.bincount(source_index(width, shape[1]), minlength=width)
    row_starts = np.concatenate([[0], np.cumsum(row_counts)])
    col_starts = np.concatenate([[0], np.cumsum(col_counts)])
    regions, names, boxes = tooth_regions(labels, class_names, numbered)
    records = []
    for value, box in enumerate(boxes, start=1):
        if box is None:
            continue
        rows, cols = box
        weights = np.outer(row_counts[rows], col_counts[cols]) * (regions[box] == value)
        area = int(weights.sum())
        name = names[value]
        records.append(
            {
                "fdi": int(name) if name is not None and name.isdigit() else name,
                "area_px": area,
                "bbox_xywh": [int(col_starts[cols.start]), int(row_starts[rows.start]),
                              int(col_starts[cols.stop] - col_starts[cols.start]),
                              int(row_starts[rows.stop] - row_starts[rows.start])],
                "confidence": round(float((confidence[box].astype(np.float64) * weights).sum() / area), 4),
            }
        )
    return records


def preview(labels: np.ndarray, teeth: list[dict[str, Any]], shape: tuple[int, int]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Labels and tooth boxes brought to a working image's ``shape``, to draw its overlay at that size."""
    scale_y, scale_x = shape[0] / labels.shape[0], shape[1] / labels.shape[1]
    small = cv2.resize(labels, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    moved = [{**tooth, "bbox_xywh": [round(tooth["bbox_xywh"][0] * scale_x), round(tooth["bbox_xywh"][1] * scale_y),
                                     round(tooth["bbox_xywh"][2] * scale_x), round(tooth["bbox_xywh"][3] * scale_y)]}
             for tooth in teeth]
    return small, moved
