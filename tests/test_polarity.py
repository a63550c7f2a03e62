import numpy as np

from teethseg.polarity import CONFIDENT, doubtful, inverted_is_better, mean_tooth_confidence


def look(confidence_of_teeth: float, teeth: bool = True) -> tuple[np.ndarray, np.ndarray]:
    labels = np.zeros((8, 8), np.uint8)
    if teeth:
        labels[2:5, 2:5] = 3
    confidence = np.full((8, 8), 0.99, np.float32)  # the background's confidence must not count
    confidence[labels > 0] = confidence_of_teeth
    return labels, confidence


def test_confidence_is_the_mean_over_tooth_pixels_only():
    assert mean_tooth_confidence(*look(0.4)) == np.float32(0.4)
    assert mean_tooth_confidence(*look(0.4, teeth=False)) == 0.0


def test_doubt_starts_below_the_confident_level():
    assert doubtful(*look(CONFIDENT - 0.01)) and doubtful(*look(0.9, teeth=False))
    assert not doubtful(*look(CONFIDENT + 0.01))


def test_the_inverted_look_must_be_confident_and_more_confident_than_the_first():
    assert inverted_is_better(look(0.3), look(0.8))
    assert not inverted_is_better(look(0.3), look(CONFIDENT - 0.05))  # better, but still doubtful: junk
    assert not inverted_is_better(look(0.0, teeth=False), look(0.5))
    assert not inverted_is_better(look(0.55), look(0.5))
