import numpy as np

from teethseg.inference.mirror import mirror_average
from teethseg.teeth.fdi import fdi_flip_table

FDI = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]


def one_hot(labels: np.ndarray, classes: int = 33) -> np.ndarray:
    return (np.arange(classes)[:, None, None] == labels[None]).astype(np.float32)


def test_a_mirror_consistent_network_is_left_as_it_is():
    def scores(images):  # FDI 11 (class 1) on the image's left half, FDI 21 (class 9) on its right half
        out = []
        for image in images:
            labels = np.where(np.arange(image.shape[1])[None, :] < image.shape[1] // 2, 1, 9).repeat(image.shape[0], 0)
            out.append(one_hot(labels))
        return np.stack(out)

    images = [np.random.default_rng(0).random((6, 10), dtype=np.float32)]
    assert np.array_equal(mirror_average(scores, images, FDI), scores(images))


def test_a_network_blind_to_sides_gets_half_to_each_side():
    def scores(images):  # says FDI 11 everywhere, and image content shows through in the background class
        return np.stack([one_hot(np.ones(image.shape, int)) for image in images])

    averaged = mirror_average(scores, [np.zeros((4, 6), np.float32)], FDI)
    assert np.allclose(averaged[0, 1], 0.5) and np.allclose(averaged[0, 9], 0.5)
    assert np.allclose(averaged.sum(axis=1), 1)


def test_binary_models_mirror_back_pixel_for_pixel():
    def scores(images):  # tooth probability rises from left to right
        ramp = np.stack([np.linspace(0, 1, image.shape[1], dtype=np.float32).repeat(image.shape[0]).reshape(
            image.shape[1], image.shape[0]).T for image in images])
        return np.stack([1 - ramp, ramp], axis=1)

    averaged = mirror_average(scores, [np.zeros((3, 5), np.float32)], ["background", "tooth"])
    assert np.allclose(averaged, 0.5)  # the ramp and its mirror cancel out
    assert fdi_flip_table(["background", "tooth"], 2)[:2].tolist() == [0, 1]
