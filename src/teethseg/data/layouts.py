"""Dataset layouts: detect how a folder of radiographs and masks is organised, then list it.

The layouts of mask files live here, those of annotations (COCO, YOLO-seg) in their own modules;
each is a ``teethseg.data.index.Layout`` in :data:`LAYOUTS`, tried in order.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from teethseg.data.coco import CocoLayout
from teethseg.data.index import SPLIT_NAMES, DatasetIndex, Layout, Problem, Sample, pair_images_with_masks
from teethseg.data.yolo import YoloLayout
from teethseg.errors import TeethsegError
from teethseg.io.json_files import load_json


class ImagesMasksLayout(Layout):
    """``images/`` + ``masks/`` with the same stems; optional ``splits.json`` and ``classes.json``."""

    name = "images-masks"
    description = "images/ + masks/ folders (label maps), optional splits.json"

    def detect(self, root: Path) -> bool:
        return (root / "images").is_dir() and (root / "masks").is_dir()

    def index(self, root: Path) -> DatasetIndex:
        samples: list[Sample] = []
        problems: list[Problem] = []
        pair_images_with_masks(root / "images", root / "masks", None, "", samples, problems)
        splits_file = root / "splits.json"
        if splits_file.is_file():
            try:
                splits = load_json(splits_file.read_text(encoding="utf-8"))
                split_of = {str(k): SPLIT_NAMES.get(name, name) for name, keys in splits.items() for k in keys}
            except (ValueError, AttributeError, TypeError) as error:
                raise TeethsegError(splits_file, f"not a valid splits file ({error})") from None
            samples = [Sample(s.key, s.image, s.mask, split_of.get(s.key)) for s in samples]
        class_names = None
        classes_file = root / "classes.json"
        if classes_file.is_file():
            try:
                classes = load_json(classes_file.read_text(encoding="utf-8"))
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
            pair_images_with_masks(folder, folder, SPLIT_NAMES[folder.name], f"{folder.name}/", samples, problems)
            classes_csv = folder / "_classes.csv"
            if class_names is None and classes_csv.is_file():
                class_names = _read_classes_csv(classes_csv)
        return DatasetIndex(self, root, samples, problems, class_names)


def _read_classes_csv(path: Path) -> list[str]:
    """Roboflow's ``_classes.csv``: ``Pixel Value, Class`` rows."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
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
            pair_images_with_masks(images, masks, split, f"{images.name}/", samples, problems)
        return DatasetIndex(self, root, samples, problems, ["background", "tooth"])

    def read_mask(self, sample: Sample, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
        return (super().read_mask(sample, expected_hw) > 0).astype(np.uint8)


LAYOUTS: list[Layout] = [ImagesMasksLayout(), RoboflowMasksLayout(), SeparateFoldersLayout(), CocoLayout(), YoloLayout()]


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
