"""``teethseg data convert``: round trips keep the masks, splits and classes; failures leave nothing."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.data import convert as convert_module
from teethseg.data.layouts import index_dataset
from teethseg.data.polygons import rasterise_polygons, trace_polygons
from tests.conftest import synthetic_pair, write_images_masks, write_roboflow
from tests.data.test_coco import shared_sample, write_coco


def masks_by_name(root: Path) -> dict[str, np.ndarray]:
    index = index_dataset(root)
    return {s.image.stem: index.read_mask(s) for s in index.samples}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a > 0, b > 0).sum()
    return 1.0 if union == 0 else float(((a == b) & (a > 0)).sum() / union)


def numbered_dataset(root: Path, n: int = 4) -> Path:
    """images/ + masks/ with three tooth classes, a tooth with holes, and classes.json."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(n):
        image, mask = synthetic_pair(i, (50, 70), classes=3)
        if i == 0:
            mask[5:30, 40:60] = 2
            mask[10:14, 45:48] = 0  # holes
            mask[20:22, 50:56] = 0
            mask[25, 58] = 3  # an island inside another class
        Image.fromarray(image).save(root / "images" / f"x{i}.png")
        Image.fromarray(mask).save(root / "masks" / f"x{i}.png")
    (root / "classes.json").write_text(json.dumps({"0": "background", "1": "11", "2": "12", "3": "13"}))
    (root / "splits.json").write_text(json.dumps({"train": [f"x{i}" for i in range(n - 1)], "val": [f"x{n - 1}"]}))
    return root


def test_tracing_is_exact_on_awkward_shapes():
    mask = np.zeros((12, 12), bool)
    mask[2:9, 2:9] = True
    mask[4:6, 4:6] = False  # a hole
    mask[7, 7] = False  # a hole touching another by a corner
    mask[9, 9] = True  # touching by a corner only
    mask[0, 11] = True  # one pixel in the image corner
    np.testing.assert_array_equal(rasterise_polygons(trace_polygons(mask), 12, 12), mask)


@pytest.mark.parametrize("via", ["coco", "yolo"])
def test_masks_round_trip_exactly(tmp_path, via):
    source = numbered_dataset(tmp_path / "src")
    assert main(["data", "convert", str(source), str(tmp_path / via), "--to", via]) == 0
    assert main(["data", "convert", str(tmp_path / via), str(tmp_path / "back"), "--to", "masks"]) == 0
    before, after = masks_by_name(source), masks_by_name(tmp_path / "back")
    assert before.keys() == after.keys()
    for name in before:
        assert iou(before[name], after[name]) >= 0.99
        np.testing.assert_array_equal(before[name], after[name])
    index = index_dataset(tmp_path / "back")
    assert index.class_names[:4] == ["background", "11", "12", "13"]  # FDI names: FDI classes
    assert json.loads((tmp_path / "back" / "splits.json").read_text()) == {"train": ["x0", "x1", "x2"], "val": ["x3"]}
    assert (tmp_path / "back" / "images" / "x0.png").read_bytes() == (source / "images" / "x0.png").read_bytes()


def test_shared_data_round_trip(tmp_path):
    source = shared_sample(tmp_path / "src", n=4)
    assert main(["data", "convert", str(source), str(tmp_path / "coco"), "--to", "coco"]) == 0
    assert main(["data", "convert", str(tmp_path / "coco"), str(tmp_path / "yolo"), "--to", "yolo"]) == 0
    assert main(["data", "convert", str(tmp_path / "yolo"), str(tmp_path / "back"), "--to", "masks"]) == 0
    before, after = masks_by_name(source), masks_by_name(tmp_path / "back")
    assert before.keys() == after.keys()
    assert all(iou(before[k], after[k]) >= 0.99 for k in before)
    assert index_dataset(tmp_path / "back").class_names == index_dataset(source).class_names


def test_roboflow_splits_become_folders(tmp_path):
    write_roboflow(tmp_path / "rf")
    assert main(["data", "convert", str(tmp_path / "rf"), str(tmp_path / "coco"), "--to", "coco"]) == 0
    assert sorted(p.name for p in (tmp_path / "coco").iterdir()) == ["test", "train", "valid"]
    index = index_dataset(tmp_path / "coco")
    assert [sum(s.split == k for s in index.samples) for k in ("train", "val", "test")] == [3, 2, 1]
    assert index.class_names == ["background", "tooth"]


def test_coco_to_yolo_keeps_classes(tmp_path):
    write_coco(tmp_path / "coco", {"train": 3, "valid": 2}, names=("caries", "tooth"))
    assert main(["data", "convert", str(tmp_path / "coco"), str(tmp_path / "yolo"), "--to", "yolo"]) == 0
    before, after = masks_by_name(tmp_path / "coco"), masks_by_name(tmp_path / "yolo")
    assert index_dataset(tmp_path / "yolo").class_names == ["background", "caries", "tooth"]
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("classes", [None, {"0": "background", "1": "teeth"}])
@pytest.mark.parametrize("to", ["coco", "yolo"])
def test_binary_255_masks_become_one_tooth_class(tmp_path, to, classes):
    root = write_images_masks(tmp_path / "src", n=3, splits=False)
    for mask in (root / "masks").iterdir():
        Image.fromarray((np.asarray(Image.open(mask)) > 0).astype(np.uint8) * 255).save(mask)
    if classes:
        (root / "classes.json").write_text(json.dumps(classes))
    assert main(["data", "convert", str(root), str(tmp_path / to), "--to", to]) == 0
    index = index_dataset(tmp_path / to)
    assert index.class_names == ["background", classes["1"] if classes else "tooth"]
    for sample in index.samples:
        assert set(np.unique(index.read_mask(sample))) == {0, 1}


def test_bad_files_are_named_and_the_rest_converted(tmp_path, capsys):
    root = write_images_masks(tmp_path / "src", n=4)
    (root / "images" / "img01.jpg").write_bytes(b"\x89PNG but not really")
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(root / "masks" / "img02.png")  # wrong size
    code = main(["data", "convert", str(root), str(tmp_path / "out"), "--to", "coco"])
    err = capsys.readouterr().err
    assert code == 1
    assert sum("img01.jpg" in line for line in err.splitlines()) == 1
    assert sum("img02.png" in line and "mask is 3x3" in line for line in err.splitlines()) == 1
    assert len(index_dataset(tmp_path / "out").samples) == 2


def test_refuses_a_non_empty_destination(tmp_path, capsys):
    root = write_images_masks(tmp_path / "src", n=3)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["data", "convert", str(root), str(tmp_path / "out"), "--to", "yolo"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_interrupted_conversion_leaves_nothing(tmp_path, monkeypatch):
    root = write_images_masks(tmp_path / "src", n=3)

    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(convert_module.CocoWriter, "finish", boom)
    with pytest.raises(KeyboardInterrupt):
        convert_module.convert_dataset(root, tmp_path / "out", "coco", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
