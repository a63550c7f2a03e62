"""Doubtful first looks: the trigger, the mask networks' confidence, and which other look is kept."""

import numpy as np
import pytest

from teethseg.config import ModelConfig
from teethseg.inference.decide import CONFIDENT, doubtful, mask_confidence, mean_tooth_confidence, skewness
from teethseg.inference.segmenter import Segmenter


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


def test_mask_confidence_counts_every_tooth_class_and_only_tooth_pixels():
    scores = np.zeros((3, 4, 4), np.float32)
    scores[0] = 1.0  # background, sure
    scores[:, :2, :2] = [[[0.1]], [[0.6]], [[0.3]]]  # tooth 0.6 + contact 0.3: 0.9 not background
    assert mask_confidence(scores) == pytest.approx(0.9)
    assert mask_confidence(np.stack([np.ones((4, 4)), np.zeros((4, 4))])) == 0.0


CONFIG = ModelConfig(input_size=[16, 32])


def half_tooth_network(tooth_logit: float, calls: list | None = None):
    """A fake mask network: tooth with the given logit on the bright half of its input."""
    def backend(batch):
        if calls is not None:
            calls.append(len(batch))
        tooth = np.where(batch[:, 0] > 0, tooth_logit, -8.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)
    return backend


HALVES = np.concatenate([np.ones((16, 16)), np.zeros((16, 16))], axis=1).astype(np.float32)  # left bright


def segmenter(first_logit: float, close_up=None) -> Segmenter:
    return Segmenter(half_tooth_network(first_logit), CONFIG, "first", close_up=close_up)


def test_a_doubtful_image_takes_the_close_up_look_when_that_network_is_surer():
    close_up = Segmenter(half_tooth_network(3.0), CONFIG, "close-up")
    result = segmenter(0.2, close_up).predict(HALVES)  # P(tooth) 0.55: doubtful; the close-up network 0.95
    assert result.extra == {"close_view": True, "looks_dental": True}
    assert result.mask[:, :16].all() and not result.mask[:, 16:].any()
    assert "missing_fdi" not in result.summary()


def test_the_close_up_network_may_read_the_image_inverted():
    def sure_when_left_is_dark(batch):  # teeth on the left half, sure of them only when that half is dark
        tooth = np.full(batch[:, 0].shape, -8.0, np.float32)
        tooth[:, :, :16] = np.where(batch[:, 0, :, :16] < 0, 3.0, 0.1)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)

    close_up = Segmenter(sure_when_left_is_dark, CONFIG, "close-up")
    result = segmenter(0.2, close_up).predict(HALVES)
    assert result.extra == {"close_view": True, "inverted": True, "looks_dental": True}
    assert result.mask[:, :16].all() and not result.mask[:, 16:].any()


def test_a_doubtful_image_keeps_its_first_look_when_no_other_is_surer():
    close_up = Segmenter(half_tooth_network(0.1), CONFIG, "close-up")
    for model in (segmenter(0.2), segmenter(0.2, close_up)):
        result = model.predict(HALVES)
        assert result.extra == {"looks_dental": True} and result.mask[:, :16].all() and not result.mask[:, 16:].any()


def test_confident_images_never_run_the_close_up_network():
    calls = []
    close_up = Segmenter(half_tooth_network(3.0, calls=calls), CONFIG, "close-up")
    result = segmenter(2.0, close_up).predict_batch([HALVES, HALVES])
    assert calls == [] and all(r.extra == {"looks_dental": True} for r in result)
    segmenter(0.2, close_up).predict_batch([HALVES, HALVES])
    assert calls == [2, 2]  # upright and inverted, both images in one call each


def test_a_sure_but_tiny_first_look_is_doubtful_too():
    assert doubtful(*look(0.99)) is False  # 9 of 64 pixels: plenty of teeth
    labels, confidence = np.zeros((20, 20), np.uint8), np.full((20, 20), 0.99, np.float32)
    labels[0, :3] = 5  # 3 of 400 pixels, under 1 %
    assert doubtful(labels, confidence)
    labels[0, :4] = 5  # 4 of 400: 1 %
    assert not doubtful(labels, confidence)


def test_a_close_view_seen_as_a_sure_blob_takes_the_close_up_look():
    image = np.zeros((16, 32), np.float32)
    image[4:12, 4:28] = 0.5  # the teeth of a close view
    image[7:8, 14:16] = 1.0  # what the panoramic network is sure of: 2 of 512 pixels

    def brightest_only(batch):
        tooth = np.where(batch[:, 0] > 0.9 * batch.max(), 4.0, -8.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)

    def any_tooth(batch):  # tooth where brighter than the mean; sure of it only where that is a minority, as teeth are
        bright = batch[:, 0] > 0
        sure = np.where(bright.mean(axis=(1, 2)) < 0.5, 5.0, 0.5)[:, None, None]
        tooth = np.where(bright, sure, -8.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)

    first = Segmenter(brightest_only, CONFIG, "first", close_up=Segmenter(any_tooth, CONFIG, "close-up"))
    result = first.predict(image)
    assert result.extra == {"close_view": True, "looks_dental": True}
    assert result.mask[4:12, 4:28].all() and result.mask.sum() == 8 * 24
    assert "close_view" not in Segmenter(brightest_only, CONFIG, "first").predict(image).extra  # without a close-up network


def test_a_doubtful_image_is_numbered_once_per_polarity():
    numbered = []

    def numbering_backend(batch):  # background, "11" and "12": tooth 11, unsure (0.55), on the bright half
        numbered.append(len(batch))
        tooth = np.where(batch[:, 0] > 0, 0.2, -8.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth, np.full_like(tooth, -8.0)], axis=1)

    numbering = Segmenter(numbering_backend, ModelConfig(input_size=[16, 32], num_classes=3,
                                                         class_names=["background", "11", "12"]), "numbering")
    model = segmenter(0.2, Segmenter(half_tooth_network(3.0), CONFIG, "close-up"))
    model.numbering = numbering
    result = model.predict(HALVES)
    assert result.extra == {"close_view": True, "looks_dental": True} and result.mask[:, :16].all()
    assert numbered == [1, 1]  # as given (first look, then the close-up look), and inverted


def test_a_radiograph_skewing_bright_keeps_its_upright_look_and_its_negative_is_read_inverted():
    """The looks of a negative are those of its upright image swapped, so confidence alone cannot
    choose for both; the image's skew can (teeth are a bright minority)."""
    image = np.full((16, 32), 0.2, np.float32)
    image[4:8, 4:12] = 1.0  # the teeth: 32 of 512 pixels, bright

    def surer_of_bigger_masks(batch):  # tooth above the mean; a little surer when that is most of the image
        bright = batch[:, 0] > 0
        logit = 0.1 + 0.2 * bright.mean(axis=(1, 2))[:, None, None]
        tooth = np.where(bright, logit, -8.0).astype(np.float32)
        return np.stack([np.zeros_like(tooth), tooth], axis=1)

    model = Segmenter(surer_of_bigger_masks, CONFIG, "first")
    upright, negative = model.predict_batch([image, 1 - image])
    assert upright.extra == {"looks_dental": True} and negative.extra == {"inverted": True, "looks_dental": True}
    for result in (upright, negative):
        np.testing.assert_array_equal(result.mask, image == 1.0)
    assert skewness(image) > 0 and skewness(1 - image) == pytest.approx(-skewness(image), abs=1e-5)
