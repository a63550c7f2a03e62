"""What a dataset is once read: its samples, their problems, and the layout that reads its masks.

Each layout is a small class with ``detect`` (does this folder look like me?), ``index``
(list samples and problems) and ``read_mask`` (a uint8 label map, 0 = background); masks that
come from annotations rather than files are produced by their layout's ``read_mask``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from teethseg.errors import TeethsegError
from teethseg.io.images import is_image_file, read_mask

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


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.stem.endswith("_mask"))


def pair_images_with_masks(
    image_dir: Path, mask_dir: Path, split: str | None, key_prefix: str, samples: list[Sample], problems: list[Problem]
) -> None:
    """Match ``<stem>.*`` images with ``<stem>.png`` or ``<stem>_mask.png`` masks."""
    masks = {p.stem: p for p in mask_dir.iterdir() if p.is_file() and is_image_file(p)}
    used: set[str] = set()
    for image in images_in(image_dir):
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
