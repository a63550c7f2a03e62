"""The image a Segmentation or report refers to: the DICOM input's own header, or a new one.

A SEG copies its patient and study from its source and names the source's UIDs, so for a
DICOM input we read the header again (without pixels: the prediction has them). For any
other input we make a Secondary Capture header with new UIDs and empty patient fields, so
the SEG is still a valid object of its own study.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

from teethseg.errors import TeethsegError


def dicom_header(path: str | Path) -> Dataset:
    """A DICOM file's attributes without its pixel data; one TeethsegError naming the file on failure."""
    import pydicom

    try:
        return pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception as error:  # pydicom raises many types on hostile bytes
        raise TeethsegError(path, f"cannot read the DICOM header again for its Segmentation ({error})") from None


def new_source(shape: tuple[int, int], pixel_spacing: list[float] | None = None) -> Dataset:
    """A Secondary Capture header of ``shape`` (rows, columns) with new UIDs and empty patient fields."""
    now = datetime.datetime.now()
    header = Dataset()
    header.SOPClassUID = SecondaryCaptureImageStorage
    header.SOPInstanceUID = generate_uid()
    header.StudyInstanceUID = generate_uid()
    header.SeriesInstanceUID = generate_uid()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
                    "ReferringPhysicianName", "StudyID"):
        setattr(header, keyword, "")
    header.StudyDate = now.strftime("%Y%m%d")
    header.StudyTime = now.strftime("%H%M%S")
    header.Modality = "OT"
    header.Rows, header.Columns = int(shape[0]), int(shape[1])
    header.SamplesPerPixel = 1
    header.PhotometricInterpretation = "MONOCHROME2"
    header.BitsAllocated = header.BitsStored = 8
    header.HighBit = 7
    header.PixelRepresentation = 0
    if pixel_spacing:
        header.PixelSpacing = [float(v) for v in pixel_spacing]
    return header


# Type 2 attributes of the patient and study that a SEG copies from its source: empty when absent.
_EMPTY_IF_ABSENT = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
                    "ReferringPhysicianName", "StudyID", "StudyDate", "StudyTime")


def complete(header: Dataset) -> Dataset:
    """A DICOM header with what a SEG needs of its source: new Study/Series UIDs where the file
    has none (a SEG must name them), empty patient and study fields where they are absent."""
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        if not header.get(keyword):
            setattr(header, keyword, generate_uid())
    if not header.get("SOPClassUID"):
        header.SOPClassUID = SecondaryCaptureImageStorage
    for keyword in _EMPTY_IF_ABSENT:
        if keyword not in header:
            setattr(header, keyword, "")
    return header


def source_for(source_path: str | None, labels: np.ndarray, dicom: dict | None) -> Dataset:
    """The header a prediction's DICOM objects refer to: the input's own when it was DICOM."""
    if dicom and source_path:
        header = dicom_header(source_path)
        if (int(header.get("Rows", 0)), int(header.get("Columns", 0))) != labels.shape:
            raise TeethsegError(source_path, "the DICOM header's Rows and Columns differ from the segmented image")
        # The geometry a SEG copies is the spacing teethseg read and trusted (teethseg.io.dicom), not a damaged one.
        for keyword in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
            if keyword in header:
                del header[keyword]
        if dicom.get("pixel_spacing_mm"):
            header.PixelSpacing = [float(value) for value in dicom["pixel_spacing_mm"]]
        return complete(header)
    return new_source(labels.shape)
