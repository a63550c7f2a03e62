"""A prediction as a DICOM Segmentation (BINARY, one segment per found tooth), and back.

Each segment is labelled with the tooth's FDI number and coded with its SNOMED CT concept
(``teethseg.dicom_out.codes``), so a DICOM viewer lists "11  Permanent maxillary right central
incisor tooth" over the radiograph. Segments are numbered 1..N over the teeth found, in the
model's class order; :func:`segmentation_labels` turns a SEG back into the ``_teeth.png``
label map (class index per pixel, 0 background).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from teethseg.dicom_out.codes import ANATOMICAL_STRUCTURE, tooth_code
from teethseg.errors import TeethsegError
from teethseg.io.files import atomic_path
from teethseg.version import __version__

MANUFACTURER = "teethseg"
# How `teethseg pacs` recognises its own SEGs in a study (with the manufacturer).
SERIES_DESCRIPTION = "teethseg teeth (FDI)"
SERIES_NUMBER = 901


def _fdi(name: str) -> int | None:
    return int(name) if name.isdigit() else None


def segments(labels: np.ndarray, class_names: list[str]) -> list[tuple[int, str, int | None]]:
    """(class value, segment label, FDI number or None) of each tooth class present, in class order."""
    present = [int(v) for v in np.unique(labels) if v > 0]
    if len(class_names) <= 2:  # a binary model: one "Tooth" segment
        return [(1, "Tooth", None)] if present else []
    out = []
    for value in present:
        if value >= len(class_names):
            raise TeethsegError(None, f"label value {value} has no class name (model has {len(class_names) - 1} classes)")
        name = class_names[value]
        out.append((value, name if _fdi(name) is None else str(_fdi(name)), _fdi(name)))
    return out


def build_segmentation(
    labels: np.ndarray, class_names: list[str], source: Dataset, model_name: str = "teethseg",
    algorithm_version: str = __version__,
) -> Any:
    """A highdicom ``Segmentation`` of ``labels`` (HxW class values) over the single-frame ``source``.

    With no tooth found, one empty "Tooth" segment is written, so that every input still
    gets its SEG (a viewer shows nothing; reading it back gives all zeros).
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    if int(source.get("NumberOfFrames", 1) or 1) != 1:
        raise TeethsegError(None, "a Segmentation of one frame of a multi-frame DICOM is not written")
    found = segments(labels, class_names)
    algorithm = hd.AlgorithmIdentificationSequence(
        name=f"teethseg {model_name}"[:64], family=codes.DCM.ArtificialIntelligence, version=algorithm_version,
    )
    descriptions, label_map = [], np.zeros(labels.shape, dtype=np.uint8)
    for number, (value, label, fdi) in enumerate(found or [(0, "Tooth", None)], start=1):
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=number, segment_label=label, segmented_property_category=ANATOMICAL_STRUCTURE,
            segmented_property_type=tooth_code(fdi), algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
        ))
        if value:
            label_map[labels == value if len(class_names) > 2 else labels > 0] = number
    seg = hd.seg.Segmentation(
        source_images=[source],
        pixel_array=label_map,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=model_name[:64],
        software_versions=algorithm_version,
        device_serial_number="none",
        series_description=SERIES_DESCRIPTION,
        content_label="TEETH",
        content_description="Teeth numbered in FDI notation",
        omit_empty_frames=bool(found),
        transfer_syntax_uid=ExplicitVRLittleEndian,
    )
    if "FrameOfReferenceUID" not in seg and "PatientOrientation" not in seg:
        # General Image module, type 2C for images without a patient coordinate system: a
        # radiograph's orientation letters when its header has them, else empty.
        seg.PatientOrientation = source.get("PatientOrientation") or ""
    return seg


def segmentation_labels(seg: Dataset | str | Path, class_names: list[str]) -> np.ndarray:
    """A SEG of one single-frame image back as an HxW uint8 map of class values (``_teeth.png``).

    A segment labelled with one of ``class_names`` gets that class's index; any other (a
    binary model's "Tooth") gets 1. Frames are read with pydicom: highdicom 0.28 cannot read
    back its own SEGs of projection radiographs with a pixel spacing (no Slice Thickness).
    """
    import pydicom

    dataset = pydicom.dcmread(seg) if isinstance(seg, (str, Path)) else seg
    frames = dataset.pixel_array
    frames = frames[None] if frames.ndim == 2 else frames
    names = {int(item.SegmentNumber): str(item.SegmentLabel) for item in dataset.SegmentSequence}
    labels = np.zeros((int(dataset.Rows), int(dataset.Columns)), dtype=np.uint8)
    shared = dataset.SharedFunctionalGroupsSequence[0] if "SharedFunctionalGroupsSequence" in dataset else Dataset()
    for frame, item in zip(frames, dataset.PerFrameFunctionalGroupsSequence):
        identification = item.get("SegmentIdentificationSequence") or shared.SegmentIdentificationSequence
        name = names[int(identification[0].ReferencedSegmentNumber)]
        labels[frame > 0] = class_names.index(name) if name in class_names else 1
    return labels


def write_segmentation(path: str | Path, seg: Dataset) -> Path:
    """Save a SEG (or any dataset) atomically: the file appears whole or not at all."""
    with atomic_path(path) as temporary:
        seg.save_as(temporary, enforce_file_format=True)
    return Path(path)
