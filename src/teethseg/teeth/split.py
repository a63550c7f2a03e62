"""One tooth named twice, joined again.

Pixel by pixel, the numbering network sometimes gives one tooth two FDI numbers: two regions
that both count as teeth, the main cause of wrong tooth counts. A contact model
(``ModelConfig.contact_width``) marks where two real teeth touch. Two neighbouring numbered
regions become one tooth when the border between them is not a contact, the smaller of them is
well under a typical tooth of its number, and together they are no bigger than one and a half
typical teeth. The thresholds were chosen on training images (see the model card).
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_labels
from teethseg.imaging.regions import bounding_box

# The smaller region is under this fraction of a typical tooth of its number ...
MAX_PART = 0.5
# ... the two together are under this many typical teeth ...
MAX_JOINED = 1.5
# ... and the mean contact share P(contact) / P(tooth or contact) on their border is under this.
MAX_CONTACT = 0.2
# Fewer border pixels than this (at the model's size) is a corner, not a shared border.
MIN_BORDER = 6
# With at least this many named teeth, typical sizes follow the image's framing ...
MIN_TEETH_FOR_SCALE = 6
# ... where its teeth are smaller or bigger than patients' teeth vary (the 10th and 90th
# percentiles of the median tooth size ratio per image in the training masks: 0.84, 1.16).
PATIENT_SCALE = (0.85, 1.15)


def contact_share(contacts: np.ndarray) -> np.ndarray:
    """P(contact) / P(tooth or contact) per pixel, from a contact model's background / tooth / contact probabilities."""
    return contacts[2] / np.maximum(contacts[1] + contacts[2], 1e-6)


def class_shares(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The share of the image that each class 0..num_classes-1 covers."""
    return np.bincount(labels.ravel(), minlength=num_classes)[:num_classes] / labels.size


def typical_tooth_fractions(masks: list[np.ndarray], num_classes: int) -> list[float]:
    """Median share of the image that each class covers where present (0 for the background and unseen classes)."""
    shares: list[list[float]] = [[] for _ in range(num_classes)]
    for mask in masks:
        for c, share in enumerate(class_shares(mask, num_classes)):
            if c and share:
                shares[c].append(share)
    return [float(np.median(s)) if s else 0.0 for s in shares]


def median_size_ratio(covered: np.ndarray, typical: list[float]) -> float | None:
    """Median over the named teeth of their share of the image over a typical one's (None with too few teeth)."""
    typical = np.asarray(typical, dtype=np.float64)
    named = (covered > 0) & (typical > 0)
    if named.sum() < MIN_TEETH_FOR_SCALE:
        return None
    return float(np.median(covered[named] / typical[named]))


def framing_scale(covered: np.ndarray, typical: list[float]) -> float:
    """How much bigger this image's teeth are than typical, beyond the patients' own variation.

    Radiographs framed wider or tighter than the training data show every tooth smaller or
    bigger. The median size ratio over the named teeth measures it (split parts are few, so it
    follows the whole teeth); within ``PATIENT_SCALE`` the thresholds already allow for it.
    1 with fewer than ``MIN_TEETH_FOR_SCALE`` teeth.
    """
    scale = median_size_ratio(covered, typical)
    if scale is None:
        return 1.0
    low, high = PATIENT_SCALE
    return scale / low if scale < low else scale / high if scale > high else 1.0


def border_pairs(labels: np.ndarray, share: np.ndarray) -> list[tuple[int, int, float]]:
    """Neighbouring numbers (a < b) with at least MIN_BORDER border pixels, and the mean contact ``share`` on that border.

    A border pixel is a pixel of one of the two with a 4-neighbour in the other; all pairs
    are found in one pass over the four shifts of the image.
    """
    index = np.arange(labels.size).reshape(labels.shape)
    keys, pixels = [], []
    for own, other, where in (
        (labels[:, :-1], labels[:, 1:], index[:, :-1]), (labels[:, 1:], labels[:, :-1], index[:, 1:]),
        (labels[:-1], labels[1:], index[:-1]), (labels[1:], labels[:-1], index[1:]),
    ):
        edge = (own != other) & (own > 0) & (other > 0)
        a, b = own[edge].astype(np.int64), other[edge].astype(np.int64)
        keys.append(np.minimum(a, b) * 256 + np.maximum(a, b))
        pixels.append(where[edge])
    unique = np.unique(np.concatenate(keys) * labels.size + np.concatenate(pixels))  # each pixel once per pair
    pair_keys, pair_of_pixel, counts = np.unique(unique // labels.size, return_inverse=True, return_counts=True)
    sums = np.bincount(pair_of_pixel, share.ravel()[unique % labels.size], minlength=pair_keys.size)
    return [(int(k // 256), int(k % 256), float(total / n))
            for k, total, n in zip(pair_keys, sums, counts) if n >= MIN_BORDER]


def join_split_teeth(labels: np.ndarray, share: np.ndarray, typical: list[float]) -> np.ndarray:
    """Labels with each split tooth given one number (the larger part's).

    ``share``: the contact share at the contact model's size (``contact_share``);
    ``typical``: per class, a typical tooth's share of the image (``typical_tooth_fractions``).
    """
    small = resize_labels(labels, share.shape)
    covered = class_shares(small, len(typical))
    box = bounding_box(small > 0)
    if box is None:
        return labels
    typical = np.asarray(typical, dtype=np.float64) * framing_scale(covered, typical)
    renamed = np.arange(max(256, len(typical)), dtype=np.uint8)
    joined: set[int] = set()
    for a, b, contact in sorted(border_pairs(small[box], share[box]), key=lambda pair: pair[2]):
        if a in joined or b in joined or min(typical[a], typical[b]) <= 0:
            continue
        part = min(covered[a] / typical[a], covered[b] / typical[b])
        together = (covered[a] + covered[b]) / max(typical[a], typical[b])
        if part < MAX_PART and together < MAX_JOINED and contact < MAX_CONTACT:
            kept, gone = (a, b) if covered[a] >= covered[b] else (b, a)
            renamed[gone] = kept
            joined.update((a, b))
    return renamed[labels] if joined else labels
