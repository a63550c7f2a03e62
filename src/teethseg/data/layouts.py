"""Dataset layouts: detect how a folder of radiographs and masks is organised, then list it.

Each layout is a small class with ``detect`` (does this folder look like me?), ``index``
(list samples and problems) and ``read_mask`` (a uint8 label map, 0 = background). New
layouts (COCO, YOLO-seg) slot in by adding a class to :data:`LAYOUTS`; masks that come
from annotations rather than files are produced by their layout's ``read_mask``.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from teethseg.errors import TeethsegError
from teethseg.io import is_image_file, read_mask

SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val",
               "validation": "val", "test": "test", "testing": "test"}


@dataclass(frozen=True)
class Sample:
    """One radiograph and where its mask comes from."""

    key: str
    image: Path
    mask: Path | None
    split: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file of a dataset."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class DatasetIndex:
    """What a layout found in a folder: its samples, its problems and its class names."""

    layout: "Layout"
    root: Path
    samples: list[Sample]
    problems: list[Problem] = field(default_factory=list)
    class_names: list[str] | None = None

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        """The sample's label map (uint8, 0 = background, >0 = tooth or tooth class)."""
        return self.layout.read_mask(sample, expected_hw)

    def split(self, seed: int = 0, val_fraction: float = 0.15) -> tuple[list[Sample], list[Sample]]:
        """Train and validation samples: from the layout when it has them, else a seeded split."""
        train = [s for s in self.samples if s.split == "train"]
        val = [s for s in self.samples if s.split == "val"]
        if train and val:
            return train, val
        pool = [s for s in self.samples if s.split != "test"]
        if len(pool) < 2:
            raise TeethsegError(self.root, f"need at least 2 labelled images to train, found {len(pool)}")
        shuffled = sorted(pool, key=lambda s: s.key)
        random.Random(seed).shuffle(shuffled)
        n_val = max(1, round(len(shuffled) * val_fraction))
        return shuffled[n_val:], shuffled[:n_val]


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.stem.endswith("_mask"))


def _pair_images_with_masks(
    image_dir: Path, mask_dir: Path, split: str | None, key_prefix: str, samples: list[Sample], problems: list[Problem]
) -> None:
    """Match ``<stem>.*`` images with ``<stem>.png`` or ``<stem>_mask.png`` masks."""
    masks = {p.stem: p for p in mask_dir.iterdir() if p.is_file() and is_image_file(p)}
    used: set[str] = set()
    for image in _images_in(image_dir):
        mask = masks.get(f"{image.stem}_mask") or (masks.get(image.stem) if mask_dir != image_dir else None)
        if mask is None:
            problems.append(Problem(image, "image has no mask"))
            continue
        used.add(mask.stem)
        samples.append(Sample(f"{key_prefix}{image.stem}", image, mask, split))
    for stem, mask in sorted(masks.items()):
        if stem not in used and (mask_dir != image_dir or stem.endswith("_mask")):
            problems.append(Problem(mask, "mask has no image"))


class Layout:
    """Base class: a layout whose masks are label-map files."""

    name = "base"
    description = ""

    def detect(self, root: Path) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def index(self, root: Path) -> DatasetIndex:  # pragma: no cover - overridden
        raise NotImplementedError

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        if sample.mask is None:
            raise TeethsegError(sample.image, "image has no mask")
        return read_mask(sample.mask, expected_hw)


class ImagesMasksLayout(Layout):
    """``images/`` + ``masks/`` with the same stems; optional ``splits.json`` and ``classes.json``."""

    name = "images-masks"
    description = "images/ + masks/ folders (label maps), optional splits.json"

    def detect(self, root: Path) -> bool:
        return (root / "images").is_dir() and (root / "masks").is_dir()

    def index(self, root: Path) -> DatasetIndex:
        samples: list[Sample] = []
        problems: list[Problem] = []
        _pair_images_with_masks(root / "images", root / "masks", None, "", samples, problems)
        splits_file = root / "splits.json"
        if splits_file.is_file():
            try:
                splits = json.loads(splits_file.read_text())
                split_of = {str(k): SPLIT_NAMES.get(name, name) for name, keys in splits.items() for k in keys}
            except (ValueError, AttributeError, TypeError) as error:
                raise TeethsegError(splits_file, f"not a valid splits file ({error})") from None
            samples = [Sample(s.key, s.image, s.mask, split_of.get(s.key)) for s in samples]
        class_names = None
        classes_file = root / "classes.json"
        if classes_file.is_file():
            try:
                classes = json.loads(classes_file.read_text())
                class_names = [classes[str(i)] for i in range(len(classes))]
            except (ValueError, KeyError, TypeError) as error:
                raise TeethsegError(classes_file, f"not a valid classes file ({error})") from None
        return DatasetIndex(self, root, samples, problems, class_names)


class RoboflowMasksLayout(Layout):
    """Roboflow "semantic segmentation masks": ``train/ valid/ test/`` with ``<name>_mask.png``."""

    name = "roboflow-masks"
    description = "Roboflow semantic-segmentation export: train/ valid/ test/ with <name>_mask.png"

    def _split_dirs(self, root: Path) -> list[Path]:
        return [root / d for d in ("train", "valid", "val", "test") if (root / d).is_dir()]

    def detect(self, root: Path) -> bool:
        return any(any(d.glob("*_mask.png")) for d in self._split_dirs(root))

    def index(self, root: Path) -> DatasetIndex:
        samples: list[Sample] = []
        problems: list[Problem] = []
        class_names = None
        for folder in self._split_dirs(root):
            _pair_images_with_masks(folder, folder, SPLIT_NAMES[folder.name], f"{folder.name}/", samples, problems)
            classes_csv = folder / "_classes.csv"
            if class_names is None and classes_csv.is_file():
                class_names = _read_classes_csv(classes_csv)
        return DatasetIndex(self, root, samples, problems, class_names)


def _read_classes_csv(path: Path) -> list[str]:
    """Roboflow's ``_classes.csv``: ``Pixel Value, Class`` rows."""
    try:
        with path.open(newline="") as handle:
            rows = [r for r in csv.reader(handle) if r]
        table = {int(r[0]): r[1].strip() for r in rows[1:]}
        return [table.get(i, str(i)) for i in range(max(table) + 1)]
    except (ValueError, IndexError) as error:
        raise TeethsegError(path, f"not a valid Roboflow classes file ({error})") from None


class SeparateFoldersLayout(Layout):
    """``<split>_images/`` + ``<split>_masks/`` (or ``images_<split>``), masks ``<name>_mask.png`` of 0/255."""

    name = "separate-folders"
    description = "<split>_images/ + <split>_masks/ folders with <name>_mask.png (0/255)"

    def _pairs(self, root: Path) -> list[tuple[Path, Path]]:
        pairs = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and "images" in p.name.lower()):
            masks = root / folder.name.replace("images", "masks").replace("Images", "Masks")
            if masks.is_dir() and masks != folder:
                pairs.append((folder, masks))
        return pairs

    def detect(self, root: Path) -> bool:
        return any(any(m.glob("*_mask.*")) for _, m in self._pairs(root))

    def index(self, root: Path) -> DatasetIndex:
        samples: list[Sample] = []
        problems: list[Problem] = []
        for images, masks in self._pairs(root):
            word = images.name.lower().replace("images", "").strip("_- ")
            split = SPLIT_NAMES.get(word)
            _pair_images_with_masks(images, masks, split, f"{images.name}/", samples, problems)
        return DatasetIndex(self, root, samples, problems, ["background", "tooth"])

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        return (super().read_mask(sample, expected_hw) > 0).astype(np.uint8)


LAYOUTS: list[Layout] = [ImagesMasksLayout(), RoboflowMasksLayout(), SeparateFoldersLayout()]

# Layouts whose masks come from annotations live in their own modules, which import this one.
from teethseg.data.coco import CocoLayout  # noqa: E402
from teethseg.data.yolo import YoloLayout  # noqa: E402

LAYOUTS += [CocoLayout(), YoloLayout()]


def find_layout(root: str | Path) -> Layout:
    """The first layout that recognises ``root``, or a clear error."""
    root = Path(root)
    if not root.exists():
        raise TeethsegError(root, "data folder not found")
    if not root.is_dir():
        raise TeethsegError(root, "expected a data folder")
    if not any(root.iterdir()):
        raise TeethsegError(root, "empty data folder")
    for layout in LAYOUTS:
        if layout.detect(root):
            return layout
    known = "; ".join(layout.description for layout in LAYOUTS)
    raise TeethsegError(root, f"no known dataset layout found (known: {known})")


def index_dataset(root: str | Path) -> DatasetIndex:
    """Detect the layout of ``root`` and list its samples; error when none has a mask."""
    root = Path(root)
    index = find_layout(root).index(root)
    if not index.samples:
        raise TeethsegError(root, f"no image with a mask found ({index.layout.name} layout)")
    return index
