"""The teeth of a close view, told apart by the close-up network's contacts.

The numbering network learnt whole arches. On a close view (a bitewing, a periapical) it names
fragments, so one tooth came out as several numbered pieces. The close-up network marks where
teeth touch: the tooth pixels it is all but sure touch no other tooth form one core per tooth,
and every tooth pixel joins the nearest core. Each tooth then takes the FDI number that most of
its pixels got, each number once: the numbers stay unsure, but the teeth are whole. Settings
chosen on close views cut from training panoramics (see the model card).
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_scores
from teethseg.imaging.regions import bounding_box, label_regions, nearest_value
from teethseg.teeth.postprocess import tooth_probability
from teethseg.teeth.split import contact_share

# A core is tooth with a contact share P(contact) / P(tooth or contact) under this ...
MAX_CORE_CONTACT = 0.01
# ... that covers at least this share of the image (smaller cores are bits of a tooth's edge).
MIN_CORE_FRACTION = 0.002


def separate_teeth(labels: np.ndarray, share: np.ndarray, classes: int) -> np.ndarray:
    """Numbered labels (source size) remade as one region per tooth, each with its own number.

    ``share``: the close-up network's contact share at its own size (``teethseg.teeth.split.contact_share``);
    ``classes``: how many values a label may take, background included. Without a core the
    labels are returned as they are.
    """
    box = bounding_box(labels > 0)
    if box is None:
        return labels
    share = resize_scores(share[None].astype(np.float32, copy=False), labels.shape)[0][box]
    separated = labels.copy()
    separated[box] = _separate(labels[box], share, MIN_CORE_FRACTION * labels.size, classes)
    return separated


def _separate(labels: np.ndarray, share: np.ndarray, min_core: float, classes: int) -> np.ndarray:
    """``separate_teeth`` inside the teeth's box; ``min_core``: the smallest core in pixels."""
    tooth = labels > 0
    cores, count, _, areas = label_regions(tooth & (share < MAX_CORE_CONTACT))
    kept = np.concatenate([[False], areas >= min_core])
    if not kept.any():
        return labels
    nearest_core, _ = nearest_value(np.where(kept[cores], cores, 0).astype(np.int64))
    teeth = np.where(tooth, nearest_core, 0)
    return _name_each_once(teeth, labels, count + 1, classes)


def _name_each_once(teeth: np.ndarray, labels: np.ndarray, values: int, classes: int) -> np.ndarray:
    """Each tooth (``teeth``: 1..values-1, 0 none) named by the number most of its pixels have in
    ``labels`` (values 0..classes-1), the teeth with most votes first, each number once while numbers last."""
    votes = np.bincount((teeth * classes + labels).ravel(), minlength=values * classes).reshape(values, classes)
    votes[:, 0] = 0
    named = np.zeros(values, dtype=labels.dtype)
    taken: set[int] = set()
    for tooth in np.argsort(-votes.max(axis=1), kind="stable"):
        if tooth == 0 or votes[tooth].sum() == 0:
            continue
        choices = [int(c) for c in np.argsort(-votes[tooth], kind="stable") if c > 0 and int(c) not in taken]
        # More teeth than numbers (never seen): the rest keep their majority number.
        named[tooth] = choices[0] if choices else votes[tooth].argmax()
        taken.add(int(named[tooth]))
    return named[teeth]


def whole_teeth(
    labels: np.ndarray, confidence: np.ndarray, scores: np.ndarray, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """A close view's numbered labels remade as whole teeth from the close-up network's contacts
    (``scores``: its probabilities, contacts last), and as the teeth's confidence the probability
    that they are tooth, as their numbers are unsure; labels without contacts as they are."""
    if scores.shape[0] < 3:
        return labels, confidence
    labels = separate_teeth(labels, contact_share(scores), classes)
    return labels, np.where(labels > 0, tooth_probability(scores, labels.shape), confidence).astype(np.float32)
