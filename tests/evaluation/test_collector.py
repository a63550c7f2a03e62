"""The report collector keeps pictures of the worst images only; FDI neighbours; groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from teethseg.data.index import Sample
from teethseg.data.layouts import index_dataset
from teethseg.evaluation.collector import ReportCollector, neighbours
from teethseg.evaluation.groups import image_groups
from tests.conftest import write_roboflow, write_separate_folders


def test_neighbours_in_the_arch_and_across_the_midline():
    assert neighbours("11") == ["12", "21"]
    assert neighbours("18") == ["17"]
    assert neighbours("34") == ["33", "35"]
    assert neighbours("41") == ["31", "42"]
    assert neighbours("tooth") == []


def test_only_the_worst_images_keep_pictures():
    collector = ReportCollector(worst=3)
    truth = np.zeros((32, 32), np.uint8)
    truth[8:24, 8:24] = 1
    image = np.full((32, 32), 0.5, np.float32)
    dice = [0.9, 0.2, 0.7, 0.1, 0.95, 0.4]
    for i, value in enumerate(dice):
        scores = {"accuracy": 1.0, "dice": value, "iou": value, "precision": 1.0, "recall": 1.0}
        collector.add(Sample(f"x{i}", Path(f"x{i}.png"), None), image, truth, truth, scores)
    kept = collector.worst_images()
    assert [entry["image"] for entry in kept] == ["x3", "x1", "x5"]
    assert all(entry["pictures"]["errors"][0].startswith("data:image/jpeg;base64,") for entry in kept)
    assert len(collector.records) == 6 and "pictures" not in collector.records[0]


def test_confusion_counts_neighbour_numbers():
    collector = ReportCollector(worst=0)
    names = ["background", "11", "12", "21"]
    collector.class_names, collector.confusion = names, np.zeros((4, 4), np.int64)
    truth = np.array([[1, 1, 1, 1, 2, 2]], np.uint8)
    prediction = np.array([[1, 1, 2, 3, 2, 0]], np.uint8)
    scores = {"accuracy": 1.0, "dice": 1.0, "iou": 1.0, "precision": 1.0, "recall": 1.0}
    collector.add(Sample("x", Path("x.png"), None), np.zeros((1, 6), np.float32), truth, prediction, scores, {1: 1.0}, True)
    confusion = collector.neighbour_confusion()
    pairs = {(p["true"], p["predicted"]): p["fraction"] for p in confusion["pairs"]}
    assert pairs == {("11", "12"): 0.25, ("11", "21"): 0.25}
    assert confusion["neighbour_fraction"] == 2 / 5  # 5 true-tooth pixels found as a tooth, 2 under a neighbour


def test_groups_are_subfolders_only_when_they_are_not_the_splits(tmp_path):
    assert image_groups(index_dataset(write_roboflow(tmp_path / "rf"))) == {}
    assert image_groups(index_dataset(write_separate_folders(tmp_path / "sep"))) == {}


def test_folders_that_are_not_splits_are_groups(tmp_path):
    root = write_separate_folders(tmp_path / "sep")
    for kind in ("images", "masks"):  # clinic folders instead of train/val
        (root / f"train_{kind}").rename(root / f"clinicA_{kind}")
        (root / f"val_{kind}").rename(root / f"clinicB_{kind}")
    groups = image_groups(index_dataset(root))
    assert sorted(set(groups.values())) == ["clinicA_images", "clinicB_images"]
    assert groups["clinicB_images/p0"] == "clinicB_images"
