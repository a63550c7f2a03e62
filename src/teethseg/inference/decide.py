"""Deciding how to see a radiograph whose first look is doubtful: a negative, or a close view.

Some viewers export the inverted view (teeth dark), and DICOM's MONOCHROME1 says so but a JPEG
or PNG cannot. On such an image the networks find tooth-like shapes everywhere, with little
confidence: on the val negatives the mean confidence of the tooth pixels was 0.34-0.57, on the
val images themselves 0.63-0.93. Close views (bitewings, periapicals), where a few teeth fill
the image, look doubtful too (every bitewing-like crop of ``benchmarks/fullsize_check.py``): the
bundled mask network learnt panoramics and finds little more than the crowns there.

A close view can also fool the panoramic network the other way: on 9 of the 260 val crops of
fullsize_check it found a blob of 0.05-0.71 % of the image with confidence (binary Dice 0.001-0.04,
where the close-up network scores 0.83-0.93). A panoramic shows far more teeth: at least 0.77 % of
the image among the training radiographs (an almost toothless patient), 1.9 % among val's, framed
in any way of fullsize_check. So teeth under ``MIN_TEETH_SHARE`` of the image make a look
doubtful too.

So a radiograph whose teeth are found with less confidence than ``CONFIDENT``, or cover less than
``MIN_TEETH_SHARE`` of it, is also seen inverted and, when the model has a close-up mask network
(the bundled one does: ``configs/close-up.yaml``), by that network upright and inverted. The
look whose mask network is surest of its mask (``mask_confidence``) is kept. On the doubtful val
images under fullsize_check's conditions this picked a look within 0.03 of the best of the four
in mean Dice for every condition (analysis in the model card).

Confidence alone cannot tell an upright close view from a negative one: the looks of a negative
are those of its upright image with the polarities swapped, so any rule on the looks alone that
mends an upright crop breaks its negative. What differs is the image: in a radiograph a few
pixels (enamel, fillings, crowns) are far brighter than the tissue around them, so its grey
values skew bright; a negative skews dark. So each look also scores ``POLARITY_WEIGHT`` times the
skewness of the view it saw (``look_score``). On val's close-view crops this keeps 6 of the 8
upright crops that confidence alone reads as negatives upright, and reads those six crops'
negatives inverted; every panoramic negative stays inverted (model card, "Close views: upright
or negative").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teethseg.inference.look import Networks, View

CONFIDENT = 0.6
MIN_TEETH_SHARE = 0.01
# Chosen on crops of every sixth training image: from 0.041 one crop without teeth keeps its upright
# look, from 0.09 an upright crop with teeth (Dice 0.93) is lost to its inverted look; 0.065 is between.
POLARITY_WEIGHT = 0.065


def mean_tooth_confidence(labels: np.ndarray, confidence: np.ndarray) -> float:
    """Mean confidence of the pixels called tooth (0 when there are none)."""
    teeth = labels > 0
    return float(confidence[teeth].mean()) if teeth.any() else 0.0


def doubtful(labels: np.ndarray, confidence: np.ndarray) -> bool:
    """Whether the teeth were found with so little confidence, or so few, that the image may be a negative or a close view."""
    few = np.count_nonzero(labels) < MIN_TEETH_SHARE * labels.size
    return bool(few or mean_tooth_confidence(labels, confidence) < CONFIDENT)


def mask_confidence(scores: np.ndarray) -> float:
    """Mean tooth probability (one minus background) over the pixels a mask network calls tooth; 0 with none.

    Unlike the look's confidence, this leaves the numbering network out: it compares the mask
    networks' own certainty, and numbers are unsure on any close view.
    """
    tooth = 1.0 - scores[0]
    found = tooth > 0.5
    return float(tooth[found].mean()) if found.any() else 0.0


def skewness(image: np.ndarray) -> float:
    """Skewness of the grey values: positive when a few pixels are far brighter than the rest (0 when flat)."""
    centred = image.astype(np.float32).ravel()
    centred -= centred.mean()
    moment = centred * centred
    variance = float(moment.mean())
    if variance < 1e-12:
        return 0.0
    moment *= centred  # the third moment, in place: a 3000 x 1500 panoramic takes about 30 ms
    return float(moment.mean()) / variance**1.5


def look_score(scores: np.ndarray, view_skewness: float) -> float:
    """How much a look is trusted among a doubtful image's looks: its mask network's confidence,
    and the skewness of the view it saw (upright or inverted), as radiographs skew bright."""
    return mask_confidence(scores) + POLARITY_WEIGHT * view_skewness


def reconsider_doubtful(networks: Networks, views: list[View]) -> list[View]:
    """The views with doubtful first looks seen inverted and by the close-up network (upright and
    inverted), each keeping its best-scored look (``look_score``) with notes saying how it was seen."""
    doubts = [i for i, view in enumerate(views) if doubtful(view.look.labels, view.look.confidence)]
    if not doubts:
        return views
    views = list(views)
    skew = {i: skewness(views[i].image) for i in doubts}  # an inverted view's is the negative
    best = {i: (look_score(views[i].look.scores, skew[i]), views[i].image, views[i].look, {}) for i in doubts}
    close_up = networks.close_up()
    others = [(True, None)] + ([(False, close_up), (True, close_up)] if close_up else [])
    seen_as = {False: [views[i].image for i in doubts], True: [1 - views[i].image for i in doubts]}
    by_polarity: dict[bool, Any] = {False: [views[i].numbers for i in doubts]}  # numbered once per polarity
    for inverted, network in others:
        seen = seen_as[inverted]
        if inverted not in by_polarity:
            by_polarity[inverted] = networks.numbering_scores(seen)
        for i, image, look in zip(doubts, seen, networks.look(seen, network, by_polarity[inverted])):
            score = look_score(look.scores, -skew[i] if inverted else skew[i])
            if score > best[i][0]:
                notes = {"inverted": True} if inverted else {}
                if network is not None:
                    notes["close_view"] = True
                best[i] = (score, image, look, notes)
    for i, (_, image, look, notes) in best.items():
        views[i] = View(image, look, views[i].numbers, {**views[i].notes, **notes})
    return views
