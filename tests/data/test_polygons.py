"""Annotations are painted into one label map: memory does not grow with the number of polygons,
and where annotations overlap the higher class still wins."""

from __future__ import annotations

import tracemalloc

import numpy as np
import yaml
from PIL import Image

from teethseg.data.layouts import index_dataset
from teethseg.data.polygons import paint_rles, polygon_rles

SIDE = 1000
LINES = 400


def test_a_yolo_label_file_of_many_lines_is_read_without_a_mask_per_line(tmp_path):
    root = tmp_path / "y"
    (root / "train" / "images").mkdir(parents=True)
    (root / "train" / "labels").mkdir(parents=True)
    Image.fromarray(np.zeros((SIDE, SIDE), np.uint8)).save(root / "train" / "images" / "a.png")
    rng = np.random.default_rng(0)
    lines = []
    for number in range(LINES):
        x, y = rng.uniform(0.05, 0.9, 2)
        lines.append(f"{number % 2} {x:.4f} {y:.4f} {x + 0.05:.4f} {y:.4f} {x:.4f} {y + 0.05:.4f}")
    lines.append("0 0.0 0.0 0.5 0.0 0.0 0.5")  # class 1 (value 1) first in the file ...
    lines.append("1 0.0 0.0 0.2 0.0 0.0 0.2")  # ... class 2 over it wins where they overlap
    (root / "train" / "labels" / "a.txt").write_text("\n".join(lines) + "\n")
    (root / "data.yaml").write_text(yaml.safe_dump({"train": "../train/images", "nc": 2, "names": ["a", "b"]}))
    index = index_dataset(root)
    tracemalloc.start()
    try:
        labels = index.read_mask(index.samples[0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One mask per line held until painting is LINES full masks (400 MB here); one per class at a time is a few.
    assert peak < 6 * SIDE * SIDE
    assert labels[20, 20] == 2 and labels[20, 300] == 1
    assert set(np.unique(labels)) == {0, 1, 2}


def test_paint_rles_paints_classes_in_order_whatever_the_order_given():
    square = [[0, 0, 6, 0, 6, 6, 0, 6]]
    inner = [[2, 2, 4, 2, 4, 4, 2, 4]]
    labels = paint_rles([(5, polygon_rles(inner, 8, 8)), (3, polygon_rles(square, 8, 8)), (4, [])], 8, 8)
    assert labels[3, 3] == 5 and labels[1, 1] == 3 and labels[7, 7] == 0
    assert labels.dtype == np.uint8 and labels.shape == (8, 8)
