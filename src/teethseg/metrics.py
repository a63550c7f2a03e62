"""Pixel accuracy, Dice, IoU, precision and recall from exact confusion counts.

Counts are integers, so a score is the same whether pooled over all pixels or averaged
over images, and empty masks get defined values (1.0 when both prediction and truth are
empty) where a plain ratio would give NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRIC_NAMES = ("accuracy", "dice", "iou", "precision", "recall")


@dataclass(frozen=True)
class Counts:
    """Confusion counts of a binary mask against its truth."""

    tp: int
    fp: int
    fn: int
    tn: int

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)


def confusion_counts(prediction: np.ndarray, truth: np.ndarray) -> Counts:
    """Counts for two same-shape masks (any non-zero value is foreground)."""
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction {prediction.shape} and truth {truth.shape} differ in shape")
    p = np.asarray(prediction).astype(bool).ravel()
    t = np.asarray(truth).astype(bool).ravel()
    tp = int(np.count_nonzero(p & t))
    fp = int(np.count_nonzero(p)) - tp
    fn = int(np.count_nonzero(t)) - tp
    return Counts(tp, fp, fn, p.size - tp - fp - fn)


def _ratio(numerator: int, denominator: int) -> float:
    return 1.0 if denominator == 0 else numerator / denominator


def scores(counts: Counts) -> dict[str, float]:
    """All five scores of one set of counts."""
    tp, fp, fn, tn = counts.tp, counts.fp, counts.fn, counts.tn
    return {
        "accuracy": _ratio(tp + tn, tp + fp + fn + tn),
        "dice": _ratio(2 * tp, 2 * tp + fp + fn),
        "iou": _ratio(tp, tp + fp + fn),
        "precision": _ratio(tp, tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0),
        "recall": _ratio(tp, tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0),
    }


def compute_binary_scores(prediction: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Functional form: the scores of one prediction against its truth."""
    return scores(confusion_counts(prediction, truth))


class BinaryMetrics:
    """Accumulate per-image counts; report mean over images and pooled over all pixels."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.counts: list[Counts] = []

    def update(self, prediction: np.ndarray, truth: np.ndarray, name: str = "") -> dict[str, float]:
        counts = confusion_counts(prediction, truth)
        self.names.append(name)
        self.counts.append(counts)
        return scores(counts)

    def per_image(self) -> list[dict[str, float | str]]:
        return [{"image": n, **scores(c)} for n, c in zip(self.names, self.counts)]

    def summary(self) -> dict[str, dict[str, float] | int]:
        if not self.counts:
            raise ValueError("no images were scored")
        per_image = [scores(c) for c in self.counts]
        mean = {k: float(np.mean([s[k] for s in per_image])) for k in METRIC_NAMES}
        total = self.counts[0]
        for counts in self.counts[1:]:
            total = total + counts
        return {"images": len(self.counts), "mean_over_images": mean, "over_all_pixels": scores(total)}
