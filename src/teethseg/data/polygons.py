"""Polygons and label maps: rasterise annotation outlines, and trace masks back into outlines.

Coordinates are continuous pixel coordinates as COCO defines them: pixel (row r, column c)
covers ``[c, c+1] x [r, r+1]``, so a polygon through pixel corners covers whole pixels.
Rasterising uses pycocotools (the COCO reference), so our reading of an export matches what
every COCO tool reads. Tracing follows pixel edges and splices holes into their outline with
zero-width cuts, so ``rasterise(trace(mask)) == mask`` exactly (tested on the shared data).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import cv2
import numpy as np
from pycocotools import mask as coco_mask

# Polygon points this far outside the image are reported; nearer ones are rounding noise of
# labelling tools (a point at x = -0.3 on a tooth touching the edge).
OUTSIDE_TOLERANCE_PX = 1.0


def rasterise_polygons(polygons: Sequence[Sequence[float]], height: int, width: int) -> np.ndarray:
    """Union of polygons ``[x1, y1, x2, y2, ...]`` (pixel coordinates) as a bool HxW mask.

    Parts outside the image are clipped. Callers validate polygons first (see
    :func:`polygon_problem`); degenerate ones are skipped here.
    """
    rles = polygon_rles(polygons, height, width)
    if not rles:
        return np.zeros((height, width), dtype=bool)
    return _decode(coco_mask.merge(rles))


def polygon_rles(polygons: Sequence[Sequence[float]], height: int, width: int) -> list[dict]:
    """Polygons as COCO run-length encodings (a few bytes per row each, not a mask each), clipped."""
    box = (-1.0, -1.0, width + 1.0, height + 1.0)
    usable = [clip_polygon(p, box) for p in polygons if len(p) >= 6 and len(p) % 2 == 0]
    usable = [p for p in usable if len(p) >= 6]
    return coco_mask.frPyObjects(usable, height, width) if usable else []


def clip_polygon(polygon: Sequence[float], box: tuple[float, float, float, float]) -> list[float]:
    """The part of a polygon inside ``box`` (x0, y0, x1, y1), by Sutherland-Hodgman.

    Rasterisers walk every edge in small steps, so a hostile point at x = 1e12 must be cut
    off before it reaches them; the margin of the box around the image keeps the image exact.
    """
    points = [(float(polygon[i]), float(polygon[i + 1])) for i in range(0, len(polygon) - 1, 2)]
    x0, y0, x1, y1 = box
    if all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points):
        return [v for point in points for v in point]
    edges = [
        (lambda p: p[0] >= x0, lambda a, b: (x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[0] <= x1, lambda a, b: (x1, a[1] + (b[1] - a[1]) * (x1 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[1] >= y0, lambda a, b: (a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0)),
        (lambda p: p[1] <= y1, lambda a, b: (a[0] + (b[0] - a[0]) * (y1 - a[1]) / (b[1] - a[1]), y1)),
    ]
    for inside, cross in edges:
        kept = []
        for i, current in enumerate(points):
            previous = points[i - 1]
            if inside(current):
                if not inside(previous):
                    kept.append(cross(previous, current))
                kept.append(current)
            elif inside(previous):
                kept.append(cross(previous, current))
        points = kept
        if not points:
            return []
    return [v for point in points for v in point]


def _counts_of_string(text: bytes) -> list[int]:
    """Run lengths of a compressed COCO RLE string (maskApi.c's rleFrString, checked)."""
    counts: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(text):
                raise ValueError("RLE string ends in the middle of a number")
            chunk = text[position] - 48
            if not 0 <= chunk < 64:
                raise ValueError("RLE string holds a character outside its alphabet")
            value |= (chunk & 0x1F) << (5 * shift)
            more = bool(chunk & 0x20)
            position += 1
            shift += 1
            if not more and chunk & 0x10:
                value |= -1 << (5 * shift)
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def checked_rle(rle: dict, height: int, width: int) -> dict:
    """A COCO run-length encoding from a file, checked (ValueError when it is not one of this image)."""
    size = rle.get("size")
    counts = rle.get("counts")
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError("RLE has no valid 'size' [height, width]")
    if [int(size[0]), int(size[1])] != [height, width]:
        raise ValueError(f"RLE size {int(size[1])}x{int(size[0])} differs from the image's {width}x{height}")
    if isinstance(counts, (str, bytes)):
        counts = _counts_of_string(counts.encode() if isinstance(counts, str) else counts)
    if not isinstance(counts, list) or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        raise ValueError("RLE has no valid 'counts'")
    # pycocotools decodes without bounds checks: counts must cover the image exactly.
    if sum(counts) != height * width:
        raise ValueError("RLE counts do not add up to the image's pixel count")
    return coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)


def _decode(rle: dict) -> np.ndarray:
    with warnings.catch_warnings():  # pycocotools 2.0.11 trips a NumPy 2 deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        return coco_mask.decode(rle).astype(bool)


def polygon_problem(polygon: object) -> str | None:
    """Why a COCO/YOLO polygon is unusable, or None when it is fine."""
    if not isinstance(polygon, (list, tuple)):
        return "polygon is not a list of coordinates"
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in polygon):
        return "polygon has a coordinate that is not a finite number"
    if len(polygon) % 2:
        return f"polygon has an odd number of coordinates ({len(polygon)})"
    if len(polygon) < 6:
        return f"polygon has {len(polygon) // 2} points, at least 3 are needed"
    return None


def points_outside(polygon: Sequence[float], height: int, width: int) -> bool:
    """True when a point lies beyond the image (more than the tolerance)."""
    xs = np.asarray(polygon[0::2], dtype=float)
    ys = np.asarray(polygon[1::2], dtype=float)
    t = OUTSIDE_TOLERANCE_PX
    return bool((xs < -t).any() or (xs > width + t).any() or (ys < -t).any() or (ys > height + t).any())


def _corners(contour: np.ndarray) -> np.ndarray:
    """A contour of the 2x-upsampled mask -> pixel-corner points of the original mask."""
    points = (contour.reshape(-1, 2) + 1) // 2
    keep = np.r_[True, np.any(points[1:] != points[:-1], axis=1)]
    points = points[keep]
    if len(points) > 1 and (points[0] == points[-1]).all():
        points = points[:-1]
    return points


def trace_polygons(mask: np.ndarray) -> list[list[float]]:
    """Outlines of the regions of a bool mask, one polygon per 8-connected region.

    The mask is upsampled 2x so that contour points fall on pixel edges; holes are joined to
    their outline by a zero-width cut, which the even-odd fill of COCO tools leaves empty.
    """
    up = np.repeat(np.repeat(np.asarray(mask, dtype=np.uint8), 2, axis=0), 2, axis=1)
    contours, hierarchy = cv2.findContours(up, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    hierarchy = hierarchy[0]
    polygons = []
    for contour, (_, _, child, parent) in zip(contours, hierarchy):
        if parent >= 0:
            continue
        outline = _corners(contour)
        while child >= 0:
            hole = _corners(contours[child])
            distances = ((outline[:, None, :] - hole[None, :, :]) ** 2).sum(axis=-1)
            a, b = np.unravel_index(int(np.argmin(distances)), distances.shape)
            outline = np.concatenate([outline[: a + 1], np.roll(hole, -b, axis=0), hole[b : b + 1], outline[a:]])
            child = hierarchy[child][0]
        if len(outline) >= 3:
            polygons.append([float(v) for v in outline.ravel()])
    return polygons


def instances(labels: np.ndarray) -> list[tuple[int, list[list[float]]]]:
    """(class, polygons) per connected region of each class of a label map, in class order."""
    found = []
    for value in np.unique(labels):
        if value == 0:
            continue
        for polygon in trace_polygons(labels == value):
            found.append((int(value), [polygon]))
    return found


def paint_rles(shapes: Sequence[tuple[int, list[dict]]], height: int, width: int) -> np.ndarray:
    """Label map from (class, run-length encodings) pairs; where shapes overlap the higher class wins
    (the shared data resolves overlapping teeth the same way: the later tooth in FDI order).

    Each class's shapes are merged as run lengths and decoded once: one full-size mask at a
    time, however many polygons the annotations hold (a mask per polygon costs gigabytes on a
    label file of thousands of lines).
    """
    by_class: dict[int, list[dict]] = {}
    for value, rles in shapes:
        by_class.setdefault(value, []).extend(rles)
    labels = np.zeros((height, width), dtype=np.uint8)
    for value in sorted(by_class):
        if by_class[value]:
            np.copyto(labels, np.uint8(value), where=_decode(coco_mask.merge(by_class[value])))
    return labels
