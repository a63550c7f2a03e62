"""``teethseg data convert SRC DST --to masks|coco|yolo``: any layout in, one layout out.

Images are copied byte for byte; masks become label maps (``images/`` + ``masks/``), COCO
polygons (Roboflow's ``train/ valid/ test/`` with ``_annotations.coco.json``) or YOLOv8-seg
polygons. Polygons trace pixel edges, so masks -> coco/yolo -> masks gives the same masks.
Splits and class names are kept. The output is built in a hidden folder beside DST and moved
into place at the end, so an interrupted conversion leaves nothing half-written; a bad image
or annotation is reported in one line and the rest is still converted.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from teethseg.data.coco import CocoWriter
from teethseg.data.index import DatasetIndex, Sample
from teethseg.data.layouts import index_dataset
from teethseg.data.yolo import YoloWriter
from teethseg.errors import TeethsegError
from teethseg.io.files import write_json, write_png
from teethseg.io.images import read_image

FORMATS = ("masks", "coco", "yolo")


class MasksWriter:
    """Writes layout 1: ``images/`` + ``masks/`` (label maps), ``splits.json`` and ``classes.json``."""

    def __init__(self, root: Path, class_names: list[str] | None) -> None:
        self.root = root
        self.class_names = class_names
        self.splits: dict[str, list[str]] = {}

    def add(self, sample: Sample, name: str, labels: np.ndarray) -> None:
        shutil.copyfile(sample.image, _make(self.root / "images") / f"{name}{sample.image.suffix.lower()}")
        write_png(self.root / "masks" / f"{name}.png", labels)
        if sample.split:
            self.splits.setdefault(sample.split, []).append(name)

    def finish(self) -> None:
        if self.splits:
            write_json(self.root / "splits.json", self.splits)
        if self.class_names:
            write_json(self.root / "classes.json", {str(i): n for i, n in enumerate(self.class_names)})


WRITERS = {"masks": MasksWriter, "coco": CocoWriter, "yolo": YoloWriter}


def _make(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _output_names(samples: list[Sample]) -> list[str]:
    """A file name per sample, unique in the whole output: the key's last part, numbered on clashes."""
    seen: set[str] = set()
    names = []
    for sample in samples:
        base = sample.key.rsplit("/", 1)[-1] or sample.image.stem
        name, count = base, 1
        while name.lower() in seen:
            count += 1
            name = f"{base}-{count}"
        seen.add(name.lower())
        names.append(name)
    return names


def _check_destination(dst: Path) -> None:
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise TeethsegError(dst, "already exists and is not empty; choose a new output folder")


def convert_dataset(
    src: str | Path, dst: str | Path, to: str, progress: bool = True
) -> tuple[DatasetIndex, int, list[str]]:
    """Convert SRC into a new folder DST; return the source index, images written and the problems."""
    if to not in WRITERS:
        raise TeethsegError(None, f"unknown output format '{to}' (expected one of {', '.join(FORMATS)})")
    src, dst = Path(src), Path(dst)
    _check_destination(dst)
    index = index_dataset(src)
    problems = [str(p) for p in index.problems]
    dst.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    written = 0
    try:
        writer = WRITERS[to](staging, index.class_names)
        pairs = list(zip(index.samples, _output_names(index.samples)))
        for sample, name in tqdm(pairs, desc="converting", disable=None if progress else True, leave=False):
            try:
                image = read_image(sample.image)
                labels = index.read_mask(sample, image.shape)
            except TeethsegError as error:
                problems.append(str(error))
                continue
            writer.add(sample, name, labels)
            written += 1
        if not written:
            raise TeethsegError(src, "no image could be converted")
        writer.finish()
        _check_destination(dst)
        if dst.exists():
            dst.rmdir()
        os.replace(staging, dst)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return index, written, problems


def convert_command(src: str, dst: str, to: str) -> int:
    """Print what was converted and every problem; exit code 1 when anything was left out."""
    index, written, problems = convert_dataset(src, dst, to)
    for problem in problems:
        print(f"teethseg: error: {problem}", file=sys.stderr)
    print(f"{index.layout.name} -> {to}: {written} of {len(index.samples)} images written to {dst}")
    if problems:
        print(f"{len(problems)} problems (listed above); those files were left out", file=sys.stderr)
    return 1 if problems else 0
