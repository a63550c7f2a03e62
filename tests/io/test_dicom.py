"""DICOM radiographs built here with pydicom: display chain, metadata, compression, hostile files."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from teethseg.cli import main
from teethseg.errors import TeethsegError
from teethseg.io.dicom import apply_window, with_areas_mm2
from teethseg.io.images import (
    image_size,
    is_image_file,
    read_frames,
    read_frames_with_info,
    read_image,
    read_image_with_info,
)
from tests.conftest import synthetic_pair


def dicom_dataset(pixels: np.ndarray, photometric: str = "MONOCHROME2", bits_stored: int | None = None, **attributes) -> Dataset:
    """A minimal DX image (one frame, or a stack when ``pixels`` is 3-D grey)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = meta.MediaStorageSOPClassUID
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.Modality = "DX"
    pixels = np.asarray(pixels)
    dataset.set_pixel_data(pixels, photometric, bits_stored or pixels.dtype.itemsize * 8)
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    return dataset


def write_dicom(path: Path, pixels: np.ndarray, photometric: str = "MONOCHROME2", bits_stored: int | None = None, **attributes) -> Path:
    dicom_dataset(pixels, photometric, bits_stored, **attributes).save_as(path, enforce_file_format=True)
    return path


def ramp(bits: int, shape=(16, 32)) -> np.ndarray:
    """Every value of the depth from 0 to the top, so min-max maps exactly v / top."""
    top = 2**bits - 1
    values = np.linspace(0, top, shape[0] * shape[1]).round().reshape(shape)
    return values.astype(np.uint8 if bits <= 8 else np.uint16)


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_monochrome2_keeps_its_depth(tmp_path, bits):
    pixels = ramp(bits)
    image = read_image(write_dicom(tmp_path / "a.dcm", pixels, bits_stored=bits))
    assert image.shape == pixels.shape and image.dtype == np.float32
    np.testing.assert_allclose(image, pixels / (2**bits - 1), atol=1e-6)
    if bits > 8:  # more grey levels than an 8-bit image could hold
        assert len(np.unique(image)) > 256


@pytest.mark.parametrize("bits", [8, 16])
def test_monochrome1_is_inverted(tmp_path, bits):
    pixels = ramp(bits)
    normal = read_image(write_dicom(tmp_path / "m2.dcm", pixels, "MONOCHROME2"))
    inverted = read_image(write_dicom(tmp_path / "m1.dcm", pixels, "MONOCHROME1"))
    np.testing.assert_allclose(inverted, 1.0 - normal, atol=1e-6)
    assert inverted[0, 0] == pytest.approx(1.0)  # stored 0 is white in MONOCHROME1


def test_rescale_then_window(tmp_path):
    stored = np.array([[0, 250, 500, 750, 1000, 1000]], dtype=np.uint16)  # -> -1000 .. 1000 after rescale
    path = write_dicom(
        tmp_path / "ct.dcm", stored, bits_stored=12, RescaleSlope=2, RescaleIntercept=-1000, WindowCenter=0, WindowWidth=1001
    )
    image = read_image(path)
    expected = apply_window(stored[0] * 2.0 - 1000, 0, 1001)
    np.testing.assert_allclose(image[0], expected, atol=1e-6)
    assert image[0, 0] == 0 and image[0, 4] == 1 and image[0, 2] == pytest.approx(0.5, abs=1e-3)


def test_signed_pixels_and_multi_valued_window(tmp_path):
    stored = np.array([[-2000, -100, 0, 100, 2000]], dtype=np.int16)
    image = read_image(write_dicom(tmp_path / "s.dcm", stored, WindowCenter=[0, 40], WindowWidth=[201, 80]))
    np.testing.assert_allclose(image[0], [0, 0.0025, 0.5025, 1, 1], atol=1e-4)  # PS3.3 C.11.2.1.2.1


def test_info_has_uid_and_spacing_and_areas(tmp_path):
    dataset = dicom_dataset(ramp(16), PixelSpacing=[0.1, 0.2], StudyInstanceUID="1.2.3", SeriesInstanceUID="1.2.3.4")
    dataset.save_as(tmp_path / "a.dcm", enforce_file_format=True)
    image, info = read_image_with_info(tmp_path / "a.dcm")
    assert info["sop_instance_uid"] == str(dataset.SOPInstanceUID)
    assert info["study_instance_uid"] == "1.2.3" and info["modality"] == "DX"
    assert info["pixel_spacing_mm"] == [0.1, 0.2] and info["pixel_spacing_source"] == "PixelSpacing"
    assert info["frames"] == 1 and image.shape == (16, 32)
    teeth = with_areas_mm2([{"fdi": 11, "area_px": 100}], info)
    assert teeth[0]["area_mm2"] == pytest.approx(2.0)
    assert image_size(tmp_path / "a.dcm") == (32, 16)


def test_imager_spacing_with_magnification_and_no_spacing(tmp_path):
    path = write_dicom(tmp_path / "pano.dcm", ramp(8), ImagerPixelSpacing=[0.13, 0.13], EstimatedRadiographicMagnificationFactor=1.3)
    _, info = read_image_with_info(path)
    assert info["pixel_spacing_mm"] == pytest.approx([0.1, 0.1])
    assert info["pixel_spacing_source"].startswith("ImagerPixelSpacing")
    _, bare = read_image_with_info(write_dicom(tmp_path / "bare.dcm", ramp(8)))
    assert bare["pixel_spacing_mm"] is None
    teeth = [{"fdi": None, "area_px": 5}]
    assert with_areas_mm2(teeth, bare) == teeth


def test_dicom_files_named_as_pacs_names_them(tmp_path):
    for name in ("IM0001", "IM.0002"):
        path = write_dicom(tmp_path / name, ramp(8))
        assert is_image_file(path)
        np.testing.assert_allclose(read_image(path), ramp(8) / 255, atol=1e-6)
    (tmp_path / "README").write_text("not a radiograph")
    assert not is_image_file(tmp_path / "README")
    with pytest.raises(TeethsegError, match="unknown image format"):
        read_image(tmp_path / "README")


def test_multi_frame_dicom_gives_every_frame(tmp_path):
    stack = np.stack([ramp(16) // (k + 1) for k in range(4)]).astype(np.uint16)
    path = write_dicom(tmp_path / "cbct.dcm", stack, PixelSpacing=[0.3, 0.3])
    frames, info = read_frames_with_info(path)
    assert len(frames) == 4 and info["frames"] == 4
    assert all(f.shape == (16, 32) for f in frames)
    np.testing.assert_allclose(read_image(path), frames[0])


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless])
def test_compressed_transfer_syntaxes_decode_losslessly(tmp_path, syntax):
    pixels = ramp(12, (64, 64))
    plain = read_image(write_dicom(tmp_path / "plain.dcm", pixels, bits_stored=12))
    dataset = dicom_dataset(pixels, bits_stored=12)
    dataset.compress(syntax)
    dataset.save_as(tmp_path / "packed.dcm", enforce_file_format=True)
    image, info = read_image_with_info(tmp_path / "packed.dcm")
    np.testing.assert_allclose(image, plain, atol=1e-6)
    assert info["transfer_syntax"] == syntax.name


def test_rgb_dicom_becomes_grey(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255
    image = read_image(write_dicom(tmp_path / "rgb.dcm", rgb, "RGB"))
    np.testing.assert_allclose(image, 0.299, atol=1e-3)


def _no_pixels(path: Path) -> Path:
    dataset = dicom_dataset(ramp(8))
    del dataset.PixelData
    dataset.save_as(path, enforce_file_format=True)
    return path


def _truncated(path: Path) -> Path:
    data = write_dicom(path, ramp(16, (64, 64))).read_bytes()
    path.write_bytes(data[: len(data) - 3000])
    return path


def _claims_huge(path: Path) -> Path:
    dataset = dicom_dataset(ramp(8))
    dataset.Rows, dataset.Columns = 60000, 60000
    dataset.save_as(path, enforce_file_format=True)
    return path


def _claims_many_frames(path: Path) -> Path:
    dataset = dicom_dataset(ramp(8))
    dataset.NumberOfFrames = 100000
    dataset.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"") and p, "empty file"),
        (lambda p: p.write_bytes(b"this is a text file, not a radiograph" * 20) and p, "not a DICOM file"),
        (_no_pixels, "no pixel data"),
        (_truncated, "cannot decode the DICOM pixel data"),
        (_claims_huge, "image too large"),
        (_claims_many_frames, "image too large"),
    ],
    ids=["empty", "text", "no-pixel-data", "truncated", "huge", "many-frames"],
)
def test_hostile_dicom_is_one_clear_line(tmp_path, make, message):
    path = tmp_path / "bad.dcm"
    make(path)
    for reader in (read_image, read_frames, read_image_with_info):
        with pytest.raises(TeethsegError, match=message) as error:
            reader(path)
        assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_predict_on_dicom_files(tmp_path, model_file, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    image, _ = synthetic_pair(3, (70, 110))
    write_dicom(inputs / "mono1.dcm", (255 - image).astype(np.uint16) * 200, "MONOCHROME1", bits_stored=16, PixelSpacing=[0.1, 0.1])
    write_dicom(inputs / "mono2.dcm", image)
    _no_pixels(inputs / "report.dcm")
    out = tmp_path / "out"
    code = main(["predict", str(inputs), "--model", str(model_file), "--out", str(out), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1
    assert sum("report.dcm" in line and "no pixel data" in line for line in err.splitlines()) == 1
    for stem in ("mono1", "mono2"):
        assert image_size(out / f"{stem}_mask.png") == (110, 70)
        assert (out / f"{stem}.json").is_file()
    assert not any(p.name.startswith("report") for p in out.iterdir())


def test_predict_json_records_dicom_facts_and_areas_in_mm2(tmp_path, model_file):
    image, _ = synthetic_pair(4, (70, 110))
    write_dicom(tmp_path / "x.dcm", image, SOPInstanceUID="1.2.3.4.5", PixelSpacing=[0.1, 0.2])
    assert main(["predict", str(tmp_path / "x.dcm"), "--model", str(model_file), "--out", str(tmp_path / "o")]) == 0
    record = json.loads((tmp_path / "o" / "x.json").read_text())
    assert record["dicom"]["sop_instance_uid"] == "1.2.3.4.5"
    assert record["dicom"]["pixel_spacing_mm"] == [0.1, 0.2]
    assert record["teeth"]
    for tooth in record["teeth"]:
        assert tooth["area_mm2"] == pytest.approx(tooth["area_px"] * 0.02, abs=1e-3)


def test_predict_writes_one_mask_per_frame_and_resumes(tmp_path, model_file, capsys):
    frames = [Image.fromarray(synthetic_pair(seed, (60, 90))[0]) for seed in range(3)]
    frames[0].save(tmp_path / "stack.tif", save_all=True, append_images=frames[1:])
    out = tmp_path / "o"
    assert main(["predict", str(tmp_path / "stack.tif"), "--model", str(model_file), "--out", str(out)]) == 0
    for i in range(3):
        assert image_size(out / f"stack_frame{i:03d}_mask.png") == (90, 60)
        assert json.loads((out / f"stack_frame{i:03d}.json").read_text())["frame"] == i
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "stack.tif"), "--model", str(model_file), "--out", str(out), "--skip-existing"]) == 0
    assert "skipping 1 images already done" in capsys.readouterr().out
