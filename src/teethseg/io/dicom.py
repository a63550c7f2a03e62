"""Reading DICOM radiographs: pixels as the clinic's viewer shows them, plus the facts we report.

Pixels go through the DICOM display chain in float, so 12- and 16-bit depth is kept until the
model's normalisation: the modality LUT (rescale slope and intercept), then the first VOI
window (or VOI LUT) stored in the file, else the frame's own min-max range, then MONOCHROME1
is inverted so bone and teeth are bright. Compressed transfer syntaxes are decoded by the
plugins pydicom finds (GDCM, pylibjpeg with OpenJPEG, Pillow).

:func:`read_dicom` also returns the identifiers and pixel spacing that ``predict`` records in
its JSON, so that areas can be given in mm^2.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError, one_line
from teethseg.io.facts import SourceFacts, dicom_facts
from teethseg.io.limits import MAX_FRAMES, MAX_PIXELS, MAX_STACK_PIXELS

DICOM_SUFFIXES = (".dcm", ".dicom")
# Luma weights of ITU-R 601, as Pillow's convert("L"), so colour DICOMs grey like other images.
_LUMA = np.array([0.299, 0.587, 0.114])


def is_dicom_file(path: str | Path) -> bool:
    """True for ``.dcm``/``.dicom`` names, and for files named as PACS exports name them (no
    extension, or a number such as ``IM.0001``) that start with the DICOM preamble."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in DICOM_SUFFIXES:
        return True
    if suffix and not suffix[1:].isdigit():
        return False
    try:
        with path.open("rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except (OSError, ValueError):
        return False



def _open(path: Path, header_only: bool = False):
    """The parsed dataset; every failure becomes one TeethsegError naming the file."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(path, stop_before_pixels=header_only)
    except InvalidDicomError:
        pass  # no 'DICM' preamble: old ACR-NEMA style files still parse when forced
    except Exception as error:  # pydicom raises many types on hostile bytes
        raise TeethsegError(path, f"corrupt or truncated DICOM file ({one_line(error)})") from None
    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=header_only, force=True)
        if "Rows" in dataset and "Columns" in dataset:
            return dataset
    except Exception:
        pass
    raise TeethsegError(path, "not a DICOM file (no DICM marker and no image header)")


def _integer(dataset: Any, keyword: str, default: int | None = None) -> int | None:
    value = dataset.get(keyword, default)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _check_geometry(path: Path, dataset: Any) -> tuple[int, int, int]:
    """(rows, columns, frames) after refusing missing pixel data and absurd sizes."""
    if not any(k in dataset for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise TeethsegError(path, "DICOM file has no pixel data (a non-image object such as a report, or a truncated file)")
    rows, columns = _integer(dataset, "Rows"), _integer(dataset, "Columns")
    frames = _integer(dataset, "NumberOfFrames", 1)
    if not rows or not columns or rows < 0 or columns < 0:
        raise TeethsegError(path, "DICOM image has no valid Rows and Columns")
    if frames is None or frames < 1:
        raise TeethsegError(path, f"DICOM Number of Frames is {dataset.get('NumberOfFrames')!r}")
    if rows * columns > MAX_PIXELS:
        raise TeethsegError(path, f"image too large: claims {columns}x{rows} pixels, over the {MAX_PIXELS:,}-pixel limit")
    if frames > MAX_FRAMES or rows * columns * frames > MAX_STACK_PIXELS:
        raise TeethsegError(path, f"image too large: claims {frames} frames of {columns}x{rows} pixels")
    return rows, columns, frames


# Pixel sizes a radiograph can have, in mm (intraoral sensors about 0.02, CBCT up to about 0.4);
# values outside are damaged headers, and the areas in mm² would be nonsense or overflow.
SPACING_RANGE_MM = (1e-3, 10.0)


def _float_pair(value: Any) -> list[float] | None:
    try:
        pair = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    low, high = SPACING_RANGE_MM
    return pair if len(pair) == 2 and all(math.isfinite(v) and low <= v <= high for v in pair) else None


def pixel_spacing(dataset: Any) -> tuple[list[float] | None, str | None]:
    """Pixel size in mm as [between rows, between columns], and the attribute it came from.

    Pixel Spacing (calibrated in the patient) is preferred; else Imager Pixel Spacing (at the
    detector) divided by the estimated radiographic magnification when the file gives one.
    """
    spacing = _float_pair(dataset.get("PixelSpacing"))
    if spacing:
        return spacing, "PixelSpacing"
    for group in dataset.get("SharedFunctionalGroupsSequence") or []:
        for measures in group.get("PixelMeasuresSequence") or []:
            spacing = _float_pair(measures.get("PixelSpacing"))
            if spacing:
                return spacing, "PixelMeasuresSequence"
    spacing = _float_pair(dataset.get("ImagerPixelSpacing"))
    if spacing:
        try:
            magnification = float(dataset.get("EstimatedRadiographicMagnificationFactor") or 0)
        except (TypeError, ValueError):
            magnification = 0.0
        if math.isfinite(magnification) and magnification > 0:
            return [v / magnification for v in spacing], "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor"
        return spacing, "ImagerPixelSpacing"
    spacing = _float_pair(dataset.get("NominalScannedPixelSpacing"))
    if spacing:
        return spacing, "NominalScannedPixelSpacing"
    return None, None


def _first_number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value[0] if hasattr(value, "__len__") and not isinstance(value, str) else value)
    except (TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None


def _window(dataset: Any) -> tuple[float, float, str] | None:
    """The first VOI window (center, width, function) stored in the file, if it is usable."""
    center = _first_number(dataset.get("WindowCenter"))
    width = _first_number(dataset.get("WindowWidth"))
    function = str(dataset.get("VOILUTFunction") or "LINEAR").upper()
    if center is None or width is None or width <= 0 or (function == "LINEAR" and width < 1):
        return None
    return center, width, function


def apply_window(values: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2: map values through a VOI window to [0, 1]."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    if width <= 1:
        return (values > center).astype(float)
    return np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def _to_unit(frame: np.ndarray, dataset: Any, window: tuple[float, float, str] | None, path: Path) -> np.ndarray:
    """One decoded frame -> grey float32 in [0, 1] through the display chain; values that rescaling
    makes non-finite (an absurd Rescale Slope) are refused, not segmented as a blank image."""
    from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi

    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR":
        frame = apply_color_lut(frame, dataset)
        photometric = "RGB"
    if frame.ndim == 3:  # colour, already RGB: decoders convert YBR by default
        top = float(2 ** (_integer(dataset, "BitsStored", 8) or 8) - 1)
        return np.clip(frame[..., :3].astype(np.float64) @ _LUMA / top, 0, 1).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.asarray(apply_modality_lut(frame, dataset), dtype=np.float64)
    if not np.isfinite(values).all():
        raise TeethsegError(path, f"DICOM Rescale Slope {dataset.get('RescaleSlope')} and Intercept "
                                  f"{dataset.get('RescaleIntercept')} make pixel values overflow")
    if window is not None:
        unit = apply_window(values, *window)
    elif "VOILUTSequence" in dataset:
        unit = apply_voi(values, dataset).astype(np.float64)
        unit = (unit - unit.min()) / max(float(unit.max() - unit.min()), 1e-12)
    else:
        low, high = float(values.min()), float(values.max())
        unit = (values - low) / (high - low) if high > low else np.zeros_like(values)
    if photometric == "MONOCHROME1":
        unit = 1.0 - unit
    return np.clip(unit, 0.0, 1.0).astype(np.float32)


def dicom_info(dataset: Any, frames: int) -> dict[str, Any]:
    """The facts recorded beside a prediction: identifiers, geometry and pixel spacing (JSON-ready)."""
    spacing, source = pixel_spacing(dataset)
    window = _window(dataset)

    def text(keyword: str) -> str | None:
        value = dataset.get(keyword)
        return str(value) if value not in (None, "") else None

    transfer = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    return {
        "format": "DICOM",
        "sop_instance_uid": text("SOPInstanceUID"),
        "sop_class_uid": text("SOPClassUID"),
        "study_instance_uid": text("StudyInstanceUID"),
        "series_instance_uid": text("SeriesInstanceUID"),
        "modality": text("Modality"),
        "photometric_interpretation": text("PhotometricInterpretation"),
        "bits_stored": _integer(dataset, "BitsStored"),
        "transfer_syntax": str(transfer.name) if transfer else None,
        "frames": frames,
        "window": None if window is None else {"center": window[0], "width": window[1], "function": window[2]},
        "pixel_spacing_mm": spacing,
        "pixel_spacing_source": source,
    }


def read_dicom(path: str | Path, first_frame_only: bool = False) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Every frame (or only the first) as grey float32 HxW in [0, 1], and :func:`dicom_info`."""
    images, info, _ = read_dicom_with_facts(path, first_frame_only)
    return images, info


def read_dicom_with_facts(path: str | Path, first_frame_only: bool = False) -> tuple[list[np.ndarray], dict[str, Any], SourceFacts]:
    """:func:`read_dicom`, and the modality, body part and colour the grey frames no longer show
    (``teethseg.io.facts``: whether the file is a dental radiograph at all)."""
    path = Path(path)
    dataset = _open(path)
    _, _, frames = _check_geometry(path, dataset)
    from pydicom.pixels import pixel_array

    window = _window(dataset)
    _check_pixel_length(path, dataset, frames)
    try:
        if first_frame_only or frames == 1:
            decoded = [pixel_array(dataset, index=0) if frames > 1 else dataset.pixel_array]
        else:
            decoded = list(pixel_array(dataset))
        images = [_to_unit(frame, dataset, window, path) for frame in decoded]
        facts = dicom_facts(dataset, decoded[0])
    except TeethsegError:
        raise
    except MemoryError:
        raise TeethsegError(path, "DICOM pixel data too large to decode") from None
    except Exception as error:  # truncated data, missing or failing decoder plugin, bad LUTs
        syntax = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
        where = f" ({syntax.name})" if syntax is not None and hasattr(syntax, "name") else ""
        raise TeethsegError(path, f"cannot decode the DICOM pixel data{where}: {one_line(error)}") from None
    rows, columns = _integer(dataset, "Rows"), _integer(dataset, "Columns")
    for image in images:
        if image.shape != (rows, columns):
            raise TeethsegError(path, f"DICOM frame decoded as {image.shape}, the header says {rows}x{columns}")
    return images, dicom_info(dataset, frames), facts


def _check_pixel_length(path: Path, dataset: Any, frames: int) -> None:
    """Uncompressed pixel data must hold what the header declares: more (beyond the one byte that
    pads an odd length) means the header does not describe the image, and a reader would guess."""
    syntax = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    if "PixelData" not in dataset or syntax is None or getattr(syntax, "is_compressed", True):
        return
    bits = _integer(dataset, "BitsAllocated", 8) or 8
    samples = _integer(dataset, "SamplesPerPixel", 1) or 1
    rows, columns = _integer(dataset, "Rows"), _integer(dataset, "Columns")
    expected = math.ceil(rows * columns * frames * samples * bits / 8)
    found = len(dataset.PixelData)
    if found > expected + 1:
        raise TeethsegError(path, f"DICOM pixel data holds {found:,} bytes, more than the {expected:,} of the header's "
                                  f"{frames} frame(s) of {columns}x{rows}: the header does not describe the image")


def dicom_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the header only."""
    path = Path(path)
    dataset = _open(path, header_only=True)
    rows, columns = _integer(dataset, "Rows"), _integer(dataset, "Columns")
    if not rows or not columns:
        raise TeethsegError(path, "DICOM image has no valid Rows and Columns")
    return columns, rows


def pixel_area_mm2(info: dict[str, Any]) -> float | None:
    """Area of one pixel in mm^2, or None when the image has no known pixel spacing."""
    spacing = info.get("pixel_spacing_mm")
    return float(spacing[0] * spacing[1]) if spacing else None


def with_areas_mm2(teeth: list[dict[str, Any]], info: dict[str, Any]) -> list[dict[str, Any]]:
    """Tooth records with ``area_mm2`` added beside ``area_px`` when the pixel spacing is known."""
    area = pixel_area_mm2(info)
    if area is None:
        return teeth
    return [{**tooth, "area_mm2": round(tooth["area_px"] * area, 3)} for tooth in teeth]
