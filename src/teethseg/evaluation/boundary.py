"""Boundary metrics that forgive annotators' pixel-level disagreement: 95th-percentile Hausdorff
distance and normalised surface Dice (NSD), computed with MONAI's metric functions.

Both compare the outlines of the teeth mask. HD95 is the distance (px, and mm when the pixel
spacing is known) within which 95 % of the outline points of each mask lie from the other's;
NSD is the fraction of both outlines that lies within a tolerance of the other. Empty masks get
defined values where MONAI returns NaN: both empty is a perfect match (HD95 0, NSD 1); one
empty has no finite HD95 (``None``, left out of the mean and counted) and NSD 0.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

TOLERANCE_PX = 2.0  # NSD tolerance in pixels: about the width of an annotator's pen stroke
TOLERANCE_MM = 0.25  # NSD tolerance in mm, for images whose pixel spacing is known

BOUNDARY_NAMES = ("hd95_px", "nsd_px", "hd95_mm", "nsd_mm")


def _one_hot(mask: np.ndarray):
    import torch

    foreground = torch.from_numpy(np.ascontiguousarray(mask, dtype=bool))
    return torch.stack([~foreground, foreground]).float()[None]  # (batch, class, H, W)


def _monai_pair(prediction: np.ndarray, truth: np.ndarray, spacing: tuple[float, float] | None, tolerance: float) -> tuple[float, float]:
    """(HD95, NSD) of two non-empty masks, in the units of ``spacing`` (pixels when None)."""
    from monai.metrics import compute_hausdorff_distance, compute_surface_dice

    p, t = _one_hot(prediction), _one_hot(truth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI's deprecation notices on its own internals
        hd95 = compute_hausdorff_distance(p, t, percentile=95, spacing=spacing)
        nsd = compute_surface_dice(p, t, class_thresholds=[tolerance], spacing=spacing)
    return float(hd95.item()), float(nsd.item())


def boundary_scores(
    prediction: np.ndarray, truth: np.ndarray, spacing_mm: tuple[float, float] | None = None,
    tolerance_px: float = TOLERANCE_PX, tolerance_mm: float = TOLERANCE_MM,
) -> dict[str, float | None]:
    """HD95 and NSD of a predicted teeth mask against its truth (same shape, any non-zero = tooth).

    Args:
        prediction, truth: 2-D masks.
        spacing_mm: (row, column) pixel spacing in mm; with it the mm scores are filled in too.
    Returns:
        ``hd95_px``, ``nsd_px`` and, with a spacing, ``hd95_mm``, ``nsd_mm`` (else None).
    """
    if prediction.shape != truth.shape:
        raise ValueError(f"prediction {prediction.shape} and truth {truth.shape} differ in shape")
    p, t = np.asarray(prediction).astype(bool), np.asarray(truth).astype(bool)
    result: dict[str, float | None] = dict.fromkeys(BOUNDARY_NAMES)
    units = [("px", None, tolerance_px)] + ([("mm", tuple(map(float, spacing_mm)), tolerance_mm)] if spacing_mm else [])
    for unit, spacing, tolerance in units:
        if not p.any() and not t.any():
            hd95, nsd = 0.0, 1.0
        elif not p.any() or not t.any():
            hd95, nsd = None, 0.0
        else:
            hd95, nsd = _monai_pair(p, t, spacing, tolerance)
        result[f"hd95_{unit}"], result[f"nsd_{unit}"] = hd95, nsd
    return result


def summarise(rows: list[dict[str, float | None]]) -> dict[str, float | int | None]:
    """Means over images of each boundary score (HD95 over the images where it is finite),
    with how many images each mean covers."""
    summary: dict[str, float | int | None] = {"tolerance_px": TOLERANCE_PX, "tolerance_mm": TOLERANCE_MM}
    for name in BOUNDARY_NAMES:
        values = [row[name] for row in rows if row.get(name) is not None]
        summary[name] = float(np.mean(values)) if values else None
        summary[f"{name}_images"] = len(values)
    return summary


def pixel_spacing_mm(path: str | Path) -> tuple[float, float] | None:
    """(row, column) spacing in mm of a DICOM file read from its header; None for other images."""
    from teethseg.io.dicom import is_dicom_file, pixel_spacing

    path = Path(path)
    if not is_dicom_file(path):
        return None
    import pydicom

    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # an unreadable header: the image itself is refused elsewhere with its reason
        return None
    spacing, _ = pixel_spacing(dataset)
    return (float(spacing[0]), float(spacing[1])) if spacing else None
