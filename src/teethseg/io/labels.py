"""Where an overlay writes the teeth's FDI numbers: boxes that never touch, text scaled with the image.

Each number goes on its tooth when there is room. Where teeth are crowded (the incisors of a
panoramic) it moves away from the arch (up for the upper teeth, down for the lower ones) to the
nearest free place, preferring places over no tooth, and a leader line joins it to its tooth.
A small legend (the missing teeth) takes the corner with the fewest teeth first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

# The gap, in pixels, kept between any two boxes.
MARGIN = 2


@dataclass
class PlacedLabel:
    """One tooth's number: the text, its centre, the box it covers, and the leader line's ends (None on the tooth)."""

    fdi: Any
    text: str
    position: tuple[float, float]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 excluded)
    anchor: tuple[float, float]
    leader: tuple[float, float] | None


@dataclass
class LabelLayout:
    """Every label of one overlay, its legend, and the font sizes that were measured."""

    font_size: int
    legend_font_size: int
    stroke: int
    labels: list[PlacedLabel] = field(default_factory=list)
    legend: tuple[int, int, int, int] | None = None
    legend_lines: list[str] = field(default_factory=list)

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """Every rectangle written on: the labels' and the legend's."""
        return [label.box for label in self.labels] + ([self.legend] if self.legend else [])


@lru_cache(maxsize=16)
def label_font(size: int) -> Any:
    """Pillow's built-in scalable font at ``size`` pixels (no font file needed)."""
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def font_size_for(shape: tuple[int, int]) -> int:
    """Text height that scales with the image: about 1/26 of its shorter side, at least 10 px."""
    return max(10, round(min(shape) / 26))


def layout_labels(
    labels: np.ndarray, teeth: list[dict[str, Any]], texts: dict[Any, str], legend_lines: list[str]
) -> LabelLayout:
    """Place ``texts`` (FDI number -> text) at their teeth and the legend, no two boxes touching.

    A label that fits nowhere in the image (a tiny image) is left out rather than drawn over another.
    """
    height, width = labels.shape
    size = font_size_for((height, width))
    layout = LabelLayout(size, max(9, round(0.8 * size)), max(1, size // 8), legend_lines=list(legend_lines))
    teeth_sum = _integral(labels > 0)
    placed: list[tuple[int, int, int, int]] = []
    leaders: list[tuple[float, float, float, float]] = []
    if legend_lines:
        layout.legend = _legend_box(layout, (height, width), teeth_sum)
        if layout.legend is not None:
            placed.append(layout.legend)
    anchors = {t["fdi"]: _centre(t) for t in teeth if t.get("fdi") in texts}
    if not anchors:
        return layout
    middle = float(np.median([y for _, y in anchors.values()]))
    font = label_font(size)
    # The biggest teeth first: the molars keep their numbers on them, the crowded small teeth move.
    for tooth in sorted((t for t in teeth if t.get("fdi") in anchors), key=lambda t: -t["area_px"]):
        fdi = tooth["fdi"]
        text = texts[fdi]
        offsets = font.getbbox(text, anchor="mm", stroke_width=layout.stroke)
        anchor = anchors[fdi]
        outward = -1.0 if _upper(fdi, anchor, middle) else 1.0
        spot = _free_spot(anchor, offsets, outward, (height, width), placed, teeth_sum, leaders, step=max(2, size // 3),
                          reach=8 * size)
        if spot is None:
            continue
        x, y = spot
        box = (int(np.floor(x + offsets[0])), int(np.floor(y + offsets[1])),
               int(np.ceil(x + offsets[2])), int(np.ceil(y + offsets[3])))
        placed.append(box)
        inside = box[0] <= anchor[0] < box[2] and box[1] <= anchor[1] < box[3]
        leader = None if inside else (min(max(anchor[0], box[0]), box[2] - 1), min(max(anchor[1], box[1]), box[3] - 1))
        layout.labels.append(PlacedLabel(fdi, text, (x, y), box, anchor, leader))
        if leader is not None:
            leaders.append((*anchor, *leader))
    return layout


def _upper(fdi: Any, anchor: tuple[float, float], middle: float) -> bool:
    """Whether a tooth is in the upper arch: by its FDI quadrant (1, 2, 5, 6), else above the teeth's middle."""
    if isinstance(fdi, int) and 11 <= fdi <= 88:
        return fdi // 10 in (1, 2, 5, 6)
    return anchor[1] < middle


def _centre(tooth: dict[str, Any]) -> tuple[float, float]:
    x, y, w, h = tooth["bbox_xywh"]
    return (x + w / 2, y + h / 2)


def _integral(mask: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero row and column first: pixels in any box in four look-ups.

    OpenCV's integral image (int32: up to 2**31 pixels, over the largest accepted image) is about
    ten times as fast as two NumPy cumulative sums.
    """
    import cv2

    return cv2.integral(np.ascontiguousarray(mask, dtype=np.uint8))


def _covered(table: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Tooth pixels inside each box (boxes clipped to the image)."""
    h, w = table.shape[0] - 1, table.shape[1] - 1
    x0, x1 = np.clip(x0, 0, w), np.clip(x1, 0, w)
    y0, y1 = np.clip(y0, 0, h), np.clip(y1, 0, h)
    return table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]


def _free_spot(
    anchor: tuple[float, float], offsets: tuple[float, float, float, float], outward: float,
    shape: tuple[int, int], placed: list[tuple[int, int, int, int]], teeth_sum: np.ndarray,
    leaders: list[tuple[float, float, float, float]], step: int, reach: float | None = None,
    only_x: np.ndarray | None = None, only_y: np.ndarray | None = None,
) -> tuple[float, float] | None:
    """The cheapest free centre for a label: on the tooth when free, else outward from the arch, over no tooth."""
    height, width = shape
    left, top, right, bottom = offsets
    if only_x is None and _fits(anchor, offsets, shape, placed):
        return float(anchor[0]), float(anchor[1])  # on the tooth itself, when there is room (half the labels)
    xs = np.arange(-left + MARGIN, width - right - MARGIN, step, dtype=np.float64)
    ys = np.arange(-top + MARGIN, height - bottom - MARGIN, step, dtype=np.float64)
    if reach is not None:  # near the tooth first (fast); the whole image only when nothing is free there
        near_x, near_y = np.abs(xs - anchor[0]) <= reach, np.abs(ys - anchor[1]) <= reach
        found = _free_spot(anchor, offsets, outward, shape, placed, teeth_sum, leaders, step, None,
                           xs[near_x], ys[near_y]) if near_x.any() and near_y.any() else None
        if found is not None:
            return found
    if only_x is not None:
        xs, ys = only_x, only_y
    if xs.size == 0 or ys.size == 0:
        return None
    grid_x, grid_y = np.meshgrid(xs, ys)
    cx = np.concatenate([[anchor[0]], grid_x.ravel()])
    cy = np.concatenate([[anchor[1]], grid_y.ravel()])
    x0, y0 = np.floor(cx + left).astype(int), np.floor(cy + top).astype(int)
    x1, y1 = np.ceil(cx + right).astype(int), np.ceil(cy + bottom).astype(int)
    free = (x0 >= 0) & (y0 >= 0) & (x1 <= width) & (y1 <= height)
    for bx0, by0, bx1, by1 in placed:
        free &= (x1 + MARGIN <= bx0) | (x0 >= bx1 + MARGIN) | (y1 + MARGIN <= by0) | (y0 >= by1 + MARGIN)
    if free[0]:
        return float(cx[0]), float(cy[0])  # on the tooth itself, when there is room
    if not free.any():
        return None
    keep = np.flatnonzero(free)
    cx, cy, x0, y0, x1, y1 = (v[keep] for v in (cx, cy, x0, y0, x1, y1))
    dx, dy = cx - anchor[0], (cy - anchor[1]) * outward
    label_height = bottom - top
    # Straight out from the arch is cheapest; sideways costs more, toward the other arch far more.
    cost = np.hypot(1.5 * dx, np.where(dy < 0, 4 * dy, dy))
    area = np.maximum((x1 - x0) * (y1 - y0), 1)
    cost += 8 * label_height * _covered(teeth_sum, x0, y0, x1, y1) / area
    cheapest = np.argsort(cost, kind="stable")[:256]  # the penalties below only add: judge the cheapest alone
    cx, cy, x0, y0, x1, y1, cost = (v[cheapest] for v in (cx, cy, x0, y0, x1, y1, cost))
    ax, ay = anchor
    # Only lines and boxes within the candidates' reach can cross them: the others are skipped (fast).
    reach = (min(ax, x0.min()), min(ay, y0.min()), max(ax, x1.max()), max(ay, y1.max()))
    for segment in leaders:  # a leader line that would cross another, or a box that one would cross
        if _meets(reach, (min(segment[0], segment[2]), min(segment[1], segment[3]),
                          max(segment[0], segment[2]), max(segment[1], segment[3]))):
            cost += 6 * label_height * (_crosses(ax, ay, cx, cy, *segment) | _through_box(*segment, x0, y0, x1, y1))
    for box in placed:  # a leader line through another label
        if _meets(reach, box):
            cost += 6 * label_height * _through_box(ax, ay, cx, cy, *box)
    best = int(np.argmin(cost))
    return float(cx[best]), float(cy[best])


def _fits(
    centre: tuple[float, float], offsets: tuple[float, float, float, float], shape: tuple[int, int],
    placed: list[tuple[int, int, int, int]],
) -> bool:
    """Whether a label centred there lies inside the image and keeps ``MARGIN`` from every placed box
    (the test ``_free_spot`` makes of all its candidates at once, for one)."""
    x0, y0 = int(np.floor(centre[0] + offsets[0])), int(np.floor(centre[1] + offsets[1]))
    x1, y1 = int(np.ceil(centre[0] + offsets[2])), int(np.ceil(centre[1] + offsets[3]))
    if x0 < 0 or y0 < 0 or x1 > shape[1] or y1 > shape[0]:
        return False
    return all(x1 + MARGIN <= bx0 or x0 >= bx1 + MARGIN or y1 + MARGIN <= by0 or y0 >= by1 + MARGIN
               for bx0, by0, bx1, by1 in placed)


def _meets(a: tuple, b: tuple) -> bool:
    """Whether two boxes (x0, y0, x1, y1) overlap or touch."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _crosses(ax, ay, bx, by, cx, cy, dx, dy) -> np.ndarray:
    """Whether segments a-b properly cross segments c-d (any argument may be an array)."""

    def side(px, py, qx, qy, rx, ry):
        return np.sign((qx - px) * (ry - py) - (qy - py) * (rx - px))

    return (side(ax, ay, bx, by, cx, cy) * side(ax, ay, bx, by, dx, dy) < 0) & \
        (side(cx, cy, dx, dy, ax, ay) * side(cx, cy, dx, dy, bx, by) < 0)


def _through_box(ax, ay, bx, by, x0, y0, x1, y1) -> np.ndarray:
    """Whether segments a-b pass through boxes (they cross one of the box's diagonals)."""
    return _crosses(ax, ay, bx, by, x0, y0, x1, y1) | _crosses(ax, ay, bx, by, x0, y1, x1, y0)


def _legend_box(layout: LabelLayout, shape: tuple[int, int], teeth_sum: np.ndarray) -> tuple[int, int, int, int] | None:
    """The legend's box in the corner with the fewest tooth pixels (None when it does not fit the image)."""
    font = label_font(layout.legend_font_size)
    pad = layout.legend_font_size // 3
    line_height = round(1.25 * layout.legend_font_size)
    width = max(int(np.ceil(font.getlength(text))) for text in layout.legend_lines) + 2 * pad
    height = line_height * (len(layout.legend_lines) - 1) + layout.legend_font_size + 2 * pad
    rows, cols = shape
    margin = max(MARGIN, layout.font_size // 3)
    if width + 2 * margin > cols or height + 2 * margin > rows:
        return None
    corners = [(margin, margin), (cols - margin - width, margin), (margin, rows - margin - height),
               (cols - margin - width, rows - margin - height)]
    covered = [int(_covered(teeth_sum, *(np.array([v]) for v in (x, y, x + width, y + height)))[0]) for x, y in corners]
    x, y = corners[int(np.argmin(covered))]
    return (x, y, x + width, y + height)
