"""``teethseg pacs`` against a real Orthanc: QIDO finds, WADO fetches, STOW stores one SEG per image."""

from __future__ import annotations

import socket

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.uid import generate_uid

from teethseg.cli import main
from teethseg.dicom_out.seg import segmentation_labels
from teethseg.pacs import parse_modalities, parse_since
from tests.dicom_out.radiographs import sample_dicom
from tests.io.test_dicom import dicom_dataset
from tests.pacs.orthanc import count_instances, orthanc, upload

FDI_CLASSES = ["background"] + [str(q * 10 + p) for q in (1, 2, 3, 4) for p in range(1, 9)]


def no_pixels(path):
    """A PX instance that a PACS accepts but that holds no image: the bad instance to skip."""
    dataset = dicom_dataset(np.zeros((64, 64), np.uint8), StudyInstanceUID=generate_uid(), SeriesInstanceUID=generate_uid(),
                            PatientID="BAD", PatientName="BAD^HEADER", Modality="PX")
    del dataset.PixelData
    dataset.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture(scope="module")
def pacs(tmp_path_factory):
    """Orthanc holding three sample radiographs (three studies) and one bad instance."""
    root = tmp_path_factory.mktemp("pacs")
    with orthanc(root) as base:
        files = [sample_dicom(root / f"pano{i}.dcm", sample=i, patient=f"P{i}^TEST") for i in range(3)]
        for path in [*files, no_pixels(root / "bad.dcm")]:
            assert upload(base, path)["Status"] == "Success"
        yield base, root, files


def _client(base):
    from dicomweb_client import DICOMwebClient

    return DICOMwebClient(f"{base}/dicom-web")


def test_round_trip_stores_one_seg_per_image_and_a_second_run_nothing(pacs, capsys):
    base, root, files = pacs
    url = f"{base}/dicom-web"
    assert main(["pacs", "--url", url, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert dry.count("would segment") == 4 and count_instances(base) == 4

    assert main(["pacs", "--url", url, "--dicom-sr"]) == 1  # the bad instance fails, the others are stored
    first = capsys.readouterr()
    bad = pydicom.dcmread(root / "bad.dcm")
    errors = [line for line in first.err.splitlines() if line.strip()]
    assert len(errors) == 1 and bad.SOPInstanceUID in errors[0] and "no pixel data" in errors[0]
    assert "3 of 4 instances segmented and stored" in first.out
    assert count_instances(base) == 4 + 3 * 2  # a SEG and an SR per good image

    assert main(["predict", *map(str, files), "--out", str(root / "local")]) == 0
    client = _client(base)
    for path in files:
        source = pydicom.dcmread(path)
        segs = client.search_for_series(source.StudyInstanceUID, search_filters={"Modality": "SEG"})
        assert len(segs) == 1
        series = segs[0]["0020000E"]["Value"][0]
        instances = client.search_for_instances(source.StudyInstanceUID, series)
        assert len(instances) == 1
        seg = client.retrieve_instance(source.StudyInstanceUID, series, instances[0]["00080018"]["Value"][0])
        assert seg.PatientID == source.PatientID
        referenced = seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence[0]
        assert referenced.ReferencedSOPInstanceUID == source.SOPInstanceUID
        local = np.asarray(Image.open(root / "local" / f"{path.stem}_teeth.png"))
        np.testing.assert_array_equal(segmentation_labels(seg, FDI_CLASSES), local)
        assert len(client.search_for_series(source.StudyInstanceUID, search_filters={"Modality": "SR"})) == 1

    assert main(["pacs", "--url", url, "--dicom-sr"]) == 1  # the bad one is named again, nothing else done
    second = capsys.readouterr()
    assert "3 already segmented; 1 to do" in second.out and count_instances(base) == 10
    assert len([line for line in second.err.splitlines() if line.strip()]) == 1


def test_modality_and_date_filters(pacs, capsys):
    base, _, _ = pacs
    assert main(["pacs", "--url", f"{base}/dicom-web", "--dry-run", "--modality", "CT,MR"]) == 0
    assert "0 instances of CT, MR found" in capsys.readouterr().out
    assert main(["pacs", "--url", f"{base}/dicom-web", "--dry-run", "--since", "2030-01-01"]) == 0
    assert "0 instances" in capsys.readouterr().out
    assert main(["pacs", "--url", f"{base}/dicom-web", "--dry-run", "--since", "2024-01-02"]) == 0
    assert "3 instances of PX" in capsys.readouterr().out  # the bad instance has no study date


def test_unreachable_pacs_and_bad_options_are_one_line(capsys):
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        port = handle.getsockname()[1]
    assert main(["pacs", "--url", f"http://127.0.0.1:{port}/dicom-web"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot search the PACS" in err[0]
    with pytest.raises(Exception, match="--since"):
        parse_since("last week")
    with pytest.raises(Exception, match="--modality"):
        parse_modalities("PX;DROP")
    assert parse_modalities("px, dx") == ["PX", "DX"] and parse_since("2024-01-02") == "20240102"
