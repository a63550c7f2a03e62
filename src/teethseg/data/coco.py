"""COCO segmentation datasets as Roboflow exports them, and writing them.

Roboflow writes ``train/ valid/ test/``, each holding its images and one
``_annotations.coco.json`` (a single folder with the file at its root works too). Each
annotation is polygons or RLE; the mask of an image is the union of its annotations, painted
in class order. Roboflow adds an unused "umbrella" category (the project name) that is the
``supercategory`` of the real ones: it is dropped. Images without annotations have no teeth.

Problems are reported where they are found: a broken file, an annotation of an unknown image
or a listed image that is missing are index problems; a bad annotation of a known image makes
that image's :meth:`CocoLayout.read_mask` fail, naming the annotation file, so ``data check``
reports it once and training skips the image. Polygon points outside the image (more than
:data:`~teethseg.data.polygons.OUTSIDE_TOLERANCE_PX`) are reported as a problem, and clipped.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.data.classes import category_table, class_mapping
from teethseg.data.index import SPLIT_NAMES, DatasetIndex, Layout, Problem, Sample
from teethseg.data.polygons import (
    checked_rle,
    instances,
    paint_rles,
    points_outside,
    polygon_problem,
    polygon_rles,
    rasterise_polygons,
)
from teethseg.errors import TeethsegError
from teethseg.io.files import write_json
from teethseg.io.images import image_size, is_image_file
from teethseg.io.json_files import load_json

ANNOTATIONS = "_annotations.coco.json"
SPLIT_FOLDERS = ("train", "valid", "val", "test")
# Where a converted dataset puts each split, as Roboflow names them.
FOLDER_OF_SPLIT = {"train": "train", "val": "valid", "test": "test", None: "train"}


@dataclass
class _Image:
    """The annotations of one image, as read from its COCO file."""

    annotations_file: Path
    file_name: str
    width: int | None
    height: int | None
    shapes: list[tuple[int, Any]] = field(default_factory=list)  # (value, polygons or RLE dict)
    error: str | None = None

    def fail(self, problem: str) -> None:
        if self.error is None:
            self.error = problem


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _id(value: Any) -> Any:
    """An id usable as a dict key; hostile values (lists, objects) become strings that match nothing."""
    return value if isinstance(value, (int, str)) else f"<invalid {value!r}>"


def _load(path: Path, problems: list[Problem]) -> dict | None:
    """The parsed annotation file, or None (with a problem) when it cannot be used."""
    try:
        data = load_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        problems.append(Problem(path, f"not a readable COCO JSON file ({error})"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path, "not a COCO file: expected a JSON object"))
        return None
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            state = "missing" if key not in data else "not a list"
            problems.append(Problem(path, f"COCO field '{key}' is {state}"))
            return None
    for i, category in enumerate(data["categories"]):
        if not isinstance(category, dict) or "id" not in category or "name" not in category:
            problems.append(Problem(path, f"categories[{i}] needs an 'id' and a 'name'"))
            return None
    return data


def _real_categories(data: dict) -> list[dict]:
    """Categories without Roboflow's unused umbrella category, in id order."""
    used = {_id(a.get("category_id")) for a in data["annotations"] if isinstance(a, dict)}
    parents = {str(c.get("supercategory")) for c in data["categories"]}
    categories = [c for c in data["categories"] if _id(c["id"]) in used or str(c["name"]) not in parents]
    return sorted(categories, key=lambda c: (0, c["id"], "") if isinstance(c["id"], int) else (1, 0, str(c["id"])))


def _read_annotation(annotation: dict, image: _Image, value: int, problems: list[Problem]) -> None:
    """Check one annotation's segmentation and add it to its image."""
    name = f"annotation {annotation.get('id', '?')} of {image.file_name}"
    segmentation = annotation.get("segmentation")
    if segmentation is None:
        image.fail(f"{name} has no 'segmentation'")
    elif isinstance(segmentation, dict):
        image.shapes.append((value, segmentation))
    elif isinstance(segmentation, list) and segmentation:
        for polygon in segmentation:
            problem = polygon_problem(polygon)
            if problem:
                image.fail(f"{name}: {problem}")
                return
        if image.width and image.height and any(points_outside(p, image.height, image.width) for p in segmentation):
            size = f"{image.width}x{image.height}"
            problems.append(Problem(image.annotations_file, f"{name}: polygon points outside the {size} image, clipped"))
        image.shapes.append((value, segmentation))
    else:
        image.fail(f"{name} has an empty or invalid segmentation (a detection-only export?)")


class CocoLayout(Layout):
    """Roboflow COCO segmentation export: ``<split>/_annotations.coco.json`` beside the images."""

    name = "coco"
    description = "COCO segmentation (Roboflow export): train/ valid/ test/ with _annotations.coco.json"

    def __init__(self, images: dict[str, _Image] | None = None) -> None:
        self.images = images or {}

    def _files(self, root: Path) -> list[tuple[Path, str | None]]:
        files = [(root / ANNOTATIONS, None)] if (root / ANNOTATIONS).is_file() else []
        files += [(root / d / ANNOTATIONS, SPLIT_NAMES[d]) for d in SPLIT_FOLDERS if (root / d / ANNOTATIONS).is_file()]
        return files

    def detect(self, root: Path) -> bool:
        return bool(self._files(root))

    def index(self, root: Path) -> DatasetIndex:
        problems: list[Problem] = []
        loaded = [(path, split, data) for path, split in self._files(root) if (data := _load(path, problems)) is not None]
        names = [str(c["name"]) for _, _, data in loaded for c in _real_categories(data)]
        try:
            value_of, class_names = class_mapping(names)
        except ValueError as error:
            raise TeethsegError(loaded[0][0], str(error)) from None
        samples: list[Sample] = []
        images: dict[str, _Image] = {}
        for path, split, data in loaded:
            self._index_file(path, split, data, value_of, samples, images, problems)
        return DatasetIndex(CocoLayout(images), root, samples, problems, class_names if names else None)

    def _index_file(
        self,
        path: Path,
        split: str | None,
        data: dict,
        value_of: dict[str, int],
        samples: list[Sample],
        images: dict[str, _Image],
        problems: list[Problem],
    ) -> None:
        folder = path.parent
        prefix = "" if split is None else f"{folder.name}/"
        values = {_id(c["id"]): value_of[str(c["name"])] for c in _real_categories(data)}
        by_id: dict[Any, _Image] = {}
        listed: set[str] = set()
        for i, entry in enumerate(data["images"]):
            if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("file_name"), str):
                problems.append(Problem(path, f"images[{i}] needs an 'id' and a 'file_name'"))
                continue
            width, height = entry.get("width"), entry.get("height")
            if (width is not None or height is not None) and not (_is_count(width) and _is_count(height)):
                problems.append(Problem(path, f"images[{i}] ({entry['file_name']}) has an invalid width or height"))
                continue
            if _id(entry["id"]) in by_id:
                problems.append(Problem(path, f"images[{i}]: image id {entry['id']} is used twice"))
                continue
            file = folder / entry["file_name"]
            if "\x00" in entry["file_name"] or not file.resolve().is_relative_to(folder.resolve()):
                problems.append(Problem(path, f"images[{i}]: file name {entry['file_name']!r} points outside {folder}"))
                continue
            listed.add(Path(entry["file_name"]).name)
            record = _Image(path, entry["file_name"], width, height)
            by_id[_id(entry["id"])] = record
            if not file.is_file():
                problems.append(Problem(file, f"listed in {path.name} but not found"))
                continue
            key = f"{prefix}{Path(entry['file_name']).with_suffix('').as_posix()}"
            if key in images:
                key = f"{prefix}{entry['file_name']}"
            images[key] = record
            samples.append(Sample(key, file, path, split))
        for i, annotation in enumerate(data["annotations"]):
            if not isinstance(annotation, dict) or "image_id" not in annotation:
                problems.append(Problem(path, f"annotations[{i}] has no 'image_id'"))
                continue
            image = by_id.get(_id(annotation["image_id"]))
            name = f"annotation {annotation.get('id', f'[{i}]')}"
            if image is None:
                problems.append(Problem(path, f"{name} refers to unknown image id {annotation['image_id']!r}"))
                continue
            if "category_id" not in annotation:
                image.fail(f"{name} of {image.file_name} has no 'category_id'")
            elif _id(annotation["category_id"]) not in values:
                image.fail(f"{name} of {image.file_name} has unknown category id {annotation['category_id']!r}")
            else:
                _read_annotation(annotation, image, values[_id(annotation["category_id"])], problems)
        for file in sorted(folder.iterdir()):
            if file.is_file() and is_image_file(file) and file.name not in listed:
                problems.append(Problem(file, f"image not listed in {path.name}"))

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        image = self.images.get(sample.key)
        if image is None:
            raise TeethsegError(sample.mask or sample.image, f"{sample.image.name} is not in this dataset's annotations")
        if image.error:
            raise TeethsegError(image.annotations_file, image.error)
        height, width = expected_hw if expected_hw is not None else image_size(sample.image)[::-1]
        if image.width and image.height and (image.height, image.width) != (height, width):
            raise TeethsegError(
                image.annotations_file,
                f"{image.file_name} is {width}x{height} but its annotations say {image.width}x{image.height}",
            )
        shapes = []
        for value, shape in image.shapes:
            try:
                if isinstance(shape, dict):
                    rles = [checked_rle(shape, height, width)]
                else:
                    rles = polygon_rles(shape, height, width)
            except (ValueError, TypeError) as error:
                raise TeethsegError(image.annotations_file, f"{image.file_name}: bad RLE segmentation ({error})") from None
            shapes.append((value, rles))
        return paint_rles(shapes, height, width)


class CocoWriter:
    """Writes a Roboflow-style COCO export: ``train/ valid/ test/`` with ``_annotations.coco.json``.

    Each connected region of each class becomes one polygon annotation; category ids are the
    label values, so reading the export back gives the same label maps.
    """

    def __init__(self, root: Path, class_names: list[str] | None) -> None:
        self.root = root
        self.class_names = class_names
        self.entries: dict[str, list[tuple[str, int, int, list]]] = {}
        self.values: set[int] = set()

    def add(self, sample: Sample, name: str, labels: np.ndarray) -> None:
        """Copy the sample's image as ``<folder>/<name><suffix>`` and keep its annotations."""
        folder = FOLDER_OF_SPLIT.get(sample.split, "train")
        file_name = f"{name}{sample.image.suffix.lower()}"
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample.image, self.root / folder / file_name)
        self.values.update(int(v) for v in np.unique(labels) if v > 0)
        self.entries.setdefault(folder, []).append((file_name, *labels.shape, instances(labels)))

    def finish(self) -> None:
        names, category_of = category_table(self.class_names, sorted(self.values))
        categories = [{"id": i, "name": n, "supercategory": "none"} for i, n in enumerate(names, start=1)]
        for folder, entries in self.entries.items():
            images, annotations = [], []
            for image_id, (file_name, height, width, found) in enumerate(entries):
                images.append({"id": image_id, "file_name": file_name, "height": height, "width": width})
                for value, polygons in found:
                    xs = [v for p in polygons for v in p[0::2]]
                    ys = [v for p in polygons for v in p[1::2]]
                    region = rasterise_polygons(polygons, height, width)
                    annotations.append({
                        "id": len(annotations),
                        "image_id": image_id,
                        "category_id": category_of[value],
                        "segmentation": polygons,
                        "area": int(region.sum()),
                        "bbox": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
                        "iscrowd": 0,
                    })
            write_json(self.root / folder / ANNOTATIONS, {
                "info": {"description": "written by teethseg data convert"},
                "categories": categories,
                "images": images,
                "annotations": annotations,
            })
