"""Pixels that are not what they claim: handled (NaN is background) or refused in one line, never a silent blank."""

import json
import warnings

import numpy as np
import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.errors import TeethsegError, one_line
from teethseg.io.dicom import SPACING_RANGE_MM
from teethseg.io.images import quiet_decoders, read_frames_with_info, read_image
from teethseg.predict.folders import sample_paths
from tests.io.test_dicom import dicom_dataset, write_dicom


def _sample(size=(200, 120)) -> np.ndarray:
    return np.asarray(Image.open(sample_paths()[0]).convert("L").resize(size))


def test_nan_pixels_of_a_float_tiff_are_background_and_the_rest_is_segmented(tmp_path):
    image = _sample().astype(np.float32) / 255
    image[:10, :10] = np.nan
    image[20, 20] = np.inf
    Image.fromarray(image, mode="F").save(tmp_path / "f.tif")
    grey = read_image(tmp_path / "f.tif")
    assert np.isfinite(grey).all() and grey[:10, :10].max() == 0
    np.testing.assert_allclose(grey[50:, 50:], image[50:, 50:], atol=1e-6)
    assert main(["predict", str(tmp_path / "f.tif"), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "f.json").read_text())["teeth_count"] > 10


def test_a_float_tiff_without_a_finite_pixel_is_refused(tmp_path):
    Image.fromarray(np.full((64, 64), np.nan, np.float32), mode="F").save(tmp_path / "nan.tif")
    with pytest.raises(TeethsegError, match="nan.tif.*no pixel has a finite value"):
        read_frames_with_info(tmp_path / "nan.tif")


def test_dicom_pixel_data_longer_than_its_header_says_is_refused(tmp_path):
    dataset = dicom_dataset(_sample().astype(np.uint16))
    dataset.PixelData = dataset.PixelData + bytes(2 * 200 * 40)  # 40 more rows than Rows says
    dataset.save_as(tmp_path / "long.dcm", enforce_file_format=True)
    with pytest.raises(TeethsegError, match="long.dcm: DICOM pixel data holds 64,000 bytes, more than the 48,000"):
        read_frames_with_info(tmp_path / "long.dcm")


def test_a_rescale_that_overflows_is_refused(tmp_path):
    write_dicom(tmp_path / "slope.dcm", _sample().astype(np.uint16) * 100, RescaleSlope="1e308", RescaleIntercept="-1e308")
    with pytest.raises(TeethsegError, match="slope.dcm: DICOM Rescale Slope 1e308 .* make pixel values overflow"):
        read_frames_with_info(tmp_path / "slope.dcm")


@pytest.mark.parametrize("spacing", [["1e300", "1e300"], ["1e-300", "0.1"], ["0", "0.1"], ["nan", "0.1"]])
def test_absurd_pixel_spacing_is_ignored_and_the_json_stays_valid(tmp_path, spacing):
    write_dicom(tmp_path / "x.dcm", _sample().astype(np.uint16) * 100, PixelSpacing=spacing)
    assert main(["predict", str(tmp_path / "x.dcm"), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "x.json").read_text()
    record = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert record["dicom"]["pixel_spacing_mm"] is None and all("area_mm2" not in t for t in record["teeth"])
    write_dicom(tmp_path / "ok.dcm", _sample().astype(np.uint16), PixelSpacing=[SPACING_RANGE_MM[1], 0.1])
    assert read_frames_with_info(tmp_path / "ok.dcm")[1]["pixel_spacing_mm"] == [SPACING_RANGE_MM[1], 0.1]


@pytest.mark.parametrize("fmt", ["GIF", "PPM", "TGA"])
def test_formats_we_do_not_read_are_refused_whatever_their_name(tmp_path, fmt):
    Image.fromarray(_sample()).save(tmp_path / "x.png", format=fmt)
    with pytest.raises(TeethsegError, match="x.png: not a readable image"):
        read_image(tmp_path / "x.png")


def test_decoder_warnings_stay_off_the_terminal():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_decoders()
        for module in ("PIL.TiffImagePlugin", "pydicom.pixels.decoders.base"):
            warnings.warn_explicit("odd file", UserWarning, "x.py", 1, module=module)
        warnings.warn_explicit("ours", UserWarning, "x.py", 1, module="teethseg.x")
    assert [str(w.message) for w in caught] == ["ours"]


def test_one_line_keeps_a_wrapped_message_whole():
    error = ValueError("The pixel data is 153600 bytes long,\n   which indicates it contains excess padding")
    assert one_line(error) == "The pixel data is 153600 bytes long, which indicates it contains excess padding"
    assert one_line(ValueError()) == "ValueError" and one_line(ValueError("a " * 500)).endswith(" ...")
