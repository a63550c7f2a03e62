"""YOLOv8 segmentation datasets, Roboflow's export and Ultralytics' own layout, built here."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from teethseg.cli import main
from teethseg.data.check import check_dataset
from teethseg.data.layouts import index_dataset
from teethseg.errors import TeethsegError
from tests.data.test_coco import SIZE, box_polygon, check_and_train, picture, rectangles, shared_sample


def yolo_line(cls: int, polygon: list[float]) -> str:
    height, width = SIZE
    coordinates = [v / (width if i % 2 == 0 else height) for i, v in enumerate(polygon)]
    return " ".join([str(cls), *(f"{v:.6f}" for v in coordinates)])


def write_yolo(root: Path, counts: dict[str, int] | None = None, names=("tooth",), ultralytics: bool = False) -> dict[str, np.ndarray]:
    """Roboflow's YOLOv8 export (``<split>/images``, ``../<split>/images`` in data.yaml) or
    Ultralytics' (``images/<split>``, ``path: .``). The last image of a split has no label file."""
    counts = counts or {"train": 3, "valid": 2, "test": 1}
    expected = {}
    seed = 0
    for split, count in counts.items():
        images = root / ("images" if ultralytics else split) / (split if ultralytics else "images")
        labels = root / ("labels" if ultralytics else split) / (split if ultralytics else "labels")
        images.mkdir(parents=True)
        labels.mkdir(parents=True)
        for k in range(count):
            name = f"img{k}_jpg.rf.{seed:04x}"
            Image.fromarray(picture(seed)).save(images / f"{name}.jpg", quality=95)
            truth = np.zeros(SIZE, np.uint8)
            if k < count - 1:
                lines = []
                for j, (left, top, width, height) in enumerate(rectangles(seed)):
                    lines.append(yolo_line(j % len(names), box_polygon(left, top, width, height)))
                    truth[top : top + height, left : left + width] = j % len(names) + 1
                (labels / f"{name}.txt").write_text("\n".join(lines) + "\n")
            key = f"{images.relative_to(root).as_posix()}/{name}"
            expected[key] = truth
            seed += 1
    keys = {"train": "train", "valid": "val", "test": "test"}
    if ultralytics:
        data = {"path": ".", **{keys[s]: f"images/{s}" for s in counts}, "names": dict(enumerate(names))}
    else:
        data = {**{keys[s]: f"../{s}/images" for s in counts}, "nc": len(names), "names": list(names)}
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    return expected


@pytest.mark.parametrize("ultralytics", [False, True])
def test_yolo_seg_dataset(tmp_path, ultralytics):
    expected = write_yolo(tmp_path / "y", ultralytics=ultralytics)
    index = index_dataset(tmp_path / "y")
    assert index.layout.name == "yolo-seg" and index.problems == []
    assert index.class_names == ["background", "tooth"]
    assert {s.key for s in index.samples} == set(expected)
    train, val = index.split()
    assert len(train) == 3 and len(val) == 2
    for sample in index.samples:
        np.testing.assert_array_equal(index.read_mask(sample, SIZE), expected[sample.key])
        np.testing.assert_array_equal(index.read_mask(sample), expected[sample.key])


def test_fdi_names_and_background_images(tmp_path):
    expected = write_yolo(tmp_path / "y", {"train": 2}, names=("11", "12", "41"))
    index = index_dataset(tmp_path / "y")
    assert len(index.class_names) == 33
    first, background = index.samples
    mask = index.read_mask(first)
    np.testing.assert_array_equal(mask, np.vectorize({0: 0, 1: 1, 2: 2, 3: 25}.get)(expected[first.key]))
    assert background.mask is None and not index.read_mask(background).any()


def test_split_folders_found_when_data_yaml_paths_are_stale(tmp_path):
    write_yolo(tmp_path / "y")
    (tmp_path / "y" / "data.yaml").write_text(yaml.safe_dump({
        "train": "/content/datasets/teeth/train/images", "val": "/content/datasets/teeth/valid/images", "names": ["tooth"],
    }))
    index = index_dataset(tmp_path / "y")
    assert sorted({s.split for s in index.samples}) == ["test", "train", "val"]
    assert index.problems == []


LINE = "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5"


@pytest.mark.parametrize(
    "line, message",
    [
        ("0 0.1 0.1 0.5 0.1 0.5 0.5 0.1", "line 2 has an odd number of coordinates (7)"),
        ("0 0.5 0.5 0.2 0.2", "line 2 is a box (x y w h), not a polygon"),
        ("3 0.1 0.1 0.5 0.1 0.5 0.5", "line 2 class 3 is not one of the 1 classes of data.yaml"),
        ("0 0.1 0.1 zero 0.1 0.5 0.5", "line 2 holds something that is not a number"),
        ("0 0.1 0.1", "line 2 has only 1 point, a polygon needs at least 3"),
        ("0 0.1 0.1 nan 0.1 0.5 0.5", "line 2 has a coordinate that is not a finite number"),
    ],
)
def test_bad_label_lines_name_file_and_line(tmp_path, line, message):
    write_yolo(tmp_path / "y", {"train": 3, "valid": 2})
    label = tmp_path / "y" / "train" / "labels" / "img0_jpg.rf.0000.txt"
    label.write_text(f"{LINE}\n{line}\n")
    report = check_dataset(tmp_path / "y", progress=False)
    assert [p.path for p in report.problems] == [label] and message in report.problems[0].problem
    assert report.good == 4  # every other image is fine
    index = index_dataset(tmp_path / "y")
    with pytest.raises(TeethsegError, match="img0_jpg.rf.0000.txt: line 2"):
        index.read_mask(index.samples[0], SIZE)


def test_points_outside_the_image_are_reported_and_clipped(tmp_path):
    write_yolo(tmp_path / "y", {"train": 2})
    label = tmp_path / "y" / "train" / "labels" / "img0_jpg.rf.0000.txt"
    label.write_text("0 -0.5 -0.5 0.5 -0.5 0.5 0.5 -0.5 0.5\n")
    index = index_dataset(tmp_path / "y")
    assert [(p.path, p.problem) for p in index.problems] == [(label, "line 1: polygon points outside the image (0..1), clipped")]
    mask = index.read_mask(index.samples[0], SIZE)
    assert mask[: SIZE[0] // 2, : SIZE[1] // 2].all() and mask.sum() == (SIZE[0] // 2) * (SIZE[1] // 2)


def test_empty_label_file_is_a_background_image(tmp_path):
    write_yolo(tmp_path / "y", {"train": 2})
    (tmp_path / "y" / "train" / "labels" / "img0_jpg.rf.0000.txt").write_text("")
    index = index_dataset(tmp_path / "y")
    assert index.problems == [] and not index.read_mask(index.samples[0]).any()


def test_orphan_labels_and_unreadable_label_files(tmp_path):
    write_yolo(tmp_path / "y", {"train": 3})
    (tmp_path / "y" / "train" / "labels" / "ghost.txt").write_text(LINE)
    (tmp_path / "y" / "train" / "labels" / "img1_jpg.rf.0001.txt").write_bytes(b"\xff\xfe\x00binary")
    report = check_dataset(tmp_path / "y", progress=False)
    problems = {(p.path.name, p.problem.split(" (")[0]) for p in report.problems}
    assert problems == {("ghost.txt", "label file has no image"), ("img1_jpg.rf.0001.txt", "not a readable text file")}


@pytest.mark.parametrize(
    "content, message",
    [
        ({"train": "train/images"}, "missing 'names'"),
        ({"names": ["a", "b"], "nc": 3}, "'nc' is 3 but 'names' lists 2 classes"),
        ({"names": {0: "a", 2: "b"}}, "without gaps"),
        ("names: [unclosed", "not a readable YAML file"),
        ("- just\n- a list\n", "expected a mapping"),
        ("", "expected a mapping"),
    ],
)
def test_bad_data_yaml_is_one_clear_error(tmp_path, content, message, capsys):
    write_yolo(tmp_path / "y", {"train": 2})
    (tmp_path / "y" / "data.yaml").write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    with pytest.raises(TeethsegError, match=message) as error:
        index_dataset(tmp_path / "y")
    assert "data.yaml" in str(error.value)
    assert main(["data", "check", str(tmp_path / "y")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_and_train_on_a_yolo_export_of_the_shared_data(tmp_path, capsys):
    source = shared_sample(tmp_path / "masks")
    assert main(["data", "convert", str(source), str(tmp_path / "yolo"), "--to", "yolo"]) == 0
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["train"] == "train/images" and data["val"] == "valid/images" and data["nc"] == 32
    check_and_train(tmp_path / "yolo", tmp_path, capsys)
