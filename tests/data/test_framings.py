import numpy as np

from teethseg.data.framings import RIGHT_MOLARS, close_view, teeth_window


def test_teeth_window_takes_the_shares_of_height_and_width():
    image = np.arange(100 * 200).reshape(100, 200)
    window = teeth_window(image, (0.25, 0.75, 0.1, 0.5))
    assert window.shape == (50, 80)
    assert window[0, 0] == image[25, 20]


def test_close_view_enlarges_radiographs_smoothly_and_labels_exactly():
    rng = np.random.default_rng(0)
    image = rng.random((512, 512), dtype=np.float32)
    labels = rng.integers(0, 33, (512, 512)).astype(np.uint8)
    view = close_view(image)
    assert view.shape == (1000, 800) and view.min() >= 0 and view.max() <= 1  # cubic overshoot clipped
    enlarged = close_view(labels, RIGHT_MOLARS, (400, 300), labels=True)
    assert enlarged.shape == (300, 400) and enlarged.dtype == np.uint8
    assert set(np.unique(enlarged)) <= set(np.unique(teeth_window(labels, RIGHT_MOLARS)))
