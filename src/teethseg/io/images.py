"""Reading radiographs and masks safely (images through Pillow, DICOM through ``teethseg.io.dicom``).

Every reader turns a bad file into a :class:`TeethsegError` naming the file, so callers
can report it in one line and carry on with the next file.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from teethseg.errors import TeethsegError
from teethseg.io.decode_size import draft, mark, reduced
from teethseg.io.dicom import dicom_size, is_dicom_file, read_dicom, read_dicom_with_facts
from teethseg.io.facts import SourceFacts, image_colourfulness
from teethseg.io.limits import MAX_FRAMES, MAX_PIXELS, MAX_STACK_PIXELS, MIN_SIDE

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".dcm", ".dicom")
# The only decoders of Pillow an image may meet, whatever its name:
# an untrusted file meets fewer decoders, and a GIF or PSD named .png is refused.
PILLOW_FORMATS = ("JPEG", "PNG", "TIFF", "BMP")

def quiet_decoders() -> None:
    """Keep Pillow's and pydicom's warnings about odd files off the terminal: the problems that
    matter become one-line errors naming the file, the rest are handled."""
    for module in (r"PIL(\..*)?", r"pydicom(\..*)?"):
        warnings.filterwarnings("ignore", module=module)


def is_image_file(path: Path) -> bool:
    """True when the name has a radiograph extension that we read (or the file is DICOM)."""
    return path.suffix.lower() in IMAGE_SUFFIXES or is_dicom_file(path)


def _check_file(path: Path) -> Path:
    """A path that exists, is a file, has an image extension and is not empty."""
    path = Path(path)
    if not path.exists():
        raise TeethsegError(path, "file not found")
    if path.is_dir():
        raise TeethsegError(path, "is a folder, expected an image file")
    if not is_image_file(path):
        raise TeethsegError(
            path, f"unknown image format '{path.suffix}' (expected one of {', '.join(IMAGE_SUFFIXES)})"
        )
    if path.stat().st_size == 0:
        raise TeethsegError(path, "empty file")
    return path


def _open_checked(path: Path, reduce: bool = False) -> Image.Image:
    """Open and fully decode an image, turning every failure into one clear error.

    ``reduce``: a JPEG over the working size is decoded at reduced size (``teethseg.io.decode_size``).
    """
    path = _check_file(path)
    if is_dicom_file(path):
        raise TeethsegError(path, "DICOM is read as a radiograph, not as a mask or through Pillow")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=PILLOW_FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise TeethsegError(
                    path, f"image too large: claims {width}x{height} pixels, over the {MAX_PIXELS:,}-pixel limit"
                )
            if reduce:
                draft(image)
            image.load()
    except TeethsegError:
        raise
    except UnidentifiedImageError:
        raise TeethsegError(path, "not a readable image (unrecognised or corrupt content)") from None
    except Image.DecompressionBombError as error:
        raise TeethsegError(path, f"image too large, refused as a decompression bomb ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise TeethsegError(path, f"corrupt or truncated image ({error})") from None
    return image


def image_to_grey(image: Image.Image) -> np.ndarray:
    """Convert any PIL image to grey float32 in [0, 1], keeping 16-bit depth."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L"):
        return np.asarray(image, dtype=np.float32) / 65535.0
    if image.mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float32)
        finite = np.isfinite(array)
        if not finite.any():
            raise ValueError("no pixel has a finite value")
        values = array[finite] if not finite.all() else array
        top = 65535.0 if image.mode == "I" and values.max() <= 65535 else float(values.max())
        low = min(0.0, float(values.min()))
        # Pixels without a value (NaN, infinite: a float TIFF's no-data) are background, at the lowest value.
        array = np.where(finite, array, low)
        return np.clip((array - low) / max(top - low, 1e-6), 0.0, 1.0).astype(np.float32)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, image)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _working_grey(image: Image.Image) -> np.ndarray:
    """Grey pixels of a decoded image, reduced when over the working size and marked with the file's size."""
    image, full_hw = reduced(image)
    return mark(image_to_grey(image), full_hw)


def read_image(path: str | Path, reduce: bool = False) -> np.ndarray:
    """Read a radiograph as grey float32 HxW in [0, 1] (the first frame of a multi-frame file).

    ``reduce`` (prediction): an image over the working size is decoded at reduced size, the array
    carrying its file's size (``teethseg.io.decode_size``).
    """
    if is_dicom_file(path):
        return read_dicom(_check_file(Path(path)), first_frame_only=True)[0][0]
    image = _open_checked(Path(path), reduce)
    try:
        return _working_grey(image) if reduce else image_to_grey(image)
    except (OSError, ValueError) as error:
        raise TeethsegError(path, f"cannot convert image to grey ({error})") from None


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the header only, for quick checks of large folders."""
    path = Path(path)
    if is_dicom_file(path):
        return dicom_size(_check_file(path))
    try:
        with Image.open(path, formats=PILLOW_FORMATS) as image:
            return image.size
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise TeethsegError(path, f"not a readable image ({error})") from None


def read_frames_with_info(path: str | Path, reduce: bool = False) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Every frame of a radiograph as grey float32 HxW in [0, 1], and facts about the file.

    Multi-page TIFF and multi-frame DICOM (CBCT stacks) give one image per frame, other files
    one. The facts are :func:`teethseg.io.dicom.dicom_info` for DICOM (UIDs, pixel spacing), else
    empty. Every frame is decoded before returning, so a file that breaks half-way gives an
    error and no partial result. ``reduce``: as for :func:`read_image`.
    """
    frames, info, _ = read_frames_with_facts(path, reduce)
    return frames, info


def read_frames_with_facts(path: str | Path, reduce: bool = False) -> tuple[list[np.ndarray], dict[str, Any], SourceFacts]:
    """:func:`read_frames_with_info`, and what the grey frames no longer show (``teethseg.io.facts``:
    the most colourful frame's colour, the DICOM modality and body part)."""
    path = Path(path)
    if is_dicom_file(path):
        return read_dicom_with_facts(_check_file(path))
    image = _open_checked(path, reduce)
    colour = 0.0
    try:
        count = getattr(image, "n_frames", 1) if path.suffix.lower() in (".tif", ".tiff") else 1
    except (OSError, EOFError, SyntaxError, ValueError, TypeError) as error:
        raise TeethsegError(path, f"corrupt or truncated multi-page image ({error})") from None
    if count > MAX_FRAMES:
        raise TeethsegError(path, f"image too large: claims {count} frames, over the {MAX_FRAMES}-frame limit")
    frames: list[np.ndarray] = []
    total = 0
    for number in range(count):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                if number:
                    image.seek(number)
                width, height = image.size
                total += width * height
                if width * height > MAX_PIXELS or total > MAX_STACK_PIXELS:
                    too_large = f"image too large: frame {number + 1} of {count} brings the stack over the pixel limit"
                    raise TeethsegError(path, too_large)
                image.load()
                colour = max(colour, image_colourfulness(image))
                frames.append(_working_grey(image) if reduce else image_to_grey(image))
        except TeethsegError:
            raise
        except (OSError, EOFError, SyntaxError, ValueError, TypeError, Image.DecompressionBombError) as error:
            raise TeethsegError(path, f"corrupt or truncated frame {number + 1} of {count} ({error})") from None
    return frames, {}, SourceFacts(colourfulness=colour)


def check_segmentable(frame: np.ndarray, path: str | Path) -> None:
    """Refuse an image too small on a side to be a radiograph, rather than write a meaningless mask."""
    height, width = frame.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise TeethsegError(path, f"image too small to segment: {width} x {height} pixels, "
                                  f"under {MIN_SIDE} on a side")


def read_frames(path: str | Path) -> list[np.ndarray]:
    """Every frame of a radiograph (see :func:`read_frames_with_info`)."""
    return read_frames_with_info(path)[0]


def read_image_with_facts(path: str | Path, reduce: bool = False) -> tuple[np.ndarray, SourceFacts]:
    """The first frame of a radiograph (as :func:`read_image`), and what its grey pixels no longer
    show (``teethseg.io.facts``)."""
    path = Path(path)
    if is_dicom_file(path):
        frames, _, facts = read_dicom_with_facts(_check_file(path), first_frame_only=True)
        return frames[0], facts
    image = _open_checked(path, reduce)
    try:
        grey = _working_grey(image) if reduce else image_to_grey(image)
        return grey, SourceFacts(colourfulness=image_colourfulness(image))
    except (OSError, ValueError) as error:
        raise TeethsegError(path, f"cannot convert image to grey ({error})") from None


def read_image_with_info(path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
    """The first frame of a radiograph, and facts about the file (DICOM UIDs, pixel spacing)."""
    path = Path(path)
    if is_dicom_file(path):
        frames, info = read_dicom(_check_file(path), first_frame_only=True)
        return frames[0], info
    return read_image(path), {}


def read_mask(path: str | Path, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
    """Read a label mask as uint8 HxW, values kept as they are (class index or 0/255)."""
    image = _open_checked(Path(path))
    if image.mode in ("RGB", "RGBA"):
        array = np.asarray(image.convert("RGB"))
        if not (np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 0], array[..., 2])):
            raise TeethsegError(path, "colour mask: expected a single-channel label map")
        array = array[..., 0]
    elif image.mode in ("L", "P", "1"):
        array = np.asarray(image)
    else:
        array = np.asarray(image)
        if array.ndim != 2 or array.max(initial=0) > 255 or array.min(initial=0) < 0:
            raise TeethsegError(path, f"mask mode {image.mode} with values outside 0..255")
    array = array.astype(np.uint8)
    if expected_hw is not None and array.shape != tuple(expected_hw):
        raise TeethsegError(
            path,
            f"mask is {array.shape[1]}x{array.shape[0]} but its image is {expected_hw[1]}x{expected_hw[0]}",
        )
    return array


def as_grey(image: np.ndarray) -> np.ndarray:
    """Arrays from users: HxW or HxWx3/4, uint8/uint16/float -> grey float32 in [0, 1]."""
    array = np.asarray(image)
    scale = 255.0 if array.dtype == np.uint8 else 65535.0 if array.dtype == np.uint16 else 1.0
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3].astype(np.float32).mean(axis=2)
    if array.ndim != 2:
        raise TeethsegError(None, f"expected a grey HxW or colour HxWx3 image array, got shape {array.shape}")
    return np.clip(array.astype(np.float32) / scale, 0.0, 1.0)
