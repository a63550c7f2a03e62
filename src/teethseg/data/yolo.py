"""YOLOv8 segmentation datasets (Ultralytics, Roboflow "YOLOv8" export), and writing them.

``data.yaml`` names the classes and the image folder of each split; the labels of
``.../images/x.jpg`` are in ``.../labels/x.txt``, one object a line: the class, then the
polygon's points as x y pairs normalised to 0..1. An image without a label file, or with an
empty one, has no teeth (YOLO's "background image").

Split folders are taken from ``data.yaml`` when they exist (relative to ``path:`` or to the
file, Roboflow's ``../train/images`` included) and otherwise found by convention:
``<split>/images`` (Roboflow) or ``images/<split>`` (Ultralytics).

A bad line (odd number of coordinates, a box instead of a polygon, an unknown class) makes
the image's :meth:`YoloLayout.read_mask` fail naming the label file and line; points outside
0..1 are reported as a problem at indexing and clipped.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from teethseg.data.classes import category_table, class_mapping
from teethseg.data.index import DatasetIndex, Layout, Problem, Sample
from teethseg.data.polygons import instances, paint_rles, polygon_rles
from teethseg.errors import TeethsegError
from teethseg.io.files import atomic_path
from teethseg.io.images import image_size, is_image_file
from teethseg.io.yaml_files import safe_load

YAML_NAMES = ("data.yaml", "data.yml")
SPLIT_KEYS = ("train", "val", "test")
# Folders tried for a split the YAML does not resolve, most specific first.
CONVENTION_FOLDERS = {"train": ("train",), "val": ("valid", "val"), "test": ("test",)}
FOLDER_OF_SPLIT = {"train": "train", "val": "valid", "test": "test", None: "train"}
OUTSIDE_TOLERANCE = 1e-3  # normalised coordinates: a rounding error, not a point outside


@dataclass
class _Labels:
    """The polygons of one image's label file."""

    file: Path | None
    shapes: list[tuple[int, list[float]]] = field(default_factory=list)  # (value, normalised polygon)
    error: str | None = None


def _read_yaml(path: Path) -> dict:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TeethsegError(path, f"not a readable YAML file ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise TeethsegError(path, "expected a mapping with 'names' and the split folders")
    return data


def _class_names(path: Path, data: dict) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        try:
            table = {int(k): str(v) for k, v in names.items()}
        except (TypeError, ValueError):
            raise TeethsegError(path, "'names' keys must be class numbers 0, 1, ...") from None
        if sorted(table) != list(range(len(table))):
            raise TeethsegError(path, "'names' must number the classes 0, 1, ... without gaps")
        names = [table[i] for i in range(len(table))]
    if not isinstance(names, list) or not names:
        raise TeethsegError(path, "missing 'names': the list of class names")
    if "nc" in data and data["nc"] != len(names):
        raise TeethsegError(path, f"'nc' is {data['nc']} but 'names' lists {len(names)} classes")
    return [str(n) for n in names]


def _labels_folder(images: Path) -> Path:
    """Ultralytics' rule: the last ``images`` folder of the path becomes ``labels``."""
    parts = list(images.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts)
    return images.parent / "labels"


def parse_label_line(line: str, n_classes: int) -> tuple[int, list[float]]:
    """One line ``class x1 y1 x2 y2 ...`` -> (class number, normalised polygon); ValueError says why."""
    tokens = line.split()
    try:
        number = float(tokens[0])
        coordinates = [float(t) for t in tokens[1:]]
    except ValueError:
        raise ValueError("holds something that is not a number") from None
    if not number.is_integer() or not 0 <= number < n_classes:
        raise ValueError(f"class {tokens[0]} is not one of the {n_classes} classes of data.yaml")
    if not all(np.isfinite(coordinates)):
        raise ValueError("has a coordinate that is not a finite number")
    if len(coordinates) == 4:
        raise ValueError("is a box (x y w h), not a polygon: a detection label in a segmentation dataset")
    if len(coordinates) % 2:
        raise ValueError(f"has an odd number of coordinates ({len(coordinates)})")
    if len(coordinates) < 6:
        points = len(coordinates) // 2
        raise ValueError(f"has only {points} point{'s' if points != 1 else ''}, a polygon needs at least 3")
    return int(number), coordinates


class YoloLayout(Layout):
    """YOLOv8-seg: ``data.yaml`` + ``images/`` + ``labels/*.txt`` per split."""

    name = "yolo-seg"
    description = "YOLOv8 segmentation: data.yaml + images/ + labels/*.txt polygons"

    def __init__(self, labels: dict[str, _Labels] | None = None) -> None:
        self.labels = labels or {}

    def _yaml(self, root: Path) -> Path | None:
        return next((root / n for n in YAML_NAMES if (root / n).is_file()), None)

    def detect(self, root: Path) -> bool:
        return self._yaml(root) is not None

    def _split_folders(
        self, root: Path, yaml_path: Path, data: dict, problems: list[Problem]
    ) -> list[tuple[Path, str | None]]:
        base = Path(str(data["path"])) if data.get("path") else root
        base = base if base.is_absolute() else root / base
        found: list[tuple[Path, str | None]] = []
        for key in SPLIT_KEYS:
            given = data.get(key)
            entries = given if isinstance(given, list) else [given] if given else []
            resolved = []
            for entry in entries:
                entry = str(entry).replace("\x00", "")
                inside = Path(*[p for p in Path(entry).parts if p not in ("..", ".", "/")])
                # Ultralytics reads entries relative to `path:`; Roboflow writes "../train/images",
                # meant as the dataset's own train/images, so an escape from the root is tried last.
                candidates = [base / entry, root / inside] if data.get("path") else [root / entry, root / inside]
                candidates.sort(key=lambda c: not c.resolve().is_relative_to(root.resolve()))
                folder = next((c for c in candidates if c.is_dir()), None)
                if folder is not None:
                    resolved.append(folder.resolve())
                elif entry.endswith(".txt"):
                    unsupported = f"'{key}: {entry}': image list files are not supported, give a folder"
                    problems.append(Problem(yaml_path, unsupported))
            if not resolved:
                for name in CONVENTION_FOLDERS[key]:
                    for folder in (root / name / "images", root / "images" / name):
                        if folder.is_dir():
                            resolved.append(folder.resolve())
                            break
                    if resolved:
                        break
            if entries and not resolved:
                problems.append(Problem(yaml_path, f"'{key}: {given}' is not a folder of images here"))
            found.extend((folder, key) for folder in dict.fromkeys(resolved))
        if not found and (root / "images").is_dir():
            found.append(((root / "images").resolve(), None))
        unique, seen = [], set()
        for folder, split in found:  # one folder listed for two splits counts once, first split wins
            if folder not in seen:
                seen.add(folder)
                unique.append((folder, split))
        return unique

    def index(self, root: Path) -> DatasetIndex:
        yaml_path = self._yaml(root)
        if yaml_path is None:
            raise TeethsegError(root, "no data.yaml")
        data = _read_yaml(yaml_path)
        names = _class_names(yaml_path, data)
        try:
            value_of, class_names = class_mapping(names)
        except ValueError as error:
            raise TeethsegError(yaml_path, str(error)) from None
        values = [value_of[n] for n in names]
        problems: list[Problem] = []
        samples: list[Sample] = []
        labels: dict[str, _Labels] = {}
        root_resolved = root.resolve()
        for folder, split in self._split_folders(root, yaml_path, data, problems):
            label_folder = _labels_folder(folder)
            try:
                prefix = folder.relative_to(root_resolved).as_posix() + "/"
            except ValueError:
                prefix = f"{folder.name}/"
            stems = set()
            for image in sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p)):
                key = f"{prefix}{image.stem}"
                stems.add(image.stem)
                label_file = label_folder / f"{image.stem}.txt"
                found = self._read_labels(label_file, values, problems) if label_file.is_file() else _Labels(None)
                labels[key] = found
                samples.append(Sample(key, image, found.file, split))
            if label_folder.is_dir():
                for label_file in sorted(label_folder.glob("*.txt")):
                    if label_file.stem not in stems:
                        problems.append(Problem(label_file, "label file has no image"))
        return DatasetIndex(YoloLayout(labels), root, samples, problems, class_names)

    def _read_labels(self, path: Path, values: list[int], problems: list[Problem]) -> _Labels:
        found = _Labels(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            found.error = f"not a readable text file ({error})"
            return found
        outside = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                cls, polygon = parse_label_line(line, len(values))
            except ValueError as error:
                found.error = f"line {number} {error}"
                return found
            if min(polygon) < -OUTSIDE_TOLERANCE or max(polygon) > 1 + OUTSIDE_TOLERANCE:
                outside.append(number)
            found.shapes.append((values[cls], polygon))
        if outside:
            lines = ", ".join(map(str, outside[:5])) + (", ..." if len(outside) > 5 else "")
            problems.append(Problem(path, f"line {lines}: polygon points outside the image (0..1), clipped"))
        return found

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        found = self.labels.get(sample.key)
        if found is None:
            raise TeethsegError(sample.mask or sample.image, f"{sample.image.name} is not in this dataset's index")
        if found.error:
            raise TeethsegError(found.file, found.error)
        height, width = expected_hw if expected_hw is not None else image_size(sample.image)[::-1]
        scale = np.array([width, height], dtype=float)
        shapes = []
        for value, polygon in found.shapes:
            points = (np.asarray(polygon, dtype=float).reshape(-1, 2) * scale).ravel().tolist()
            shapes.append((value, polygon_rles([points], height, width)))
        return paint_rles(shapes, height, width)


class YoloWriter:
    """Writes a YOLOv8-seg dataset: ``data.yaml`` and ``<split>/images``, ``<split>/labels``.

    Class number k is label value k + 1. Polygons trace pixel edges, so reading them back at
    the image size gives the same label maps; coordinates are written with 6 decimals.
    """

    def __init__(self, root: Path, class_names: list[str] | None) -> None:
        self.root = root
        self.class_names = class_names
        self.pending: list[tuple[Path, int, int, list]] = []
        self.values: set[int] = set()
        self.splits: set[str] = set()

    def add(self, sample: Sample, name: str, labels: np.ndarray) -> None:
        """Copy the image to ``<split>/images/<name><suffix>``; its labels are written by :meth:`finish`."""
        folder = FOLDER_OF_SPLIT.get(sample.split, "train")
        self.splits.add(folder)
        (self.root / folder / "images").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample.image, self.root / folder / "images" / f"{name}{sample.image.suffix.lower()}")
        self.values.update(int(v) for v in np.unique(labels) if v > 0)
        self.pending.append((self.root / folder / "labels" / f"{name}.txt", *labels.shape, instances(labels)))

    def finish(self) -> None:
        names, category_of = category_table(self.class_names, sorted(self.values))
        for path, height, width, found in self.pending:
            lines = []
            for value, polygons in found:
                for polygon in polygons:
                    points = np.asarray(polygon, dtype=float).reshape(-1, 2) / [width, height]
                    lines.append(" ".join([str(category_of[value] - 1), *(f"{v:.6f}" for v in points.ravel())]))
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as temporary:
                temporary.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        description = {"train": "train/images", "val": "valid/images", "test": "test/images"}
        data = {key: value for key, value in description.items() if value.split("/")[0] in self.splits}
        data.update(nc=len(names), names=names)
        with atomic_path(self.root / "data.yaml") as temporary:
            temporary.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
