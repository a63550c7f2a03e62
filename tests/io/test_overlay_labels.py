"""Overlay numbers: no two labels (or a label and the legend) touch, text scales, neighbours' colours differ."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from teethseg.io.labels import MARGIN, font_size_for
from teethseg.io.overlay import fdi_colour, label_layout, numbered_overlay
from teethseg.teeth.fdi import LOWER_ARCH, UPPER_ARCH


@pytest.fixture(scope="module")
def sample_results():
    import teethseg
    from teethseg.predict.folders import sample_paths

    segmenter = teethseg.load_model(device="cpu")
    return [segmenter.predict(path) for path in sample_paths()]


def _apart(a, b) -> bool:
    return a[2] + MARGIN <= b[0] or b[2] + MARGIN <= a[0] or a[3] + MARGIN <= b[1] or b[3] + MARGIN <= a[1]


def test_no_two_label_boxes_touch_on_the_samples(sample_results):
    assert len(sample_results) == 3
    for result in sample_results:
        layout = label_layout(result.labels, result.teeth, result.class_names)
        height, width = result.labels.shape
        boxes = layout.boxes()
        assert layout.legend is not None
        assert len(layout.labels) == sum(t["fdi"] is not None for t in result.teeth), "a tooth lost its number"
        for box in boxes:
            assert 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height
        touching = [(a, b) for a, b in combinations(boxes, 2) if not _apart(a, b)]
        assert not touching, f"{result.source}: labels touch: {touching[:3]}"


def test_crowded_teeth_get_leader_lines_and_the_legend_lists_the_missing_teeth(sample_results):
    layout = label_layout(sample_results[1].labels, sample_results[1].teeth, sample_results[1].class_names)
    assert any(label.leader is not None for label in layout.labels), "crowded incisors should move off their teeth"
    found = {t["fdi"] for t in sample_results[1].teeth}
    listed = {int(n) for n in layout.legend_lines[0].removeprefix("missing: ").split()}
    assert listed == {fdi for fdi in UPPER_ARCH + LOWER_ARCH if fdi not in found}


def test_text_scales_with_the_image(sample_results):
    result = sample_results[0]
    big = np.kron(result.labels, np.ones((3, 3), np.uint8))
    teeth = [{**t, "bbox_xywh": [3 * v for v in t["bbox_xywh"]], "area_px": 9 * t["area_px"]} for t in result.teeth]
    small, large = label_layout(result.labels, result.teeth), label_layout(big, teeth)
    assert large.font_size == font_size_for(big.shape) >= 2.5 * small.font_size
    heights = [b[3] - b[1] for b in (label.box for label in large.labels)]
    assert min(heights) >= 2 * max(b[3] - b[1] for b in (label.box for label in small.labels))
    assert not [(a, b) for a, b in combinations(large.boxes(), 2) if not _apart(a, b)]


def test_neighbouring_and_opposing_teeth_never_share_a_colour():
    def distance(a: int, b: int) -> float:
        return float(np.linalg.norm(np.subtract(fdi_colour(a), fdi_colour(b), dtype=float)))

    pairs = [(arch[i], arch[i + 1]) for arch in (UPPER_ARCH, LOWER_ARCH) for i in range(15)]
    pairs += [(UPPER_ARCH[i], LOWER_ARCH[j]) for i in range(16) for j in (i - 1, i, i + 1) if 0 <= j < 16]
    closest = min(pairs, key=lambda pair: distance(*pair))
    assert distance(*closest) > 120, f"{closest} look alike"


def test_the_overlay_draws_the_labels_where_they_were_placed(sample_results):
    result = sample_results[0]
    picture = numbered_overlay(result.image, result.labels, result.teeth, result.class_names)
    assert picture.shape == (*result.labels.shape, 3)
    layout = label_layout(result.labels, result.teeth, result.class_names)
    for label in layout.labels[:5]:
        x0, y0, x1, y1 = label.box
        patch = picture[y0:y1, x0:x1]
        assert (patch == 255).all(axis=2).any(), f"no white text in the box of {label.text}"
