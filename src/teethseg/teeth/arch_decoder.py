"""Naming the teeth of each jaw at once, in arch order (``--naming arch`` and ``arch-gaps``).

Pixel by pixel, the numbering network names each tooth on its own, and its wrong names are mostly
whole runs shifted by one beside a missing tooth. Here the found teeth (instances: the regions
of the label map) are named jointly: each jaw's instances, sorted by their centres along the image's width, take
strictly increasing positions along the arch (``UPPER_ARCH``, ``LOWER_ARCH``) that maximise the
summed evidence, each instance's mean log-probability of each number over its pixels (dynamic
programming, exact; two stacked teeth, one above the other, are ordered as the networks name them).
With ``gaps``, each pair of neighbours also scores how likely the distance
between them is for the number of teeth skipped between their positions: the log-density of
that distance (in units of the two teeth's mean width) under a log-normal fitted per number of
skipped teeth to the TRAINING split's masks (``python tools/arch_gaps.py --data DATA``). There is
no parameter chosen by looking at validation images.
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_labels
from teethseg.imaging.regions import value_boxes
from teethseg.teeth.fdi import LOWER_ARCH, UPPER_ARCH, fdi_numbers

# How teeth are named: each pixel by its own vote (then regions), or each jaw in arch order without and with gaps.
NAMINGS = ("pixels", "arch", "arch-gaps")
# Log-normal of the distance between neighbouring teeth along a jaw (centre to centre, over the two
# teeth's mean width), per number of arch positions skipped between them: 0, 1, 2, 3 or more.
# From the 289 training masks of the shared data (6,742 neighbour pairs in
# arch order and not stacked; tools/arch_gaps.py).
GAP_LOG_MEAN = (-0.1861, 0.1456, 0.6523, 1.2703)
GAP_LOG_SD = (0.1613, 0.3109, 0.2524, 0.3401)
# Probabilities are floored here before their log, so one pixel at 0 cannot veto a number.
LOG_FLOOR = 1e-6
# Nearer than this (in mean widths) counts as this near: two centres on top of each other.
MIN_DISTANCE = 0.05


def arch_geometry(labels: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class 0..num_classes-1: its centre along the image's width (mean column), and its first
    and last column; -1 for absent classes. Work stays inside each class's bounding box."""
    centre, first, last = np.full(num_classes, -1.0), np.full(num_classes, -1.0), np.full(num_classes, -1.0)
    for c, box in enumerate(value_boxes(labels)[: num_classes - 1], start=1):
        if box is None:
            continue
        counts = (labels[box] == c).sum(axis=0)
        centre[c] = box[1].start + float(counts @ np.arange(counts.size)) / max(int(counts.sum()), 1)
        first[c], last[c] = box[1].start, box[1].stop - 1
    return centre, first, last


def neighbour_distances(centre: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """For teeth in arch order, the distance between each neighbour's centres over their mean width;
    NaN where the two are stacked (their columns overlap by half the narrower one's width or more,
    as a tooth germ under a milk tooth does): there their distance says nothing about a gap."""
    width = last - first + 1
    overlap = np.minimum(last[:-1], last[1:]) - np.maximum(first[:-1], first[1:]) + 1
    distance = (centre[1:] - centre[:-1]) / np.maximum((width[:-1] + width[1:]) / 2, 1.0)
    return np.where(2 * overlap >= np.minimum(width[:-1], width[1:]), np.nan, distance)


def instance_evidence(
    labels: np.ndarray, numbers: np.ndarray, present: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per label value (rows 0..C-1) of ``labels``: the mean probability and the mean log-probability
    of each class (columns) of ``numbers`` (C x h x w, the model's size) over its pixels; rows of
    background and absent labels are 0.

    The labels are read at the model's size (nearest neighbour), where the probabilities are, so
    the work does not grow with the radiograph; a tooth too small to appear there is read at
    its own pixels' nearest model pixels. ``present``: the label values in ``labels``, when known.
    """
    classes, model_h, model_w = numbers.shape
    small = resize_labels(labels, (model_h, model_w)).ravel()
    pixel = np.flatnonzero((small > 0) & (small < classes))
    label = small[pixel].astype(np.int64)
    if present is None:
        present = np.flatnonzero(np.bincount(labels.ravel(), minlength=classes)[1:classes]) + 1
    for lost in np.setdiff1d(present, label):
        rows, cols = np.nonzero(labels == lost)
        rows = np.minimum(((rows + 0.5) * model_h / labels.shape[0]).astype(np.int64), model_h - 1)
        cols = np.minimum(((cols + 0.5) * model_w / labels.shape[1]).astype(np.int64), model_w - 1)
        pixel = np.concatenate([pixel, rows * model_w + cols])
        label = np.concatenate([label, np.full(rows.size, lost, np.int64)])
    mean, mean_log = np.zeros((classes, classes), np.float32), np.zeros((classes, classes), np.float32)
    if label.size == 0:
        return mean, mean_log
    order = np.argsort(label, kind="stable")
    label, pixel = label[order], pixel[order]
    read = numbers.reshape(classes, -1)[:, pixel].astype(np.float32, copy=False)
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    area = np.diff(np.r_[starts, label.size]).astype(np.float32)
    mean[label[starts]] = (np.add.reduceat(read, starts, axis=1) / area).T
    mean_log[label[starts]] = (np.add.reduceat(np.log(np.maximum(read, LOG_FLOOR)), starts, axis=1) / area).T
    return mean, mean_log


def gap_log_likelihood(distance: float) -> np.ndarray:
    """log p(distance | s skipped positions) for s = 0..15 (up to a term common to every s)."""
    log_d = np.log(max(distance, MIN_DISTANCE))
    mean, sd = np.asarray(GAP_LOG_MEAN), np.asarray(GAP_LOG_SD)
    per_kind = -0.5 * ((log_d - mean) / sd) ** 2 - np.log(sd)
    return per_kind[np.minimum(np.arange(16), len(mean) - 1)]


def decode_jaw(evidence: np.ndarray, distances: np.ndarray | None = None) -> list[int]:
    """Arch positions (0..P-1, strictly increasing) for instances in arch order, maximising the summed
    ``evidence`` (n x P) plus, with ``distances`` (n - 1, between neighbours; NaN: unknown), each
    gap's ``gap_log_likelihood`` for the positions it skips. Needs n <= P."""
    count, positions = evidence.shape
    if count == 0:
        return []
    if count > positions:
        raise ValueError(f"{count} teeth cannot take {positions} positions in increasing order")
    earlier = np.arange(positions)[:, None] < np.arange(positions)[None, :]  # [from, to]: to comes after from
    skipped = np.arange(positions)[None, :] - np.arange(positions)[:, None] - 1
    score = evidence[0].astype(np.float64).copy()
    back = np.zeros((count, positions), dtype=np.int64)
    for i in range(1, count):
        step = np.where(earlier, score[:, None], -np.inf)
        if distances is not None and not np.isnan(distances[i - 1]):
            step = step + np.where(earlier, gap_log_likelihood(float(distances[i - 1]))[np.maximum(skipped, 0)], 0.0)
        back[i] = step.argmax(axis=0)
        score = step.max(axis=0) + evidence[i]
    path = [int(np.argmax(score))]
    for i in range(count - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def decode_arches(labels: np.ndarray, numbers: np.ndarray, class_names: list[str] | None = None,
                  gaps: bool = True) -> np.ndarray:
    """``labels`` with each jaw's teeth renamed jointly in arch order (see the module's docstring).

    ``numbers``: the numbering probabilities at the model's size (classes x h x w) whose classes
    are ``class_names`` (None: the standard 33). A tooth belongs to the jaw its numbers give more
    probability to. A radiograph with more teeth in a jaw than numbers, or a model without the 32 FDI
    classes, keeps all its names. The regions themselves never change, only which number each carries.
    """
    fdi = fdi_numbers(class_names)[: numbers.shape[0]]
    index = {number: c for c, number in enumerate(fdi) if number is not None}
    if any(number not in index for number in UPPER_ARCH + LOWER_ARCH):
        return labels
    present = np.flatnonzero(np.bincount(labels.ravel(), minlength=numbers.shape[0])[1 : numbers.shape[0]]) + 1
    if present.size == 0:
        return labels
    mean_probability, mean_log = instance_evidence(labels, numbers, present)
    arches = [[index[n] for n in UPPER_ARCH], [index[n] for n in LOWER_ARCH]]
    upper = mean_probability[:, arches[0]].sum(axis=1) >= mean_probability[:, arches[1]].sum(axis=1)
    centre, first, last = arch_geometry(labels, numbers.shape[0])
    table = np.arange(max(256, numbers.shape[0]), dtype=labels.dtype)
    for classes, in_jaw in zip(arches, (upper[present], ~upper[present])):
        teeth = present[in_jaw][np.argsort(centre[present[in_jaw]], kind="stable")]
        if teeth.size > len(classes):
            return labels  # more teeth than numbers: kept names could clash with the other jaw's new ones
        if teeth.size == 0:
            continue
        stacked = np.isnan(neighbour_distances(centre[teeth], first[teeth], last[teeth]))
        for i in np.flatnonzero(stacked):  # stacked teeth: their order along the arch is the networks' to say
            best = mean_log[teeth[i : i + 2]][:, classes].argmax(axis=1)
            if best[0] > best[1]:
                teeth[i], teeth[i + 1] = teeth[i + 1], teeth[i]
        distances = neighbour_distances(centre[teeth], first[teeth], last[teeth]) if gaps else None
        path = decode_jaw(mean_log[teeth][:, classes], distances)
        table[teeth] = [classes[p] for p in path]
    return table[labels]
