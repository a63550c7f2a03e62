"""A second look at radiographs whose teeth look much smaller or bigger than in training.

Machines frame panoramics differently: a wider field of view shows every tooth smaller. The
networks learnt teeth at the training data's framing, and a view 0.75x as tight cost a tenth
of per-tooth Dice and a third of exact counts (``benchmarks/fullsize_check.py``). When the
first look's median tooth is more than 15 % smaller or bigger than a typical one, the
networks look again at a window around the teeth that brings them to the typical size, with
the teeth's centre where training panoramics have it. Parts of the window beyond the image
are black, as the training augmentation's borders are.
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_labels
from teethseg.imaging.regions import bounding_box
from teethseg.imaging.windows import Window, cut, paste
from teethseg.inference.look import Look, Networks, View
from teethseg.teeth.postprocess import class_probability_at
from teethseg.teeth.split import class_shares, median_size_ratio

# Teeth within this factor (width and height) of a typical tooth keep the first look. Of the
# training radiographs, 6 of 289 fall outside (0.80 to 1.17 over all of them).
KEEP_SCALE = (0.85, 1.15)
# Beyond this factor the radiograph is hardly a panoramic framed otherwise (a bitewing or a
# periapical shows teeth several times bigger), so a panoramic's framing is no guide.
PANORAMIC_SCALE = (0.5, 2.0)
# The teeth's height and width, as shares of the image divided by the tooth scale, reach at
# most 0.81 and 0.85 in the training panoramics; with a little room, these. Teeth spread wider
# for their size are no panoramic's arch (a close view, or teeth only partly found).
MAX_SPREAD = (0.85, 0.9)
# The most of the image's height and width the teeth span in any training mask (0.738, 0.904). A
# panoramic whose teeth span more was cut around them: zooming it out fills the window with black
# where training views showed jaws, and cost per-tooth Dice and counts (model card).
FILLED_SPREAD = (0.74, 0.91)
# The centre of the teeth's bounding box in the training masks (median, as shares of height and width).
TEETH_CENTRE = (0.528, 0.502)
# Tooth sizes are compared at this size, which keeps the count cheap on large radiographs.
COUNT_SIZE = (512, 512)


def tooth_scale(labels: np.ndarray, typical: list[float]) -> float | None:
    """How many times wider (and taller) the numbered teeth are than typical ones; None with too few teeth."""
    ratio = median_size_ratio(class_shares(resize_labels(labels, COUNT_SIZE), len(typical)), typical)
    return None if ratio is None else float(np.sqrt(ratio))


def second_look_window(labels: np.ndarray, scale: float | None, close_view: bool = False) -> Window | None:
    """The window that shows these teeth at the typical size and place (None when the first look will do).

    Only panoramic-like teeth get one (``PANORAMIC_SCALE``, ``MAX_SPREAD``), so the window, of
    the image's shape, holds the whole arch of the first look. A panoramic cut around its teeth
    (``FILLED_SPREAD``) is not zoomed out; a close view (``teethseg.inference.decide``) may be.
    """
    box = bounding_box(labels > 0)
    if scale is None or box is None or KEEP_SCALE[0] <= scale <= KEEP_SCALE[1]:
        return None
    if not PANORAMIC_SCALE[0] <= scale <= PANORAMIC_SCALE[1]:
        return None
    extent = [(side.stop - side.start) / length for side, length in zip(box, labels.shape)]  # shares of height, width
    if scale > 1 and not close_view and (extent[0] > FILLED_SPREAD[0] or extent[1] > FILLED_SPREAD[1]):
        return None
    if extent[0] / scale > MAX_SPREAD[0] or extent[1] / scale > MAX_SPREAD[1]:
        return None
    height, width = round(labels.shape[0] * scale), round(labels.shape[1] * scale)
    centre_y = (box[0].start + box[0].stop) / 2
    centre_x = (box[1].start + box[1].stop) / 2
    return round(centre_y - TEETH_CENTRE[0] * height), round(centre_x - TEETH_CENTRE[1] * width), height, width





def look_again(networks: Networks, views: list[View]) -> list[View]:
    """Views whose teeth look far from a typical size, seen again at a window that frames them as
    in training, by the mask network of their first look; their notes say so.

    Needs the typical tooth sizes of a numbering model; without them every first look stands.
    """
    typical = networks.typical_tooth_fractions
    again = []
    for i, view in enumerate(views if typical else []):
        scale = tooth_scale(view.look.labels, typical)
        window = second_look_window(view.look.labels, scale, bool(view.notes.get("close_view")))
        if window is not None:
            again.append((i, window))
            view.notes["second_look"] = {"tooth_scale": round(scale, 3), "window_yxhw": list(window)}
    if not again:
        return views
    again_looks = {}  # each image seen again by the mask network of its first look
    for close_view in (False, True):
        group = [(i, w) for i, w in again if bool(views[i].notes.get("close_view")) == close_view]
        if group:
            network = networks.close_up() if close_view else None
            windows = [cut(views[i].image, w) for i, w in group]
            again_looks.update(zip(group, networks.look(windows, network, separate=close_view)))
    views = list(views)
    for (i, window), look in again_looks.items():
        first = views[i].look
        shape = first.labels.shape
        # Outside the window nothing is tooth: pixels the first look called tooth get the background probability.
        outside = np.nonzero(first.labels > 0)
        first.confidence[outside] = class_probability_at(first.scores, shape, outside, np.zeros(outside[0].size, np.intp))
        joined = Look(
            paste(look.labels, window, shape, np.zeros_like(first.labels)),
            paste(look.confidence, window, shape, first.confidence),
            first.scores,
        )
        views[i] = View(views[i].image, joined, views[i].numbers, views[i].notes)
    return views
