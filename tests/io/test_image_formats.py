"""Image formats beyond 8-bit grey: 16-bit TIFF, palette, EXIF orientation, multi-page stacks."""

import numpy as np
import pytest
from PIL import Image

from teethseg.errors import TeethsegError
from teethseg.io.images import read_frames, read_frames_with_info, read_image


def test_16_bit_tiff_keeps_depth(tmp_path):
    values = np.array([[0, 1, 1000, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.tif")
    np.testing.assert_allclose(read_image(tmp_path / "deep.tif"), values / 65535.0, atol=1e-7)


def test_palette_image_reads_its_grey_levels(tmp_path):
    image = Image.fromarray(np.array([[0, 1], [2, 3]], np.uint8), mode="L").convert("P")
    image.putpalette([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255] + [0] * (256 * 3 - 12))
    image.save(tmp_path / "p.png")
    np.testing.assert_allclose(read_image(tmp_path / "p.png"), [[0, 85 / 255], [170 / 255, 1]], atol=1e-6)


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((10, 20), np.uint8)
    pixels[:, :5] = 255  # a bright left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated 90 degrees clockwise
    Image.fromarray(pixels).save(tmp_path / "turned.jpg", exif=exif, quality=100)
    image = read_image(tmp_path / "turned.jpg")
    assert image.shape == (20, 10)
    assert image[:5].mean() > 0.9 and image[-5:].mean() < 0.1  # left edge is now the top


def write_stack(path, count=3, size=(24, 40), dtype=np.uint16):
    frames = [(np.full(size, 1000 * (k + 1))).astype(dtype) for k in range(count)]
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:])
    return frames


def test_multi_page_tiff_gives_every_frame(tmp_path):
    frames = write_stack(tmp_path / "cbct.tif")
    read, info = read_frames_with_info(tmp_path / "cbct.tif")
    assert info == {} and len(read) == 3
    for got, want in zip(read, frames):
        np.testing.assert_allclose(got, want / 65535.0, atol=1e-7)
    np.testing.assert_allclose(read_image(tmp_path / "cbct.tif"), read[0])


def test_single_images_are_one_frame(tmp_path):
    Image.fromarray(np.zeros((5, 6), np.uint8)).save(tmp_path / "a.png")
    assert [f.shape for f in read_frames(tmp_path / "a.png")] == [(5, 6)]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("kept", [0.8, 0.5, 0.2])
def test_truncated_stack_is_refused_whole(tmp_path, kept):
    write_stack(tmp_path / "cbct.tif", count=3, size=(64, 64))
    data = (tmp_path / "cbct.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: int(len(data) * kept)])
    with pytest.raises(TeethsegError, match="corrupt or truncated") as error:
        read_frames(tmp_path / "cut.tif")
    assert "cut.tif" in str(error.value) and "\n" not in str(error.value)
