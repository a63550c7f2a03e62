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


def per_class_dice(prediction: np.ndarray, truth: np.ndarray, num_classes: int) -> dict[int, float]:
    """Dice of every class 1..K that is in the truth or the prediction of one image."""
    p = np.asarray(prediction).ravel().astype(np.int64)
    t = np.asarray(truth).ravel().astype(np.int64)
    p_count = np.bincount(p, minlength=num_classes)[:num_classes]
    t_count = np.bincount(t, minlength=num_classes)[:num_classes]
    both = np.bincount(p[p == t], minlength=num_classes)[:num_classes]
    return {c: 2 * both[c] / (p_count[c] + t_count[c]) for c in range(1, num_classes) if p_count[c] + t_count[c]}


def label_overlap(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Pixels of each true value (rows) under each predicted value (columns) in two label maps."""
    p = np.asarray(prediction).ravel().astype(np.int64)
    t = np.asarray(truth).ravel().astype(np.int64)
    values = int(max(p.max(initial=0), t.max(initial=0))) + 1
    return np.bincount(t * values + p, minlength=values * values).reshape(values, values)


def _present(labels: np.ndarray, num_classes: int) -> set[int]:
    """Tooth classes 1..K-1 with at least one pixel in a label map."""
    counts = np.bincount(labels.ravel(), minlength=num_classes)[1:num_classes]
    return {int(c) + 1 for c in np.flatnonzero(counts)}


@dataclass
class MissingCalls:
    """Missing-tooth calls summed over images: right ones, false alarms (a present tooth called
    missing), missed ones (a missing tooth not called), and images whose whole list was right."""

    right: int = 0
    false_alarms: int = 0
    missed: int = 0
    images: int = 0
    images_exact: int = 0

    def update(self, called: set[int], truly_missing: set[int]) -> None:
        self.right += len(called & truly_missing)
        self.false_alarms += len(called - truly_missing)
        self.missed += len(truly_missing - called)
        self.images += 1
        self.images_exact += called == truly_missing

    def summary(self) -> dict[str, float | int]:
        return {
            "truly_missing": self.right + self.missed,
            "called_missing": self.right + self.false_alarms,
            "precision": _ratio(self.right, self.right + self.false_alarms),
            "recall": _ratio(self.right, self.right + self.missed),
            "images_exact": _ratio(self.images_exact, self.images),
        }


@dataclass
class NumberChecks:
    """How well the numbers flagged for a check (low confidence) pick out the wrong numbers.

    A found tooth's number is wrong when most of the true tooth pixels under it belong to another
    tooth (regions over no true tooth are left out). Images without a flagged number are counted
    with whether their missing-teeth list was right, as that is what the flag is to vouch for.
    """

    teeth: int = 0
    wrong: int = 0
    flagged: int = 0
    flagged_wrong: int = 0
    images_clear: int = 0
    images_clear_list_right: int = 0

    def update(self, prediction: np.ndarray, truth: np.ndarray, flagged: set[int], list_right: bool) -> None:
        overlap = label_overlap(prediction, truth)
        for c in range(1, overlap.shape[1]):
            under = overlap[1:, c]  # true tooth pixels under found tooth c
            if not under.any():
                continue
            wrong = int(np.argmax(under)) + 1 != c
            self.teeth += 1
            self.wrong += wrong
            self.flagged += c in flagged
            self.flagged_wrong += wrong and c in flagged
        if not flagged:
            self.images_clear += 1
            self.images_clear_list_right += list_right

    def summary(self) -> dict[str, float | int]:
        return {
            "teeth": self.teeth,
            "wrong": self.wrong,
            "flagged": self.flagged,
            "flagged_wrong": self.flagged_wrong,
            "wrong_caught": _ratio(self.flagged_wrong, self.wrong),
            "wrong_among_flagged": _ratio(self.flagged_wrong, self.flagged),
            "wrong_among_rest": _ratio(self.wrong - self.flagged_wrong, self.teeth - self.flagged),
            "images_clear": self.images_clear,
            "list_right_when_clear": _ratio(self.images_clear_list_right, self.images_clear),
        }


@dataclass
class InstanceQuality:
    """How well the found teeth (the regions of a label map) are teeth, whatever their numbers.

    A true tooth is found whole when one found tooth overlaps it with IoU over 0.5 (so at most one
    does, and a merge of two equal teeth finds neither). It is split
    when two or more found teeth have over half their pixels in it; a found tooth is a merge when
    two or more true teeth have over half their pixels in it.
    """

    true_teeth: int = 0
    found_whole: int = 0
    found_teeth: int = 0
    splits: int = 0
    merges: int = 0
    images: int = 0

    def update(self, prediction: np.ndarray, truth: np.ndarray) -> None:
        overlap = label_overlap(prediction, truth)
        true_area, found_area = overlap.sum(axis=1), overlap.sum(axis=0)
        true_teeth, found_teeth = np.flatnonzero(true_area[1:]) + 1, np.flatnonzero(found_area[1:]) + 1
        both = overlap[np.ix_(true_teeth, found_teeth)]
        true_area, found_area = true_area[true_teeth, None], found_area[None, found_teeth]
        self.true_teeth += true_teeth.size
        self.found_teeth += found_teeth.size
        self.found_whole += int(np.count_nonzero((2 * both > true_area + found_area - both).any(axis=1)))
        self.splits += int(np.count_nonzero((2 * both > found_area).sum(axis=1) >= 2))
        self.merges += int(np.count_nonzero((2 * both > true_area).sum(axis=0) >= 2))
        self.images += 1

    def summary(self) -> dict[str, float | int]:
        return {
            "true_teeth": self.true_teeth,
            "found_teeth": self.found_teeth,
            "found_whole": _ratio(self.found_whole, self.true_teeth),
            "splits_per_image": _ratio(self.splits, self.images),
            "merges_per_image": _ratio(self.merges, self.images),
        }


class ToothMetrics:
    """Per-tooth Dice for numbered models: per class, per group, mean, tooth-count accuracy, and
    how well the numbers the model did not find match the truly missing teeth.

    A class's Dice is averaged over the images where it is in the truth or the prediction,
    so a missing tooth that the model does not invent is not counted, and an invented one scores 0.
    Missing teeth are what a dentist reads off the output, so they are scored as calls: a number
    absent from the prediction is a right call when it is absent from the truth too. Given the
    classes flagged for a check, it also scores how well they pick out the wrong numbers.
    """

    def __init__(self, class_names: list[str]) -> None:
        self.class_names = class_names
        self.num_classes = len(class_names)
        self.scores: dict[int, list[float]] = {c: [] for c in range(1, self.num_classes)}
        self.image_means: list[float] = []
        self.count_exact: list[bool] = []
        self.missing = MissingCalls()
        self.checks = NumberChecks()
        self.instances = InstanceQuality()

    def update(
        self, prediction: np.ndarray, truth: np.ndarray, predicted_count: int | None = None,
        flagged: set[int] | None = None,
    ) -> dict[int, float]:
        dice = per_class_dice(prediction, truth, self.num_classes)
        for c, value in dice.items():
            self.scores[c].append(value)
        if dice:
            self.image_means.append(float(np.mean(list(dice.values()))))
        true_teeth, found_teeth = _present(truth, self.num_classes), _present(prediction, self.num_classes)
        if predicted_count is None:
            predicted_count = len(found_teeth)
        self.count_exact.append(predicted_count == len(true_teeth))
        every_tooth = set(range(1, self.num_classes))
        called, truly_missing = every_tooth - found_teeth, every_tooth - true_teeth
        self.missing.update(called, truly_missing)
        self.checks.update(prediction, truth, flagged or set(), called == truly_missing)
        self.instances.update(prediction, truth)
        return dice

    def summary(self) -> dict[str, object]:
        per_class = {self.class_names[c]: float(np.mean(v)) for c, v in self.scores.items() if v}
        groups: dict[str, list[float]] = {}
        for name, value in per_class.items():
            group = tooth_group(name)
            if group:
                groups.setdefault(group, []).append(value)
        return {
            "mean_tooth_dice": float(np.mean(list(per_class.values()))) if per_class else 0.0,
            "mean_tooth_dice_per_image": float(np.mean(self.image_means)) if self.image_means else 0.0,
            "group_dice": {g: float(np.mean(v)) for g, v in groups.items()},
            "tooth_count_accuracy": float(np.mean(self.count_exact)) if self.count_exact else 0.0,
            "missing_teeth": self.missing.summary(),
            "numbers_to_check": self.checks.summary(),
            "instances": self.instances.summary(),
            "per_tooth_dice": per_class,
        }


def tooth_group(fdi: str) -> str | None:
    """FDI number -> incisors, canines, premolars or molars (None for other class names)."""
    if len(fdi) != 2 or not fdi.isdigit():
        return None
    return {"1": "incisors", "2": "incisors", "3": "canines", "4": "premolars", "5": "premolars"}.get(fdi[1], "molars")


def whole_teeth(prediction: np.ndarray, truth: np.ndarray, min_fraction: float = 0.01) -> tuple[int, int, int]:
    """Teeth found whole, whatever number they were given: (true teeth that one predicted tooth
    matches with IoU over 0.5, true teeth, predicted teeth), in two label maps (0 = none).

    Only teeth covering at least ``min_fraction`` of the image count, so that the slivers a close
    view's frame cuts off do not. With IoU over 0.5 a tooth can match at most one other.
    """
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction {prediction.shape} and truth {truth.shape} differ in shape")
    both = label_overlap(prediction, truth)
    true_area, predicted_area = both.sum(axis=1), both.sum(axis=0)
    smallest = min_fraction * prediction.size
    true_teeth = np.flatnonzero(true_area[1:] >= smallest) + 1
    predicted_teeth = np.flatnonzero(predicted_area[1:] >= smallest) + 1
    overlap = both[np.ix_(true_teeth, predicted_teeth)]
    union = true_area[true_teeth, None] + predicted_area[None, predicted_teeth] - overlap
    matched = int(np.count_nonzero((2 * overlap > union).any(axis=1)))
    return matched, true_teeth.size, predicted_teeth.size
