"""HD95 and NSD through MONAI, on shapes whose distances are known by construction."""

import numpy as np
import pytest

from teethseg.evaluation.boundary import boundary_scores, summarise


def square(shift: int = 0, size: int = 64) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    mask[20:40, 20 + shift : 40 + shift] = True
    return mask


def test_identical_masks_are_a_perfect_match():
    scores = boundary_scores(square(), square())
    assert scores["hd95_px"] == 0.0 and scores["nsd_px"] == 1.0
    assert scores["hd95_mm"] is None and scores["nsd_mm"] is None  # no spacing known


@pytest.mark.parametrize("shift", [1, 3, 6])
def test_hd95_is_the_shift_of_a_moved_square(shift):
    assert boundary_scores(square(shift), square())["hd95_px"] == pytest.approx(shift)


def test_nsd_forgives_shifts_within_the_tolerance_only():
    assert boundary_scores(square(1), square(), tolerance_px=2)["nsd_px"] == pytest.approx(1.0)
    assert boundary_scores(square(6), square(), tolerance_px=2)["nsd_px"] < 0.6


def test_millimetres_follow_the_column_spacing_of_a_horizontal_shift():
    scores = boundary_scores(square(4), square(), spacing_mm=(0.5, 0.1), tolerance_px=2, tolerance_mm=0.5)
    assert scores["hd95_mm"] == pytest.approx(4 * 0.1)
    assert scores["hd95_px"] == pytest.approx(4)
    assert scores["nsd_mm"] == pytest.approx(1.0) and scores["nsd_px"] < 1  # 0.4 mm is within 0.5 mm; 4 px beyond 2 px


def test_empty_masks_get_defined_values():
    empty = np.zeros((64, 64), dtype=bool)
    assert boundary_scores(empty, empty) == {"hd95_px": 0.0, "nsd_px": 1.0, "hd95_mm": None, "nsd_mm": None}
    one_empty = boundary_scores(empty, square())
    assert one_empty["hd95_px"] is None and one_empty["nsd_px"] == 0.0


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="differ in shape"):
        boundary_scores(square(), np.zeros((10, 10), bool))


def test_summary_leaves_undefined_hd95_out_and_counts_what_it_averages():
    rows = [boundary_scores(square(2), square()), boundary_scores(np.zeros((64, 64), bool), square())]
    summary = summarise(rows)
    assert summary["hd95_px"] == pytest.approx(2) and summary["hd95_px_images"] == 1
    assert summary["nsd_px"] == pytest.approx(np.mean([rows[0]["nsd_px"], 0.0])) and summary["nsd_px_images"] == 2
    assert summary["hd95_mm"] is None and summary["hd95_mm_images"] == 0
