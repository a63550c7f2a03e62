"""Take teeth out of a training radiograph, so that the numbering network learns to count across gaps.

On val, most wrong tooth numbers are runs shifted by one next to a missing tooth: the network
counts teeth as if none were missing. Training images where a tooth was taken out (its pixels
filled from the bone and soft tissue around it, its label set to background) show it gaps where
the labels are known to skip a number. After an extraction the teeth behind the gap often
drift toward it, so the gap nearly closes and only the numbers tell; ``close_gap`` shows that too.
"""

from __future__ import annotations

import cv2
import numpy as np

from teethseg.data.classes import FDI_TEETH

# Fewer teeth than this: leave the image alone (a partial view, or a nearly toothless patient).
MIN_TEETH = 8
# The fill's noise, as a share of the texture (standard deviation) of the non-tooth pixels around.
NOISE_SHARE = 0.25
# How far the teeth behind a gap move toward it, as a share of the removed tooth's width.
DRIFT_SHARE = (0.4, 0.9)
# Over how many pixels (at the input size) a jaw's drift fades out across the line between the jaws.
JAW_SOFTNESS = 3.0


def remove_teeth(
    image: np.ndarray, labels: np.ndarray, rng: np.random.Generator, most: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` (float grey) and numbered ``labels`` with 1 to ``most`` random teeth taken out."""
    present = np.flatnonzero(np.bincount(labels.ravel())[1:]) + 1
    if len(present) < MIN_TEETH:
        return image, labels
    chosen = rng.choice(present, size=int(rng.integers(1, most + 1)), replace=False)
    # Resizing blurs the tooth's edge a pixel or two past its label: take those pixels too, but
    # never a neighbouring tooth's.
    gone = np.isin(labels, chosen)
    grown = cv2.dilate(gone.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).astype(bool)
    gone = grown & ((labels == 0) | gone)
    around = (labels == 0) & ~gone
    # Each removed pixel gets the Gaussian-weighted mean of the non-tooth pixels near it
    # (normalised convolution), about a tooth's width across, plus noise as textured as they are.
    width = float(np.sqrt(gone.sum() / len(chosen)))
    sigma = max(2.0, width / 3)
    weight = cv2.GaussianBlur(around.astype(np.float32), (0, 0), sigma)
    total = cv2.GaussianBlur(np.where(around, image, 0).astype(np.float32), (0, 0), sigma)
    fallback = float(image[around].mean()) if around.any() else float(image.mean())
    fill = np.where(weight > 1e-3, total / np.maximum(weight, 1e-3), fallback)
    ring = around & cv2.dilate(gone.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    texture = float(image[ring].std()) if ring.sum() > 10 else 0.0
    noise = cv2.GaussianBlur(rng.standard_normal(image.shape).astype(np.float32), (0, 0), 1.5)
    noise *= texture / max(float(noise.std()), 1e-6) * NOISE_SHARE
    # Soften the seam by a pixel outside the removed area.
    alpha = np.maximum(cv2.GaussianBlur(gone.astype(np.float32), (0, 0), 1.0), gone)
    filled = image * (1 - alpha) + (fill + noise) * alpha
    return filled.clip(0, 1).astype(image.dtype), np.where(gone, 0, labels).astype(labels.dtype)


def fdi_positions(class_names: list[str]) -> dict[int, tuple[int, int]]:
    """Class index -> (quadrant 1-4, tooth 1-8) for the permanent FDI teeth among ``class_names``."""
    return {i: (int(name[0]), int(name[1])) for i, name in enumerate(class_names) if name in FDI_TEETH}


def close_gap(
    image: np.ndarray, labels: np.ndarray, before: np.ndarray, fdi: dict[int, tuple[int, int]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move the teeth behind one removed tooth (``before`` minus ``labels``) toward its gap.

    Only that tooth's jaw moves: columns between the gap and the last tooth behind it shift by
    40-90 % of the removed tooth's width; the gap is squeezed, and the space behind the last tooth
    is stretched (the ramus stays). Labels keep their true numbers.
    """
    present = set(np.unique(labels).tolist())
    options = []
    for c in np.unique(before).tolist():
        if c not in fdi or c in present:
            continue
        quadrant, number = fdi[c]
        behind = [k for k, (q, n) in fdi.items() if q == quadrant and n > number and k in present]
        if behind:
            options.append((c, quadrant, behind))
    if not options:
        return image, labels
    gone, quadrant, behind = options[int(rng.integers(len(options)))]
    # The patient's right (quadrants 1 and 4) is the image's left: work on the mirror image there.
    flip = quadrant in (1, 4)
    if flip:
        image, labels, before = image[:, ::-1], labels[:, ::-1], before[:, ::-1]
    height, width = labels.shape
    cols = np.flatnonzero((before == gone).any(0))
    start, stop = float(cols[0]), float(cols[-1] + 1)
    end = float(np.flatnonzero(np.isin(labels, behind).any(0))[-1] + 1)
    shift = float(rng.uniform(*DRIFT_SHARE)) * (stop - start)
    # Output column x shows input column x + s(x): 0 before the gap, then s rises to the shift
    # across the gap, holds it over the teeth behind, and falls back to 0 past the last of them.
    xs = np.arange(width, dtype=np.float32)
    knots = [start, stop - shift, end - shift, min(width - 1.0, end + stop - start)]
    profile = np.interp(xs, knots, [0.0, shift, shift, 0.0], left=0.0, right=0.0).astype(np.float32)
    # The line between the jaws, over the columns that move.
    span = labels[:, int(max(0.0, start - (stop - start))) : int(end)]
    upper_rows = np.flatnonzero(np.isin(span, [k for k, (q, _) in fdi.items() if q in (1, 2)]).any(1))
    lower_rows = np.flatnonzero(np.isin(span, [k for k, (q, _) in fdi.items() if q in (3, 4)]).any(1))
    between = (upper_rows[-1] + lower_rows[0]) / 2 if len(upper_rows) and len(lower_rows) else height / 2
    rows = np.arange(height, dtype=np.float32)[:, None]
    side = (between - rows) if quadrant in (1, 2) else (rows - between)
    weight = 1 / (1 + np.exp(-side / JAW_SOFTNESS))
    map_x = (xs[None, :] + profile[None, :] * weight).astype(np.float32)
    map_y = np.repeat(rows, width, 1).astype(np.float32)
    image = cv2.remap(np.ascontiguousarray(image), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    labels = cv2.remap(np.ascontiguousarray(labels), map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT)
    if flip:
        image, labels = image[:, ::-1], labels[:, ::-1]
    return np.ascontiguousarray(image), np.ascontiguousarray(labels)
