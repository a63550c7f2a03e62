"""Overlays: the radiograph with each tooth tinted and outlined, and its FDI number written on it.

Teeth that touch never share a colour family: the upper arch cycles through four colours along
its length, the lower arch through four others, chosen (and ordered) so that the colours of any
two neighbours, along an arch or across it, are far apart (tests/io/test_overlay_labels.py). Numbers are placed by
``teethseg.io.labels`` so that no two touch; a small legend names the missing teeth.
"""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np

from teethseg.imaging.regions import erode
from teethseg.io.labels import LabelLayout, label_font, layout_labels
from teethseg.teeth.fdi import LOWER_ARCH, UPPER_ARCH, fdi_numbers
from teethseg.teeth.records import missing_teeth, numbers_to_check

TOOTH_COLOUR = np.array([0, 220, 90], dtype=np.float32)
# Four bright colours for the upper arch (red, yellow, blue, green) and four for the lower (purple,
# lime, cyan, pink), the lower ones two places on: the best of every such choice for the smallest
# colour distance between neighbours (over 140 of 441 in RGB).
UPPER_COLOURS = [(235, 40, 60), (250, 220, 30), (20, 120, 255), (40, 200, 70)]
LOWER_COLOURS = [(150, 60, 235), (170, 255, 60), (40, 230, 230), (255, 150, 200)]
STANDARD_NAMES = ["background", *(str(fdi) for fdi in fdi_numbers()[1:])]


def fdi_colour(fdi: int) -> tuple[int, int, int]:
    """The colour of an FDI tooth: neighbours along an arch, and opposing teeth, always differ clearly."""
    if fdi in UPPER_ARCH:
        return UPPER_COLOURS[UPPER_ARCH.index(fdi) % 4]
    return LOWER_COLOURS[(LOWER_ARCH.index(fdi) + 2) % 4]


def class_colours(num_classes: int, class_names: list[str] | None = None) -> np.ndarray:
    """A colour per class (index 0 unused): FDI teeth by ``fdi_colour``, other classes far apart on the colour wheel."""
    if num_classes <= 2:
        return np.array([[0, 0, 0], TOOTH_COLOUR], dtype=np.float32)
    names = class_names if class_names is not None and len(class_names) >= num_classes else STANDARD_NAMES
    fdi = fdi_numbers(names) + [None] * max(0, num_classes - len(names))
    hues = [(i * 0.381966) % 1.0 for i in range(num_classes - 1)]  # golden-ratio steps
    colours = [[0, 0, 0]]
    for i in range(1, num_classes):
        if fdi[i] is not None:
            colours.append(list(fdi_colour(fdi[i])))
        else:
            rgb = colorsys.hsv_to_rgb(hues[i - 1], 0.65, 0.95 if i % 2 else 0.8)
            colours.append([255 * c for c in rgb])
    return np.array(colours, dtype=np.float32)


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.35, class_names: list[str] | None = None) -> np.ndarray:
    """The radiograph in grey with each tooth class tinted and outlined (uint8 RGB).

    ``class_names``: the labels' classes (default: binary, or the standard FDI order of numbered models).
    """
    grey = np.clip(image * 255.0, 0, 255).astype(np.float32)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    top = int(labels.max(initial=0))
    colours = class_colours(max(top + 1, len(class_names or [])) if top > 1 else 2, class_names)
    tooth = labels > 0
    rgb[tooth] = (1 - alpha) * rgb[tooth] + alpha * colours[labels[tooth]]
    thickness = max(1, round(max(labels.shape) / 700))
    edge = tooth & ~erode(tooth, thickness)
    rgb[edge] = colours[labels[edge]]
    return rgb.astype(np.uint8)


def label_layout(
    labels: np.ndarray, teeth: list[dict[str, Any]], class_names: list[str] | None = None
) -> LabelLayout:
    """Where ``numbered_overlay`` writes each FDI number and the legend: boxes that never touch."""
    unsure = set(numbers_to_check(teeth))
    texts = {t["fdi"]: f"{t['fdi']}?" if t["fdi"] in unsure else str(t["fdi"]) for t in teeth if t.get("fdi") is not None}
    missing = missing_teeth(teeth, class_names or STANDARD_NAMES)
    legend = [f"missing: {' '.join(map(str, missing)) if missing else 'none'}"]
    if unsure:
        legend.append("?: number to check")
    return layout_labels(labels, teeth, texts, legend)


def numbered_overlay(
    image: np.ndarray, labels: np.ndarray, teeth: list[dict[str, Any]], class_names: list[str] | None = None
) -> np.ndarray:
    """The overlay with each tooth's FDI number on it (or beside it, on a leader line, where teeth are
    crowded), a '?' after the numbers to check (``teethseg.teeth.records.numbers_to_check``), and a
    legend listing the missing teeth."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(overlay(image, labels, class_names=class_names))
    draw = ImageDraw.Draw(picture)
    layout = label_layout(labels, teeth, class_names)
    font, legend_font = label_font(layout.font_size), label_font(layout.legend_font_size)
    line = max(1, layout.font_size // 10)
    for label in layout.labels:
        if label.leader is not None:  # a line from the tooth to its number, dark-edged to show on any grey
            colour = fdi_colour(label.fdi) if isinstance(label.fdi, int) and label.fdi in UPPER_ARCH + LOWER_ARCH else (255, 255, 255)
            draw.line([label.anchor, label.leader], fill=(0, 0, 0), width=line + 2)
            draw.line([label.anchor, label.leader], fill=colour, width=line)
            radius = line + 1
            ax, ay = label.anchor
            draw.ellipse([ax - radius, ay - radius, ax + radius, ay + radius], fill=colour, outline=(0, 0, 0))
        draw.text(label.position, label.text, fill=(255, 255, 255), font=font, anchor="mm",
                  stroke_width=layout.stroke, stroke_fill=(0, 0, 0))
    if layout.legend is not None:
        x0, y0, x1, y1 = layout.legend
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=(0, 0, 0), outline=(200, 200, 200))
        pad = layout.legend_font_size // 3
        for i, text in enumerate(layout.legend_lines):
            draw.text((x0 + pad, y0 + pad + i * round(1.25 * layout.legend_font_size)), text, fill=(255, 255, 255),
                      font=legend_font, anchor="lt")
    return np.asarray(picture)
