import json

import numpy as np
import pytest
from PIL import Image

from teethseg.data.layouts import find_layout, index_dataset
from teethseg.errors import TeethsegError
from tests.conftest import write_images_masks, write_roboflow, write_separate_folders


def test_images_masks_layout_with_splits_and_classes(tmp_path):
    root = write_images_masks(tmp_path / "d", n=5)
    (root / "classes.json").write_text(json.dumps({"0": "background", "1": "11"}))
    index = index_dataset(root)
    assert index.layout.name == "images-masks"
    assert len(index.samples) == 5 and index.class_names == ["background", "11"]
    train, val = index.split()
    assert [s.key for s in val] == ["img03", "img04"] and len(train) == 3


def test_images_masks_without_splits_gets_a_seeded_split(tmp_path):
    index = index_dataset(write_images_masks(tmp_path / "d", n=10, splits=False))
    first = index.split(seed=1, val_fraction=0.2)
    again = index.split(seed=1, val_fraction=0.2)
    others = [index.split(seed=seed, val_fraction=0.2) for seed in (2, 3, 4)]
    assert [s.key for s in first[1]] == [s.key for s in again[1]]
    assert any([s.key for s in other[1]] != [s.key for s in first[1]] for other in others)  # the seed matters
    assert len(first[1]) == 2 and len(first[0]) == 8
    assert {s.key for s in first[0]} | {s.key for s in first[1]} == {s.key for s in index.samples}


def test_image_without_mask_and_mask_without_image_are_problems(tmp_path):
    root = write_images_masks(tmp_path / "d", n=3, splits=False)
    (root / "masks" / "img00.png").unlink()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "masks" / "orphan.png")
    index = index_dataset(root)
    problems = {(p.path.name, p.problem) for p in index.problems}
    assert ("img00.jpg", "image has no mask") in problems
    assert ("orphan.png", "mask has no image") in problems
    assert len(index.samples) == 2


def test_roboflow_layout(tmp_path):
    index = index_dataset(write_roboflow(tmp_path / "rf"))
    assert index.layout.name == "roboflow-masks"
    assert sorted({s.split for s in index.samples}) == ["test", "train", "val"]
    assert index.class_names == ["background", "tooth"]
    train, val = index.split()
    assert len(train) == 3 and len(val) == 2
    assert set(np.unique(index.read_mask(train[0]))) <= {0, 1}


def test_separate_folders_layout_reads_255_masks_as_teeth(tmp_path):
    index = index_dataset(write_separate_folders(tmp_path / "sf"))
    assert index.layout.name == "separate-folders"
    train, val = index.split()
    assert len(train) == 3 and len(val) == 2
    mask = index.read_mask(train[0])
    assert set(np.unique(mask)) == {0, 1}


def test_empty_and_unknown_folders_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(TeethsegError, match="empty data folder"):
        find_layout(tmp_path / "empty")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "readme.txt").write_text("hi")
    with pytest.raises(TeethsegError, match="no known dataset layout"):
        find_layout(tmp_path / "odd")
    with pytest.raises(TeethsegError, match="not found"):
        find_layout(tmp_path / "missing")


def test_layout_with_no_pairs_is_an_error(tmp_path):
    (tmp_path / "d" / "images").mkdir(parents=True)
    (tmp_path / "d" / "masks").mkdir()
    with pytest.raises(TeethsegError, match="no image with a mask"):
        index_dataset(tmp_path / "d")
