import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.errors import TeethsegError
from teethseg.io.files import atomic_path, write_png
from teethseg.io.images import read_image, read_mask


def png_claiming_size(path: Path, width: int, height: int) -> Path:
    """A valid tiny PNG whose header is rewritten to claim a huge size (with a correct CRC)."""
    Image.new("L", (4, 4)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def test_rgb_jpeg_becomes_grey_in_unit_range(tmp_path):
    Image.fromarray(np.full((10, 20, 3), 128, np.uint8)).save(tmp_path / "a.jpg")
    image = read_image(tmp_path / "a.jpg")
    assert image.shape == (10, 20) and image.dtype == np.float32
    assert abs(float(image.mean()) - 128 / 255) < 0.01


def test_16_bit_png_keeps_depth(tmp_path):
    values = np.array([[0, 1000, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    image = read_image(tmp_path / "deep.png")
    np.testing.assert_allclose(image, values / 65535.0, atol=1e-6)


def test_rgba_is_composited_on_black(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[0, 0, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image[0, 0] == pytest.approx(1.0) and image[1, 1] == pytest.approx(0.0)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.png", b"", "empty file"),
        ("text.png", b"this is not an image at all", "not a readable image"),
        ("notes.txt", b"hello", "unknown image format"),
    ],
)
def test_bad_files_name_the_file_and_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TeethsegError, match=message) as error:
        read_image(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_truncated_jpeg_is_refused(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8)).save(tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(TeethsegError, match="truncated"):
        read_image(tmp_path / "cut.jpg")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = png_claiming_size(tmp_path / "bomb.png", 40_000, 40_000)
    with pytest.raises(TeethsegError, match="image too large"):
        read_image(bomb)
    # Under PIL's own limit but over ours: refused by the header check.
    big = png_claiming_size(tmp_path / "big.png", 12_000, 9_000)
    with pytest.raises(TeethsegError, match="claims 12000x9000 pixels"):
        read_image(big)


def test_missing_file(tmp_path):
    with pytest.raises(TeethsegError, match="file not found"):
        read_image(tmp_path / "nope.png")


def test_mask_of_wrong_size_is_named(tmp_path):
    Image.fromarray(np.zeros((5, 6), np.uint8)).save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png", (5, 6)).shape == (5, 6)
    with pytest.raises(TeethsegError, match="mask is 6x5 but its image is 7x8"):
        read_mask(tmp_path / "m.png", (8, 7))


def test_palette_mask_keeps_class_indices(tmp_path):
    labels = np.array([[0, 3], [7, 32]], np.uint8)
    image = Image.fromarray(labels, mode="L").convert("P")
    image.putpalette([v for i in range(256) for v in (i, i, i)])
    image.save(tmp_path / "p.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "p.png"), labels)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    write_png(target, np.zeros((3, 3), np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_written_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        write_png(tmp_path / "m.png", np.zeros((2, 2), np.uint8))
    finally:
        os.umask(umask)
    assert (tmp_path / "m.png").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 3)])
def test_png_round_trip_keeps_every_value_and_channel_order(tmp_path, shape):
    array = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    array[0, 0] = [255, 0, 0] if len(shape) == 3 else 7  # red stays red
    write_png(tmp_path / "a.png", array)
    with Image.open(tmp_path / "a.png") as image:
        assert image.mode == ("RGB" if len(shape) == 3 else "L")
        assert np.array_equal(np.asarray(image), array)
