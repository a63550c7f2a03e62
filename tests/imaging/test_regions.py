import numpy as np
import pytest
from scipy import ndimage

from teethseg.imaging.regions import bounding_box, dilate, erode, label_regions, nearest_value, value_boxes


def random_labels(seed: int, shape=(61, 83), values=6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, values + 1, (shape[0] // 6 + 1, shape[1] // 6 + 1))
    labels = np.kron(coarse, np.ones((6, 6), int))[: shape[0], : shape[1]]
    labels[rng.random(shape) < 0.05] = 0
    return labels.astype(np.uint8)


def test_value_boxes_equal_scipy_find_objects():
    for seed in range(5):
        labels = random_labels(seed)
        labels[labels == 3] = 0  # a value that is absent but below the maximum
        assert value_boxes(labels) == ndimage.find_objects(labels)
    assert value_boxes(np.zeros((4, 4), np.uint8)) == []


def test_label_regions_equal_scipy_label():
    for seed in range(5):
        mask = random_labels(seed) > 2
        regions, count, boxes, areas = label_regions(mask)
        expected, expected_count = ndimage.label(mask)
        assert count == expected_count
        # The same partition of the pixels (numbering may differ), the same boxes and areas.
        pairs = set(zip(regions[mask].tolist(), expected[mask].tolist()))
        assert len(pairs) == count
        mapping = dict(pairs)
        found = ndimage.find_objects(expected)
        for r in range(1, count + 1):
            assert boxes[r - 1] == found[mapping[r] - 1]
            assert areas[r - 1] == (expected == mapping[r]).sum()


def test_dilate_and_erode_equal_scipy():
    mask = random_labels(7) > 3
    for iterations in (1, 2, 3):
        assert (dilate(mask, iterations) == ndimage.binary_dilation(mask, iterations=iterations)).all()
        assert (erode(mask, iterations) == ndimage.binary_erosion(mask, iterations=iterations)).all()


def test_bounding_box_holds_every_pixel():
    mask = np.zeros((7, 9), bool)
    assert bounding_box(mask) is None
    mask[2, 3] = mask[5, 6] = True
    assert bounding_box(mask) == (slice(2, 6), slice(3, 7))


def test_nearest_value_gives_each_pixel_the_value_of_the_nearest_seed_and_the_distance():
    values = np.zeros((5, 9), np.int64)
    values[2, 1], values[2, 7] = 4, 9
    nearest, distance = nearest_value(values)
    assert (nearest[:, :4] == 4).all() and (nearest[:, 5:] == 9).all()
    assert distance[2, 1] == distance[2, 7] == 0 and distance[2, 3] == pytest.approx(2.0, abs=0.05)
    assert nearest.dtype == values.dtype
