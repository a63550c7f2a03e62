"""A uniform bright frame is cut off before segmenting, and its pixels are background."""

import numpy as np

from teethseg.config import ModelConfig
from teethseg.inference.frame import bright_frame_window
from teethseg.inference.segmenter import Segmenter


def radiograph(seed: int = 0) -> np.ndarray:
    """Grey tissue with two bright teeth, 60 x 90."""
    image = np.random.default_rng(seed).normal(0.35, 0.05, (60, 90)).clip(0, 1).astype(np.float32)
    image[15:45, 20:35] = 0.85
    image[15:45, 55:70] = 0.85
    return image


def framed(image: np.ndarray, value: float, top=7, bottom=5, left=11, right=3) -> np.ndarray:
    height, width = image.shape
    out = np.full((height + top + bottom, width + left + right), value, np.float32)
    out[top:top + height, left:left + width] = image
    return out


def test_the_window_is_inside_a_white_frame_even_with_ringing():
    image = framed(radiograph(), 1.0)
    image[:7, ::10] = 0.995  # JPEG ringing: a little under white
    assert bright_frame_window(image) == (7, 11, 60, 90)


def test_no_window_without_a_white_frame():
    image = radiograph()
    for case in (image, framed(image, 0.0), np.full((60, 90), 0.5, np.float32)):  # none, black frame, flat
        assert bright_frame_window(case) is None
    assert bright_frame_window(framed(image[:20], 1.0)) is None  # 20 rows left: under 32 pixels a side


def test_a_framed_radiograph_is_segmented_as_its_inside():
    config = ModelConfig(input_size=[32, 48])

    def bright_is_tooth(batch):  # tooth where the standardised input is high: a white frame shifts the standardisation
        tooth = np.where(batch[:, 0] > 1.0, 4.0, -4.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)

    model = Segmenter(bright_is_tooth, config, "fake")
    inside = model.predict(radiograph())
    result = model.predict(framed(radiograph(), 1.0))
    assert result.extra == {"bright_frame_cut": {"window_yxhw": [7, 11, 60, 90]}, "looks_dental": True}
    np.testing.assert_array_equal(result.labels[7:67, 11:101], inside.labels)
    assert result.labels.sum() == inside.labels.sum() > 0  # nothing in the frame
    assert (result.confidence[:7] == 1).all()
