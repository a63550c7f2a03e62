"""A second look at radiographs framed wider or tighter than the training data."""

import numpy as np
import pytest

from teethseg.imaging.windows import cut, paste
from teethseg.inference.reframe import (
    FILLED_SPREAD,
    KEEP_SCALE,
    PANORAMIC_SCALE,
    TEETH_CENTRE,
    second_look_window,
    tooth_scale,
)

TYPICAL = [0.0] + [0.004] * 32  # every tooth a typical 0.4 % of the image


def teeth_row(size: int, side: int, count: int = 8) -> np.ndarray:
    """``count`` square teeth of ``side`` pixels in a row across the middle of a size x size image."""
    labels = np.zeros((size, size), np.uint8)
    top = size // 2 - side // 2
    for n in range(count):
        left = size // 4 + n * (side + 2)
        labels[top : top + side, left : left + side] = n + 1
    return labels


def test_tooth_scale_is_the_linear_size_ratio_and_needs_six_teeth():
    typical_side = np.sqrt(0.004) * 512  # about 32 px at 512 x 512
    assert tooth_scale(teeth_row(512, 16), TYPICAL) == pytest.approx(16 / typical_side, rel=0.02)
    assert tooth_scale(teeth_row(1024, 32), TYPICAL) == pytest.approx(16 / typical_side, rel=0.02)  # a share, not pixels
    assert tooth_scale(teeth_row(512, 16, count=5), TYPICAL) is None


def test_window_frames_small_teeth_at_the_typical_size_and_place():
    labels = teeth_row(512, 16)
    assert second_look_window(labels, 1.0) is None and second_look_window(labels, None) is None
    assert second_look_window(labels, KEEP_SCALE[0]) is None and second_look_window(labels, KEEP_SCALE[1]) is None
    top, left, height, width = second_look_window(labels, 0.5)
    assert (height, width) == (256, 256)
    rows, cols = np.nonzero(labels)
    centre = ((rows.min() + rows.max() + 1) / 2, (cols.min() + cols.max() + 1) / 2)
    assert (centre[0] - top) / height == pytest.approx(TEETH_CENTRE[0], abs=0.01)
    assert (centre[1] - left) / width == pytest.approx(TEETH_CENTRE[1], abs=0.01)


def test_window_beyond_the_image_is_black_and_paste_puts_parts_back():
    image = np.arange(1.0, 101.0, dtype=np.float32).reshape(10, 10)
    window = (-2, 5, 6, 8)  # two rows above the image, three columns past its right side
    part = cut(image, window)
    assert part.shape == (6, 8)
    assert not part[:2].any() and not part[:, 5:].any()
    assert np.array_equal(part[2:, :5], image[:4, 5:])
    whole = paste(part + 1000, window, image.shape, np.full(image.shape, -1.0, np.float32))
    assert np.array_equal(whole[:4, 5:], image[:4, 5:] + 1000)
    assert (whole[4:] == -1).all() and (whole[:, :5] == -1).all()


def test_no_second_look_where_the_teeth_are_no_panoramic_arch():
    labels = teeth_row(512, 16)
    assert second_look_window(labels, 0.6) is not None
    assert second_look_window(labels, PANORAMIC_SCALE[0] - 0.01) is None  # far too small for a panoramic
    assert second_look_window(labels, PANORAMIC_SCALE[1] + 0.01) is None  # teeth as big as in a bitewing
    labels[0:16, 240:256] = labels[496:512, 240:256] = 9  # teeth over the whole height, though 0.6 times typical size
    assert second_look_window(labels, 0.6) is None


def test_a_panoramic_cut_around_its_teeth_is_not_zoomed_out_but_a_close_view_is():
    labels = np.zeros((512, 512), np.uint8)
    labels[150:350, 100:400] = 5  # teeth over 39 % of the height: as in a training panoramic
    assert second_look_window(labels, 1.3) is not None
    tall = round(512 * FILLED_SPREAD[0]) + 10
    labels[60 : 60 + tall, 100:400] = 5  # teeth over more of the height than in any training panoramic
    assert second_look_window(labels, 1.3) is None  # bigger than typical: zooming out would not help
    assert second_look_window(labels, 1.3, close_view=True) is not None
