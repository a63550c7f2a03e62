import numpy as np

from teethseg.imaging.preprocess import normalize, prepare_input, resize_image, resize_labels, resize_scores


def test_prepare_input_has_model_size_and_standard_intensities():
    image = np.random.default_rng(0).random((300, 700)).astype(np.float32) * 0.3 + 0.5
    x = prepare_input(image, [128, 128])
    assert x.shape == (128, 128) and x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1) < 1e-3


def test_zscore_ignores_exposure_and_contrast():
    image = np.random.default_rng(1).random((50, 60)).astype(np.float32)
    np.testing.assert_allclose(normalize(image), normalize(0.5 * image + 0.2), atol=1e-4)


def test_constant_image_does_not_divide_by_zero():
    assert np.isfinite(normalize(np.full((4, 4), 0.3, np.float32))).all()


def test_labels_stay_labels_when_resized():
    mask = np.zeros((10, 20), np.uint8)
    mask[2:8, 5:15] = 17
    assert set(np.unique(resize_labels(mask, (33, 71)))) == {0, 17}


def test_scores_go_back_to_source_size():
    scores = np.random.default_rng(2).random((3, 16, 16)).astype(np.float32)
    assert resize_scores(scores, (40, 90)).shape == (3, 40, 90)
    channel = scores[0]
    assert resize_image(channel, (16, 16)) is channel
