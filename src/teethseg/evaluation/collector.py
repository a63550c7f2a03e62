"""What the report needs beyond ``metrics.json``'s totals, gathered image by image as
``evaluate`` goes: per-image records (pixel and boundary scores, split, group), the
confusion between FDI numbers, and pictures of the worst images only (memory stays bounded).
"""

from __future__ import annotations

import heapq
import re
from itertools import count
from typing import Any

import numpy as np

from teethseg.data.index import DatasetIndex, Sample
from teethseg.evaluation.boundary import BOUNDARY_NAMES, boundary_scores, pixel_spacing_mm, summarise
from teethseg.evaluation.groups import image_groups
from teethseg.evaluation.metrics import METRIC_NAMES
from teethseg.evaluation.thumbnails import panels

WORST_IMAGES = 8


def neighbours(fdi: str) -> list[str]:
    """The FDI numbers beside a tooth in its arch (across the midline for central incisors)."""
    if len(fdi) != 2 or not fdi.isdigit() or fdi[0] not in "1234" or not "1" <= fdi[1] <= "8":
        return []
    quadrant, position = int(fdi[0]), int(fdi[1])
    found = [f"{quadrant}{p}" for p in (position - 1, position + 1) if 1 <= p <= 8]
    if position == 1:
        across = {1: 2, 2: 1, 3: 4, 4: 3}[quadrant]
        found.append(f"{across}1")
    return sorted(found)


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


class ReportCollector:
    """Per-image records, FDI confusion and the ``worst`` images' pictures.

    Args:
        groups: sample key -> group name (``teethseg.evaluation.groups.image_groups``).
        class_names: the model's classes when teeth are numbered and scored as such, else None.
        worst: how many of the lowest-scoring images keep their pictures.
    """

    def __init__(self, groups: dict[str, str] | None = None, class_names: list[str] | None = None, worst: int = WORST_IMAGES) -> None:
        self.groups = groups or {}
        self.class_names = class_names
        self.worst = worst
        self.records: list[dict[str, Any]] = []
        k = len(class_names) if class_names else 0
        self.confusion = np.zeros((k, k), dtype=np.int64)
        self._kept: list[tuple[float, int, dict[str, Any]]] = []  # max-heap (negated) of the worst
        self._order = count()

    def begin(self, index: DatasetIndex, class_names: list[str] | None) -> None:
        """Called by ``evaluate`` once the data and model are known: the groups of the data, and the
        model's classes when its numbers are scored (None for a mask)."""
        self.groups = self.groups or image_groups(index)
        self.class_names = class_names
        k = len(class_names) if class_names else 0
        self.confusion = np.zeros((k, k), dtype=np.int64)

    @property
    def numbered(self) -> bool:
        return self.class_names is not None

    def add(
        self, sample: Sample, image: np.ndarray, truth: np.ndarray, prediction: np.ndarray, scores: dict[str, float],
        tooth_dice: dict[int, float] | None = None, count_exact: bool | None = None,
    ) -> dict[str, Any]:
        """Record one scored image. ``truth`` and ``prediction``: label maps in the model's classes
        (numbered) or masks; ``image``: the radiograph as grey floats in [0, 1]."""
        spacing = pixel_spacing_mm(sample.image)
        record: dict[str, Any] = {"image": sample.key, "split": sample.split, "group": self.groups.get(sample.key),
                                  **{name: scores[name] for name in METRIC_NAMES},
                                  **boundary_scores(prediction > 0, truth > 0, spacing)}
        if self.numbered:
            record["tooth_dice"] = float(np.mean(list(tooth_dice.values()))) if tooth_dice else None
            record["count_exact"] = count_exact
            k = len(self.class_names)
            pair = truth.astype(np.int64).ravel() * k + np.clip(prediction.astype(np.int64).ravel(), 0, k - 1)
            self.confusion += np.bincount(pair[truth.ravel() < k], minlength=k * k).reshape(k, k)
        self.records.append(record)
        self._keep_if_worst(record, image, truth, prediction)
        return record

    def rank(self, record: dict[str, Any]) -> float:
        """The score images are ranked by: mean per-tooth Dice for numbered models, else Dice."""
        value = record.get("tooth_dice") if self.numbered else record["dice"]
        return 1.0 if value is None else float(value)

    def _keep_if_worst(self, record: dict[str, Any], image: np.ndarray, truth: np.ndarray, prediction: np.ndarray) -> None:
        if self.worst <= 0:
            return
        score = self.rank(record)
        if len(self._kept) >= self.worst and -self._kept[0][0] <= score:
            return
        entry = (-score, next(self._order), {**record, "pictures": panels(image, truth, [prediction])})
        if len(self._kept) < self.worst:
            heapq.heappush(self._kept, entry)
        else:
            heapq.heapreplace(self._kept, entry)

    def worst_images(self) -> list[dict[str, Any]]:
        """The kept images, worst first, each its record plus ``pictures`` (data URIs)."""
        return [entry for _, _, entry in sorted(self._kept, key=lambda e: (-e[0], e[1]))]

    def _scores_of(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        scores: dict[str, Any] = {"images": len(records)}
        for name in ("dice", "iou", *BOUNDARY_NAMES):
            scores[name] = _mean([r[name] for r in records])
        if self.numbered:
            scores["tooth_dice"] = _mean([r["tooth_dice"] for r in records])
            scores["tooth_count_accuracy"] = _mean([float(r["count_exact"]) for r in records if r["count_exact"] is not None])
        return scores

    def _by(self, field: str) -> dict[str, dict[str, Any]]:
        names = sorted({r[field] for r in self.records if r[field] is not None}, key=_natural)
        return {name: self._scores_of([r for r in self.records if r[field] == name]) for name in names}

    def neighbour_confusion(self) -> dict[str, Any]:
        """How often a true tooth's pixels, where a tooth was found, carry a neighbour's number."""
        if not self.numbered:
            return {}
        index = {name: i for i, name in enumerate(self.class_names)}
        pairs, neighbour_pixels = [], 0
        found = self.confusion[1:, 1:].sum()
        for name, i in index.items():
            row = self.confusion[i, 1:].sum()
            for other in neighbours(name):
                if other in index and row:
                    pixels = int(self.confusion[i, index[other]])
                    neighbour_pixels += pixels
                    if pixels:
                        pairs.append({"true": name, "predicted": other, "fraction": pixels / int(row)})
        right = int(np.trace(self.confusion[1:, 1:]))
        pairs.sort(key=lambda p: -p["fraction"])
        return {"neighbour_fraction": float(neighbour_pixels / found) if found else 0.0,
                "other_fraction": float((found - right - neighbour_pixels) / found) if found else 0.0,
                "pairs": pairs}

    def summary(self) -> dict[str, Any]:
        """What joins ``metrics.json``: boundary means, per-split and per-group scores, and the
        neighbour-number confusion of numbered models."""
        summary: dict[str, Any] = {"boundary": summarise(self.records), "splits": self._by("split"), "groups": self._by("group")}
        if self.numbered:
            summary["neighbour_confusion"] = self.neighbour_confusion()
        return summary


def _natural(name: str) -> tuple:
    """'category 2' before 'category 10'."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
