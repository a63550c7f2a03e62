"""Borders between numbered teeth drawn where the mask network sees them.

The numbering network works at 256 x 256, so where two numbered teeth meet, its border can sit
a few pixels off. A contact model marks at 512 x 512 the tooth pixels near another tooth; the
rest of the mask falls apart into contact-free cores. A core that one number covers for the most
part takes that number whole, and contact pixels close to such a core take its number too;
everything else keeps the numbering network's labels. Settings chosen on training images (see
the model card).
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_scores
from teethseg.imaging.regions import bounding_box, label_regions, nearest_value

# A core is tooth with a contact share P(contact) / P(tooth or contact) under this.
MAX_CORE_CONTACT = 0.5
# One number must cover at least this share of a core's pixels to name it whole.
MIN_MAJORITY = 0.8
# Contact pixels within this many pixels (at the model's size) of a named core take its number.
BAND = 2


def redraw_borders(labels: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Numbered labels (source size) with borders moved to the contacts; ``share``: the contact
    share at the contact model's size (``teethseg.teeth.split.contact_share``)."""
    box = bounding_box(labels > 0)
    if box is None:
        return labels
    reach = BAND * max(labels.shape[0] / share.shape[0], labels.shape[1] / share.shape[1])
    share = resize_scores(share[None].astype(np.float32, copy=False), labels.shape)[0][box]
    redrawn = labels.copy()
    redrawn[box] = _redraw(labels[box], share, reach)
    return redrawn


def _redraw(labels: np.ndarray, share: np.ndarray, reach: float) -> np.ndarray:
    """``redraw_borders`` inside the teeth's box: ``share`` is the contact share there, ``reach`` the band in pixels."""
    tooth = labels > 0
    cores, count, _, _ = label_regions(tooth & (share < MAX_CORE_CONTACT))
    if count == 0:
        return labels
    values = int(labels.max()) + 1
    votes = np.bincount((cores.astype(np.int64) * values + labels).ravel(), minlength=(count + 1) * values)
    votes = votes.reshape(count + 1, values)[1:]
    votes[:, 0] = 0
    named = votes.max(axis=1) >= MIN_MAJORITY * np.maximum(votes.sum(axis=1), 1)
    core_number = np.concatenate([[0], np.where(named, votes.argmax(axis=1), 0)]).astype(labels.dtype)[cores]
    seeds = core_number > 0
    if not seeds.any():
        return labels
    nearest_number, distance = nearest_value(core_number)
    band = tooth & (cores == 0) & (distance <= reach)
    redrawn = np.where(seeds, core_number, labels)
    return np.where(band, nearest_number, redrawn).astype(labels.dtype)
