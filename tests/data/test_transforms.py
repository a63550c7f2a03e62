import json
from pathlib import Path

import numpy as np

from teethseg.config import ModelConfig
from teethseg.data.dataset import SegmentationDataset
from teethseg.data.transforms import horizontal_flip, train_augmentation
from teethseg.teeth.fdi import fdi_flip_table

FDI = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]


def test_fdi_flip_swaps_left_and_right_quadrants():
    table = fdi_flip_table(FDI, 33)
    name = {i: n for i, n in enumerate(FDI)}
    index = {n: i for i, n in enumerate(FDI)}
    assert name[table[index["11"]]] == "21" and name[table[index["28"]]] == "18"
    assert name[table[index["36"]]] == "46" and name[table[index["48"]]] == "38"
    assert table[0] == 0
    assert np.array_equal(table[table[:33]], np.arange(33))


def test_fdi_flip_matches_shared_classes_file():
    classes = Path(__file__).parents[3] / "shared" / "data" / "ufba425" / "classes.json"
    names = [json.loads(classes.read_text())[str(i)] for i in range(33)] if classes.is_file() else FDI
    assert fdi_flip_table(names, 33)[1] == 9  # class 1 (FDI 11) <-> class 9 (FDI 21)


def test_binary_flip_keeps_labels():
    table = fdi_flip_table(["background", "tooth"], 2)
    image = np.arange(6, dtype=np.float32).reshape(2, 3)
    mask = np.array([[1, 0, 0], [0, 0, 1]], np.uint8)
    flipped_image, flipped_mask = horizontal_flip(image, mask, table)
    assert np.array_equal(flipped_image, image[:, ::-1])
    assert np.array_equal(flipped_mask, mask[:, ::-1])


def test_numbered_flip_moves_and_renumbers_a_tooth():
    table = fdi_flip_table(FDI, 33)
    mask = np.zeros((4, 6), np.uint8)
    mask[1, 0] = FDI.index("16")  # patient's right upper first molar, image left
    _, flipped = horizontal_flip(np.zeros((4, 6), np.float32), mask, table)
    assert flipped[1, 5] == FDI.index("26") and np.count_nonzero(flipped) == 1


def test_augmentation_keeps_mask_values_and_shape():
    rng = np.random.default_rng(0)
    image = rng.random((64, 80)).astype(np.float32)
    mask = rng.integers(0, 33, (64, 80)).astype(np.uint8)
    augmentation = train_augmentation()
    for seed in range(5):
        augmentation.set_random_seed(seed)
        out = augmentation(image=image, mask=mask)
        assert out["image"].shape == image.shape and out["image"].dtype == np.float32
        assert set(np.unique(out["mask"])) <= set(np.unique(mask))


def test_dataset_items_repeat_per_epoch_and_differ_between_epochs():
    model = ModelConfig(input_size=[64, 64])
    rng = np.random.default_rng(0)
    images = [rng.random((64, 64)).astype(np.float32) for _ in range(2)]
    masks = [(im > 0.5).astype(np.uint8) for im in images]
    dataset = SegmentationDataset(images, masks, model, augment=True, hflip=True, crop_size=32, seed=3)
    first = dataset[1][0]
    assert first.shape == (1, 32, 32)
    assert np.array_equal(first, dataset[1][0])
    dataset.set_epoch(1)
    assert not np.array_equal(first, dataset[1][0])


def test_zoom_range_reaches_the_training_samples():
    model = ModelConfig(input_size=[64, 64])
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 16:48] = 1  # a square that covers a quarter of the image
    image = mask.astype(np.float32)
    shares = {}
    for scale in ((0.5, 0.5), (1.0, 1.0)):
        dataset = SegmentationDataset([image], [mask], model, augment=True, seed=0, scale=scale)
        shares[scale] = []
        for epoch in range(9):
            dataset.set_epoch(epoch)
            shares[scale].append(float((dataset[0][1] > 0).float().mean()))
    assert np.median(shares[(0.5, 0.5)]) < 0.1 < 0.2 < np.median(shares[(1.0, 1.0)])  # 1/16 and 1/4 of the image


def test_close_ups_show_teeth_bigger_at_the_input_size():
    model = ModelConfig(input_size=[64, 96])
    mask = np.zeros((64, 96), np.uint8)
    mask[24:40, 36:60] = 1  # a tooth-sized block in the middle, 1/16 of the image
    image = mask.astype(np.float32)
    shares = {}
    for close_up in (0.0, 1.0):
        dataset = SegmentationDataset([image], [mask], model, augment=True, seed=0, scale=(1.0, 1.0), close_up=close_up)
        shares[close_up] = []
        for epoch in range(9):
            dataset.set_epoch(epoch)
            picture, labels = dataset[0]
            assert picture.shape == (1, 64, 96) and labels.shape == (64, 96)
            shares[close_up].append(float((labels > 0).float().mean()))
    # Windows of 6-40 % of the area that hold the block show it 2.5-16 times as big; windows beside it show none.
    assert np.median(shares[0.0]) < 0.08 and max(shares[1.0]) > 0.2


def test_the_close_up_area_sets_how_big_teeth_are_shown():
    model = ModelConfig(input_size=[64, 96])
    image = np.random.default_rng(0).random((64, 96)).astype(np.float32)
    mask = np.zeros((64, 96), np.uint8)
    mask[:, ::2] = 1  # stripes 1 pixel wide: a window of a quarter of the width shows them 4 pixels wide
    widths = {}
    for area in ((0.02, 0.03), (0.35, 0.4)):
        dataset = SegmentationDataset([image], [mask], model, augment=True, seed=0, scale=(1.0, 1.0), close_up=1.0,
                                      close_up_area=area)
        runs = []
        for epoch in range(6):
            dataset.set_epoch(epoch)
            row = dataset[0][1].numpy()[32]
            runs.append(len(row) / max(1, np.count_nonzero(np.diff(row.astype(int)))))  # mean stripe width
        widths[area] = np.median(runs)
    assert widths[(0.02, 0.03)] > 2 * widths[(0.35, 0.4)]
