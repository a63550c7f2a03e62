"""From class probabilities to clean labels at the source size.

The teeth mask is every pixel whose tooth probability (1 - background) passes one half, so
a numbered model's mask does not lose pixels where two neighbouring teeth share the vote.
Numbered teeth then get one connected region per FDI class.
"""

from __future__ import annotations

import numpy as np

from teethseg.imaging.preprocess import resize_scores
from teethseg.imaging.regions import dilate, label_regions, value_boxes
from teethseg.teeth.borders import redraw_borders
from teethseg.teeth.split import contact_share, join_split_teeth

# Blobs smaller than this fraction of the image are noise, not teeth (52 px at 512x512).
MIN_BLOB_FRACTION = 0.0002
# A numbered region smaller than this is a sliver of a neighbour, not a tooth of its own
# (131 px at 512x512, where a tooth of the shared data covers about 1,600 px).
MIN_TOOTH_FRACTION = 0.0005
# A fragment that touches no tooth, and whose number another tooth took, stays a tooth of its own
# from this share of the smallest typical tooth (a lower incisor, about 860 px at 512x512) up;
# smaller ones are more often slivers or false blobs than whole teeth (model card).
LONE_TOOTH_SHARE = 0.5
# A pixel is tooth when its tooth probability (1 - background) reaches this (``predict --threshold``).
TOOTH_THRESHOLD = 0.5


def labels_at_size(
    probabilities: np.ndarray, size_hw: tuple[int, int], numbered: bool | None = None, threshold: float = TOOTH_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels (uint8) and their confidence at ``size_hw``, resizing one class at a time to save memory.

    Unnumbered models (``numbered`` False, or None with two classes) give the binary teeth mask;
    a pixel is tooth above ``threshold``.
    """
    tooth = tooth_probability(probabilities, size_hw)
    foreground = tooth > threshold
    background_confidence = 1.0 - tooth
    if not (probabilities.shape[0] > 2 if numbered is None else numbered):
        return foreground.astype(np.uint8), np.where(foreground, tooth, background_confidence).astype(np.float32)
    labels, best = tooth_classes(probabilities, size_hw, foreground, threshold)
    return labels, np.where(foreground, best, background_confidence).astype(np.float32)


def tooth_probability(probabilities: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """P(tooth) = 1 - P(background) at ``size_hw``, whatever classes the model has."""
    return 1.0 - resize_scores(probabilities[:1], size_hw)[0]


def tooth_classes(
    probabilities: np.ndarray, size_hw: tuple[int, int], where: np.ndarray, threshold: float = TOOTH_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """The most likely tooth class (ignoring background) at each pixel of ``where``, and its probability.

    Each class is resized bilinearly only inside the box where its probability can win: a
    pixel of ``where`` is tooth, so its best tooth class has at least threshold / (classes - 1), and
    a class below that at all four model pixels around it cannot reach it. Work then grows
    with the teeth, not with the number of classes times the radiograph's size.
    """
    height, width = size_hw
    floor = min(threshold, TOOTH_THRESHOLD) / (probabilities.shape[0] - 1)
    rows, cols = _source_coordinates(probabilities.shape[1], height), _source_coordinates(probabilities.shape[2], width)
    support = probabilities[1:] >= floor
    present_rows, present_cols = support.any(axis=2), support.any(axis=1)
    labels = np.zeros(size_hw, dtype=np.uint8)
    best = np.zeros(size_hw, dtype=np.float32)
    for c in range(1, probabilities.shape[0]):
        model_rows, model_cols = np.flatnonzero(present_rows[c - 1]), np.flatnonzero(present_cols[c - 1])
        box = (_reached(rows, model_rows), _reached(cols, model_cols)) if model_rows.size else (None, None)
        if box[0] is None or box[1] is None:  # absent, or read by no output pixel (an output smaller than the model's)
            continue
        value = _bilinear(probabilities[c], rows, cols, box)
        better = (value > best[box]) & where[box]
        labels[box][better] = c
        best[box][better] = value[better]
    unnamed = np.nonzero(where & (labels == 0))
    if unnamed[0].size:  # tooth for another model (a mask model) but not for this one: take the nearest model pixel's class
        nearest_rows = np.where(rows[2] < 0.5, rows[0], rows[1])[unnamed[0]]
        nearest_cols = np.where(cols[2] < 0.5, cols[0], cols[1])[unnamed[1]]
        votes = probabilities[1:, nearest_rows, nearest_cols]
        labels[unnamed] = votes.argmax(axis=0) + 1
        best[unnamed] = votes.max(axis=0)
    return labels, best


def _source_coordinates(model_length: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output pixel: the two model pixels around it and the weight of the second (as cv2.resize)."""
    position = np.clip((np.arange(length) + 0.5) * (model_length / length) - 0.5, 0, model_length - 1)
    low = np.floor(position).astype(np.intp)
    return low, np.minimum(low + 1, model_length - 1), (position - low).astype(np.float32)


def class_probability_at(
    probabilities: np.ndarray, size_hw: tuple[int, int], pixels: tuple[np.ndarray, np.ndarray], classes: np.ndarray
) -> np.ndarray:
    """The probability of ``classes[i]`` at output pixel ``pixels[i]``, resized bilinearly as ``tooth_classes`` does."""
    rows = [a[pixels[0]] for a in _source_coordinates(probabilities.shape[1], size_hw[0])]
    cols = [a[pixels[1]] for a in _source_coordinates(probabilities.shape[2], size_hw[1])]
    upper = probabilities[classes, rows[0], cols[0]] * (1 - cols[2]) + probabilities[classes, rows[0], cols[1]] * cols[2]
    lower = probabilities[classes, rows[1], cols[0]] * (1 - cols[2]) + probabilities[classes, rows[1], cols[1]] * cols[2]
    return upper * (1 - rows[2]) + lower * rows[2]


def _reached(coordinates: tuple[np.ndarray, np.ndarray, np.ndarray], model_pixels: np.ndarray) -> slice | None:
    """The output pixels whose interpolation reads a model pixel from the first to the last of
    ``model_pixels`` (sorted); None when none does, as happens when the output is smaller."""
    low, high, _ = coordinates
    touching = np.flatnonzero((high >= model_pixels[0]) & (low <= model_pixels[-1]))
    return slice(int(touching[0]), int(touching[-1]) + 1) if touching.size else None


def _bilinear(channel: np.ndarray, rows: tuple, cols: tuple, box: tuple[slice, slice]) -> np.ndarray:
    """``channel`` resized bilinearly to the output size, computed only inside ``box``."""
    top, bottom, row_weight = (a[box[0]] for a in rows)
    left, right, col_weight = (a[box[1]] for a in cols)
    upper = channel[top][:, left] * (1 - col_weight) + channel[top][:, right] * col_weight
    lower = channel[bottom][:, left] * (1 - col_weight) + channel[bottom][:, right] * col_weight
    return upper * (1 - row_weight[:, None]) + lower * row_weight[:, None]


def remove_small_blobs(labels: np.ndarray, min_area: int) -> np.ndarray:
    """Set connected foreground regions smaller than ``min_area`` pixels to background."""
    regions, count, _, areas = label_regions(labels > 0)
    if count == 0:
        return labels
    small = np.concatenate([[False], areas < min_area])
    cleaned = labels.copy()
    cleaned[small[regions]] = 0
    return cleaned


def one_region_per_tooth(
    labels: np.ndarray, min_tooth_area: int = 0, numbers: np.ndarray | None = None, lone_tooth_area: int | None = None
) -> np.ndarray:
    """Keep the largest region of each tooth class; give other fragments to the tooth they touch, else drop them.

    Fragments are handled after every class is reduced to its main region, so a fragment joins
    a real tooth and no FDI number is left on two regions. A main region under
    ``min_tooth_area`` pixels is treated as a fragment too. With ``numbers`` (the numbering
    probabilities at model size), a fragment of at least ``lone_tooth_area`` pixels that touches
    no tooth is a tooth of its own whose number another tooth took: it keeps its pixels and takes
    the likeliest number still free, so that a naming slip does not cost the mask a whole tooth.
    Work stays inside each class's and fragment's bounding box, so it is fast and needs little
    memory on large radiographs.
    """
    cleaned = labels.copy()
    fragments: list[tuple[tuple[slice, slice], np.ndarray]] = []
    for c, class_box in enumerate(value_boxes(labels), start=1):
        if class_box is None:
            continue
        regions, count, boxes, areas = label_regions(labels[class_box] == c)
        keep = int(areas.argmax()) + 1
        if areas[keep - 1] < min_tooth_area:
            keep = 0
        if count == 1 and keep:
            continue
        top, left = class_box[0].start, class_box[1].start
        for r, box in enumerate(boxes, start=1):
            if r == keep:
                continue
            window = (slice(top + box[0].start, top + box[0].stop), slice(left + box[1].start, left + box[1].stop))
            pixels = regions[box] == r
            cleaned[window][pixels] = 0
            fragments.append((window, pixels))
    for window, pixels in sorted(fragments, key=lambda f: -int(f[1].sum())):
        ring_window, ring_pixels = _padded(window, pixels, labels.shape, 2)
        ring = dilate(ring_pixels, 2) & ~ring_pixels
        neighbours = cleaned[ring_window][ring]
        neighbours = neighbours[neighbours > 0]
        if neighbours.size:
            cleaned[window][pixels] = np.bincount(neighbours).argmax()
        elif numbers is not None and lone_tooth_area is not None:
            if pixels.sum() >= max(lone_tooth_area, min_tooth_area, 1):
                cleaned[window][pixels] = _likeliest_free_number(numbers, cleaned, window, pixels)
    return cleaned


def _likeliest_free_number(numbers: np.ndarray, labels: np.ndarray, window: tuple[slice, slice], pixels: np.ndarray) -> int:
    """The tooth class no region of ``labels`` has that is likeliest over the pixels (0 when every number is taken)."""
    taken = np.bincount(labels.ravel(), minlength=numbers.shape[0])[1 : numbers.shape[0]] > 0
    free = np.flatnonzero(~taken) + 1
    if free.size == 0:
        return 0
    rows, cols = np.nonzero(pixels)
    where = (rows + window[0].start, cols + window[1].start)
    means = [class_probability_at(numbers, labels.shape, where, np.full(rows.size, c)).mean() for c in free]
    return int(free[int(np.argmax(means))])


def _padded(
    window: tuple[slice, slice], pixels: np.ndarray, shape: tuple[int, ...], margin: int
) -> tuple[tuple[slice, slice], np.ndarray]:
    """The window grown by ``margin`` (clipped to the image) and the pixels placed inside it."""
    rows, cols = window
    up, left = min(margin, rows.start), min(margin, cols.start)
    down, right = min(margin, shape[0] - rows.stop), min(margin, shape[1] - cols.stop)
    grown = (slice(rows.start - up, rows.stop + down), slice(cols.start - left, cols.stop + right))
    placed = np.zeros((pixels.shape[0] + up + down, pixels.shape[1] + left + right), dtype=bool)
    placed[up : up + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    return grown, placed


def postprocess(
    probabilities: np.ndarray, size_hw: tuple[int, int], numbering: np.ndarray | None = None, contacts: bool = False,
    typical: list[float] | None = None, threshold: float = TOOTH_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities at model size -> clean labels and confidence at the source size (tooth above ``threshold``).

    With ``numbering`` (a numbered model's probabilities), the mask comes from
    ``probabilities`` and each tooth pixel takes its number from ``numbering``. When
    ``probabilities`` come from a contact model (``contacts``), a tooth split between two
    numbers is joined again (with ``typical`` tooth shares, see ``teethseg.teeth.split``) and
    borders between teeth move to the contacts (``teethseg.teeth.borders``).
    """
    numbered = probabilities.shape[0] > 2 and not contacts
    # The probabilities that name the teeth (None for binary and contact models alone).
    numbers = numbering if numbering is not None else probabilities if numbered else None
    labels, confidence = labels_at_size(probabilities, size_hw, numbered, threshold)
    voted = labels > 0
    labels = remove_small_blobs(labels, max(1, int(MIN_BLOB_FRACTION * labels.size)))
    if numbering is not None:
        foreground = labels > 0
        labels, best = tooth_classes(numbering, size_hw, foreground, threshold)
        confidence = np.where(foreground, best, confidence)
    named = labels.copy() if numbers is not None else None
    if numbering is not None and contacts:
        share = contact_share(probabilities)
        labels = redraw_borders(labels, share)
    if numbers is not None:
        sizes = [f for f in typical or [] if f > 0]
        lone_area = int(LONE_TOOTH_SHARE * min(sizes) * labels.size) if sizes else None
        labels = one_region_per_tooth(labels, int(MIN_TOOTH_FRACTION * labels.size), numbers, lone_area)
    if numbering is not None and contacts and typical:
        labels = join_split_teeth(labels, share, typical)
    # Pixels whose label changed after the vote get the confidence of their new label.
    dropped = np.nonzero(voted & (labels == 0))
    confidence[dropped] = class_probability_at(probabilities, size_hw, dropped, labels[dropped])
    if numbers is not None:
        renamed = np.nonzero((labels != named) & (labels > 0))
        confidence[renamed] = class_probability_at(numbers, size_hw, renamed, labels[renamed])
    return labels, confidence
