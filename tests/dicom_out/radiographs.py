"""DICOM radiographs built from the bundled samples, and dciodvfy, for the DICOM-output tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.uid import generate_uid

from teethseg.predict.folders import sample_paths

PIXEL_SPACING = (0.1, 0.1)


def sample_dicom(path: Path, sample: int = 0, study_uid: str | None = None, patient: str = "TEST^PATIENT",
                 pixel_spacing: tuple[float, float] | None = PIXEL_SPACING, source: Path | None = None) -> Path:
    """A panoramic (modality PX) Secondary Capture of a bundled sample (or of ``source``), with
    patient and study set."""
    import highdicom as hd

    pixels = np.asarray(Image.open(source or sample_paths()[sample]).convert("L"))
    image = hd.sc.SCImage(
        pixel_array=pixels, photometric_interpretation="MONOCHROME2", bits_allocated=8,
        coordinate_system="PATIENT", study_instance_uid=study_uid or generate_uid(),
        series_instance_uid=generate_uid(), series_number=1, sop_instance_uid=generate_uid(), instance_number=1,
        manufacturer="test", patient_id=patient.split("^")[0], patient_name=patient, patient_birth_date="19800101",
        patient_sex="F", accession_number="A1", study_id="S1", study_date="20240102", study_time="101500",
        referring_physician_name="", pixel_spacing=pixel_spacing, patient_orientation=("R", "F"),
    )
    image.Modality = "PX"
    image.save_as(path, enforce_file_format=True)
    return path


def dciodvfy(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) that dciodvfy reports on a file; skip (fail in CI) when it is absent."""
    tool = shutil.which("dciodvfy")
    if tool is None:
        message = "dciodvfy (Debian package dicom3tools) is not installed; tools/setup.sh installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    return [x for x in lines if re.match(r"\s*Error", x)], [x for x in lines if re.match(r"\s*Warning", x)]
