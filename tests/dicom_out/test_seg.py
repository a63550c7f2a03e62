"""DICOM Segmentation and report written by ``teethseg predict``: valid, referenced, and lossless."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pydicom
import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.dicom_out.codes import TOOTH, tooth_code
from teethseg.dicom_out.files import write_dicom_outputs
from teethseg.dicom_out.seg import build_segmentation, segmentation_labels
from teethseg.dicom_out.source import new_source
from teethseg.predict.folders import sample_paths
from tests.dicom_out.radiographs import PIXEL_SPACING, dciodvfy, sample_dicom

FDI_CLASSES = ["background"] + [str(q * 10 + p) for q in (1, 2, 3, 4) for p in range(1, 9)]


@pytest.fixture(scope="module")
def predicted(tmp_path_factory) -> Path:
    """One predict run: a DICOM panoramic (with pixel spacing) and a JPEG, SEG and SR asked for."""
    root = tmp_path_factory.mktemp("dicom-out")
    sample_dicom(root / "pano.dcm", sample=0)
    shutil.copy(sample_paths()[1], root / "photo.jpg")
    assert main(["predict", str(root / "pano.dcm"), str(root / "photo.jpg"), "--dicom-sr", "--out", str(root / "out")]) == 0
    return root


def test_every_permanent_tooth_has_its_own_snomed_code():
    words = {1: "maxillary right", 2: "maxillary left", 3: "mandibular left", 4: "mandibular right"}
    places = {1: "central incisor", 2: "lateral", 3: "canine", 4: "first premolar", 5: "second premolar",
              6: "first molar", 7: "second molar", 8: "third molar"}
    fdis = [int(name) for name in FDI_CLASSES[1:]]
    found = [tooth_code(fdi) for fdi in fdis]
    assert len({code.value for code in found}) == 32 and all(code.scheme_designator == "SCT" for code in found)
    for fdi, code in zip(fdis, found):
        assert words[fdi // 10] in code.meaning.lower() and places[fdi % 10] in code.meaning.lower(), (fdi, code)
    assert tooth_code(None) == TOOTH and tooth_code(55) == TOOTH and tooth_code(19) == TOOTH


def test_dicom_input_gets_a_seg_that_references_it_and_reads_back_as_the_teeth_png(predicted):
    out = predicted / "out"
    source = pydicom.dcmread(predicted / "pano.dcm")
    seg = pydicom.dcmread(out / "pano_seg.dcm")
    assert seg.Modality == "SEG" and seg.SegmentationType == "BINARY"
    assert seg.StudyInstanceUID == source.StudyInstanceUID and seg.PatientID == source.PatientID
    assert seg.PatientName == source.PatientName and seg.SeriesInstanceUID != source.SeriesInstanceUID
    assert (seg.Rows, seg.Columns) == (source.Rows, source.Columns)
    referenced = seg.ReferencedSeriesSequence[0]
    assert referenced.SeriesInstanceUID == source.SeriesInstanceUID
    assert referenced.ReferencedInstanceSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    record = json.loads((out / "pano.json").read_text())
    labels = [item.SegmentLabel for item in seg.SegmentSequence]
    assert labels == [str(tooth["fdi"]) for tooth in record["teeth"]] and len(labels) >= 20
    codes = [item.SegmentedPropertyTypeCodeSequence[0].CodeValue for item in seg.SegmentSequence]
    assert codes == [tooth_code(int(label)).value for label in labels]
    teeth_png = np.asarray(Image.open(out / "pano_teeth.png"))
    np.testing.assert_array_equal(segmentation_labels(out / "pano_seg.dcm", FDI_CLASSES), teeth_png)
    errors, _ = dciodvfy(out / "pano_seg.dcm")
    assert errors == []


def test_dicom_seg_for_a_jpeg_has_new_uids_and_no_patient(predicted):
    out = predicted / "out"
    seg = pydicom.dcmread(out / "photo_seg.dcm")
    other = pydicom.dcmread(out / "pano_seg.dcm")
    assert seg.StudyInstanceUID != other.StudyInstanceUID and seg.SOPInstanceUID != other.SOPInstanceUID
    assert str(seg.PatientName) == "" and seg.PatientID == ""
    teeth_png = np.asarray(Image.open(out / "photo_teeth.png"))
    np.testing.assert_array_equal(segmentation_labels(out / "photo_seg.dcm", FDI_CLASSES), teeth_png)
    errors, _ = dciodvfy(out / "photo_seg.dcm")
    assert errors == []


def _content(dataset) -> list:
    """Every content item of an SR, depth first."""
    items = []
    for item in dataset.get("ContentSequence", []):
        items.append(item)
        items.extend(_content(item))
    return items


def test_report_holds_the_count_missing_teeth_and_areas_in_mm2(predicted):
    out = predicted / "out"
    record = json.loads((out / "pano.json").read_text())
    report = pydicom.dcmread(out / "pano_sr.dcm")
    seg = pydicom.dcmread(out / "pano_seg.dcm")
    items = _content(report)
    count = [i for i in items if i.ValueType == "NUM" and i.ConceptNameCodeSequence[0].CodeValue == "teeth-count"]
    assert float(count[0].MeasuredValueSequence[0].NumericValue) == record["teeth_count"]
    missing = [i.ConceptCodeSequence[0].CodeValue for i in items
               if i.ValueType == "CODE" and i.ConceptNameCodeSequence[0].CodeValue == "tooth-not-found"]
    assert missing == [tooth_code(fdi).value for fdi in record["missing_fdi"]]
    areas = [float(i.MeasuredValueSequence[0].NumericValue) for i in items
             if i.ValueType == "NUM" and i.ConceptNameCodeSequence[0].CodeMeaning == "Area"]
    assert areas == pytest.approx([tooth["area_mm2"] for tooth in record["teeth"]])
    assert areas == pytest.approx([t["area_px"] * PIXEL_SPACING[0] * PIXEL_SPACING[1] for t in record["teeth"]])
    references = [i.ReferencedSOPSequence[0] for i in items if i.ValueType == "IMAGE" and "ReferencedSOPSequence" in i
                  and i.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == seg.SOPInstanceUID]
    assert len(references) == record["teeth_count"]
    assert report.StudyInstanceUID == seg.StudyInstanceUID
    errors, _ = dciodvfy(out / "pano_sr.dcm")
    assert errors == []


def test_report_without_pixel_spacing_has_no_areas(predicted):
    items = _content(pydicom.dcmread(predicted / "out" / "photo_sr.dcm"))
    assert not [i for i in items if i.ValueType == "NUM" and i.ConceptNameCodeSequence[0].CodeMeaning == "Area"]
    assert [i for i in items if i.ValueType == "NUM" and i.ConceptNameCodeSequence[0].CodeValue == "teeth-count"]


def test_no_tooth_gives_one_empty_segment_and_binary_models_one_tooth_segment(tmp_path):
    empty = np.zeros((40, 60), dtype=np.uint8)
    seg = build_segmentation(empty, FDI_CLASSES, new_source(empty.shape))
    assert [item.SegmentLabel for item in seg.SegmentSequence] == ["Tooth"]
    np.testing.assert_array_equal(segmentation_labels(seg, FDI_CLASSES), empty)
    binary = np.zeros((40, 60), dtype=np.uint8)
    binary[5:20, 10:30] = 1
    seg = build_segmentation(binary, ["background", "tooth"], new_source(binary.shape))
    assert [item.SegmentLabel for item in seg.SegmentSequence] == ["Tooth"]
    np.testing.assert_array_equal(segmentation_labels(seg, ["background", "tooth"]), binary)


def test_seg_is_written_only_when_due(tmp_path):
    labels = np.zeros((40, 60), dtype=np.uint8)
    labels[5:20, 10:30] = 3
    result = SimpleNamespace(labels=labels, class_names=FDI_CLASSES, model_name="m", teeth=[], source=None,
                             extra={}, summary=lambda: {})
    assert write_dicom_outputs(result, tmp_path, "a") == []  # not DICOM, not asked
    result.extra = {"dicom": {"format": "DICOM"}, "frame": 0, "frames": 2}
    assert write_dicom_outputs(result, tmp_path, "b", seg=True) == []  # one frame of a stack
    result.extra = {}
    assert [p.name for p in write_dicom_outputs(result, tmp_path, "c", seg=True)] == ["c_seg.dcm"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c_seg.dcm"]  # no temporary left beside it


def test_a_dicom_without_study_or_patient_still_gets_a_valid_seg(tmp_path):
    from pydicom.dataset import Dataset

    from teethseg.dicom_out.source import complete

    header = Dataset()
    header.SOPInstanceUID, header.Rows, header.Columns, header.Modality = "1.2.3.4", 40, 60, "DX"
    header.SamplesPerPixel, header.PhotometricInterpretation, header.BitsAllocated = 1, "MONOCHROME2", 8
    header = complete(header)
    assert header.SOPInstanceUID == "1.2.3.4" and header.StudyInstanceUID and header.SeriesInstanceUID
    assert header.PatientID == "" and header.StudyDate == ""
    labels = np.zeros((40, 60), dtype=np.uint8)
    labels[10:30, 5:25] = 9  # FDI 21
    seg = build_segmentation(labels, FDI_CLASSES, header)
    seg.save_as(tmp_path / "s.dcm", enforce_file_format=True)
    assert [item.SegmentLabel for item in seg.SegmentSequence] == ["21"]
    np.testing.assert_array_equal(segmentation_labels(tmp_path / "s.dcm", FDI_CLASSES), labels)
    errors, _ = dciodvfy(tmp_path / "s.dcm")
    assert errors == []
