import numpy as np
import pytest

from teethseg.config import ModelConfig
from teethseg.data.dataset import SegmentationDataset
from teethseg.data.missing_teeth import MIN_TEETH, close_gap, fdi_positions, remove_teeth

FDI = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]


def arch(teeth: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A dark radiograph (0.2) with a row of bright teeth (0.8) that touch, numbered 1..teeth."""
    image = np.full((64, 160), 0.2, np.float32)
    labels = np.zeros((64, 160), np.uint8)
    for number in range(1, teeth + 1):
        labels[20:44, 10 * number : 10 * number + 10] = number
    image[labels > 0] = 0.8
    return image, labels


def test_one_or_two_teeth_go_and_the_others_stay_as_they_were():
    image, labels = arch()
    for seed in range(20):
        new_image, new_labels = remove_teeth(image, labels, np.random.default_rng(seed))
        gone = set(np.unique(labels)) - set(np.unique(new_labels))
        assert 1 <= len(gone) <= 2
        kept = np.isin(labels, list(gone), invert=True) & (labels > 0)
        assert np.array_equal(new_labels[kept], labels[kept])  # neighbours keep every pixel
        assert new_image.dtype == image.dtype and new_image.min() >= 0 and new_image.max() <= 1


def test_a_removed_tooth_looks_like_the_tissue_around_it():
    image, labels = arch()
    new_image, new_labels = remove_teeth(image, labels, np.random.default_rng(0), most=1)
    (gone,) = set(np.unique(labels)) - set(np.unique(new_labels))
    assert abs(float(new_image[labels == gone].mean()) - 0.2) < 0.1  # was 0.8
    far = np.broadcast_to(np.abs(np.arange(160) - (10 * gone + 5)) > 20, image.shape)
    assert np.array_equal(new_image[far], image[far])  # the rest of the image is untouched


def test_views_with_few_teeth_are_left_alone():
    image, labels = arch(MIN_TEETH - 1)
    new_image, new_labels = remove_teeth(image, labels, np.random.default_rng(0))
    assert new_image is image and new_labels is labels


def test_training_samples_lose_teeth_only_when_asked_and_augmenting():
    image, labels = arch()
    model = ModelConfig(num_classes=33, input_size=[64, 160], class_names=FDI)

    def counts(**options) -> list[int]:
        dataset = SegmentationDataset([image], [labels], model, seed=0, **options)
        return [len(np.unique(dataset[0][1].numpy())) - 1 for dataset.epoch in range(8)]

    assert counts(augment=False, remove_teeth=1.0) == [12] * 8
    assert max(counts(augment=True, hflip=False, remove_teeth=1.0)) <= 11
    assert 12 in counts(augment=True, hflip=False, remove_teeth=0.0)


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_remove_teeth_share_is_checked(tmp_path, share):
    from teethseg.config import load_config
    from teethseg.errors import TeethsegError

    path = tmp_path / "bad.yaml"
    path.write_text(f"model: {{num_classes: 33}}\nremove_teeth: {share}\n")
    with pytest.raises(TeethsegError, match="remove_teeth must be a share"):
        load_config(path)


def two_jaws() -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower arches, 8 teeth a quadrant, 10 pixels wide; the patient's right on the image's left."""
    image = np.full((64, 200), 0.2, np.float32)
    labels = np.zeros((64, 200), np.uint8)
    for number in range(1, 9):
        right, left = slice(100 - 10 * number, 110 - 10 * number), slice(90 + 10 * number, 100 + 10 * number)
        labels[8:28, right], labels[8:28, left] = FDI.index(f"1{number}"), FDI.index(f"2{number}")
        labels[36:56, left], labels[36:56, right] = FDI.index(f"3{number}"), FDI.index(f"4{number}")
    image[labels > 0] = 0.8
    return image, labels


def centre_x(labels: np.ndarray, fdi: str) -> float:
    return float(np.nonzero(labels == FDI.index(fdi))[1].mean())


@pytest.mark.parametrize("gone, behind, before, direction", [("26", ["27", "28"], ["21", "25"], -1), ("16", ["17", "18"], ["11", "15"], 1)])
def test_teeth_behind_a_gap_drift_into_it_and_keep_their_numbers(gone, behind, before, direction):
    image, whole = two_jaws()
    labels = np.where(whole == FDI.index(gone), 0, whole)
    for seed in range(5):
        moved_image, moved = close_gap(image, labels, whole, fdi_positions(FDI), np.random.default_rng(seed))
        assert set(np.unique(moved)) == set(np.unique(labels))  # every tooth keeps its number
        for tooth in behind:  # toward the midline by 40-90 % of a tooth's width
            assert 3 <= direction * (centre_x(moved, tooth) - centre_x(labels, tooth)) <= 10
        for tooth in before:
            assert centre_x(moved, tooth) == centre_x(labels, tooth)
        # The other jaw stays, but for its edge next to the line between the jaws (rows 28-36).
        assert np.array_equal(moved[44:], labels[44:])
        assert np.allclose(moved_image[48:], image[48:], atol=0.05)


def test_no_gap_to_close_without_teeth_behind_it():
    image, whole = two_jaws()
    labels = np.where(whole == FDI.index("28"), 0, whole)  # the last tooth: nothing behind it
    moved_image, moved = close_gap(image, labels, whole, fdi_positions(FDI), np.random.default_rng(0))
    assert moved_image is image and moved is labels


def test_gaps_close_in_training_samples_only_when_asked():
    image, labels = two_jaws()
    model = ModelConfig(num_classes=33, input_size=[64, 200], class_names=FDI)

    def samples(**options) -> list[np.ndarray]:
        dataset = SegmentationDataset([image], [labels], model, seed=0, augment=True, hflip=False, scale=(1, 1),
                                      remove_teeth=1.0, **options)
        return [dataset[0][1].numpy() for dataset.epoch in range(6)]

    plain, closed = samples(), samples(close_gaps=1.0)
    assert any(not np.array_equal(a, b) for a, b in zip(plain, closed))
    # The same teeth are removed either way; only their neighbours' places differ.
    assert [set(np.unique(a)) for a in plain] == [set(np.unique(b)) for b in closed]
