"""The image sets that ``benchmarks/dental_check.py`` measures the dental check on, built on demand.

Negatives come from images that installed packages ship (matplotlib's sample data, scikit-image's
bundled ``skimage.data`` images, pydicom's test files) and from images made here (documents,
noise, flat images, gradients, shapes; later also grey faces, charts and elevation maps, the
hardest for the networks to tell from close views); each colour photograph is also saved grey, and each
medical image of another kind also without its DICOM header, so the check is measured on the
image evidence alone too. Positives are the shared radiographs, close views cut from them, and both
at other exposures (gamma) and sizes. Nothing is downloaded; nothing is written in the repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from teethseg.data.framings import close_view

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ufba425"

# Windows (top, bottom, left, right shares) that frame a few teeth as bitewings and periapicals do.
CLOSE_WINDOWS = {
    "right-molars": (0.25, 0.78, 0.12, 0.51),
    "left-molars": (0.25, 0.78, 0.49, 0.88),
    "front": (0.28, 0.80, 0.32, 0.68),
    "upper-right": (0.22, 0.55, 0.15, 0.50),
}
# Photographs of scikit-image that its wheel holds (no download); grey ones stay grey.
SKIMAGE_COLOUR = ("astronaut", "chelsea", "coffee", "rocket", "retina", "immunohistochemistry", "hubble_deep_field",
                  "colorwheel", "logo")
SKIMAGE_GREY = ("camera", "moon", "coins", "page", "text", "brick", "grass", "gravel", "horse", "shepp_logan_phantom",
                "clock", "cell", "microaneurysms", "checkerboard")
# pydicom's test files: (file, kind). MR, US and NM are refused by their tags; CT is judged by its image.
PYDICOM_FILES = (("MR_small.dcm", "MR"), ("examples_overlay.dcm", "MR"), ("examples_rgb_color.dcm", "US"),
                 ("examples_palette.dcm", "US"), ("examples_jpeg2k.dcm", "US"), ("JPEG2000.dcm", "NM"),
                 ("CT_small.dcm", "CT"), ("693_J2KI.dcm", "CT"), ("J2K_pixelrep_mismatch.dcm", "CT"))


def _save(folder: Path, name: str, pixels: np.ndarray) -> Path:
    path = folder / name
    Image.fromarray(pixels).save(path)
    return path


def _to_uint8(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    return ((values - low) / max(high - low, 1e-9) * 255).astype(np.uint8)


def _skimage_images() -> Iterator[tuple[str, np.ndarray]]:
    from skimage import data

    for name in SKIMAGE_COLOUR + SKIMAGE_GREY:
        image = getattr(data, name)()
        if image.dtype == bool:
            image = image.astype(np.uint8) * 255
        if image.dtype != np.uint8:
            image = _to_uint8(image)
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[..., :3]
        yield name, image


def _matplotlib_images() -> Iterator[tuple[str, np.ndarray]]:
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        yield "grace_hopper", np.asarray(Image.open(handle).convert("RGB"))
    with matplotlib.cbook.get_sample_data("Minduka_Present_Blue_Pack.png") as handle:
        yield "minduka", np.asarray(Image.open(handle).convert("RGB"))
    with matplotlib.cbook.get_sample_data("s1045.ima.gz") as handle:  # opened decompressed  # a brain MR slice, 256x256 16-bit
        yield "brain-mr", _to_uint8(np.frombuffer(handle.read(), np.uint16).reshape(256, 256))


def _documents(rng: np.random.Generator, count: int) -> Iterator[tuple[str, np.ndarray]]:
    """Scanned-form-like pages: lines of text, boxes and a table."""
    words = ("patient", "name", "date", "consent", "signature", "insurance", "dental", "history", "address",
             "treatment", "plan", "tooth", "allergy", "medication", "phone", "x-ray")
    for index in range(count):
        width, height = int(rng.integers(600, 1400)), int(rng.integers(800, 1800))
        page = Image.new("L", (width, height), int(rng.integers(225, 256)))
        draw = ImageDraw.Draw(page)
        y = 40
        while y < height - 60:
            if rng.random() < 0.15:
                draw.rectangle((40, y, width - 40, y + int(rng.integers(40, 160))), outline=0, width=2)
                y += 180
                continue
            line = " ".join(rng.choice(words, int(rng.integers(3, 12))))
            draw.text((50, y), line, fill=int(rng.integers(0, 80)), font_size=int(rng.integers(14, 30)))
            y += int(rng.integers(25, 45))
        yield f"document-{index}", np.asarray(page)


def _made(rng: np.random.Generator, count: int) -> Iterator[tuple[str, str, np.ndarray]]:
    """Noise, flat images, gradients and shapes: (name, kind, pixels)."""
    for index in range(count):
        height, width = int(rng.integers(200, 900)), int(rng.integers(200, 1400))
        yield f"noise-uniform-{index}", "noise", rng.integers(0, 256, (height, width), dtype=np.uint8)
        gauss = np.clip(rng.normal(128, 40, (height, width)), 0, 255).astype(np.uint8)
        yield f"noise-gaussian-{index}", "noise", gauss
        clouds = cv2.GaussianBlur(rng.random((height, width)).astype(np.float32), (0, 0), float(rng.uniform(3, 25)))
        yield f"noise-clouds-{index}", "noise", _to_uint8(clouds)
        yield f"flat-{index}", "flat", np.full((height, width), int(rng.integers(0, 256)), np.uint8)
        ramp = np.linspace(0, 1, width)[None, :] * np.ones((height, 1))
        if index % 2:
            yy, xx = np.mgrid[:height, :width]
            ramp = np.hypot(yy - height / 2, xx - width / 2)
        yield f"gradient-{index}", "gradient", _to_uint8(ramp)
        shapes = np.zeros((height, width), np.uint8)
        for _ in range(int(rng.integers(5, 30))):
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            axes = (int(rng.integers(5, 60)), int(rng.integers(10, 120)))
            cv2.ellipse(shapes, centre, axes, float(rng.uniform(0, 180)), 0, 360, int(rng.integers(80, 256)), -1)
        yield f"shapes-{index}", "shapes", cv2.GaussianBlur(shapes, (0, 0), 2)


def _dicom_pixels(path: Path) -> np.ndarray:
    from teethseg.io.dicom import read_dicom

    return (read_dicom(path, first_frame_only=True)[0][0] * 255).astype(np.uint8)


def _faces(count: int) -> Iterator[tuple[str, np.ndarray]]:
    """Grey faces of scikit-image's bundled LFW subset (25 x 25), enlarged as a portrait is given."""
    from skimage import data

    for index, face in enumerate(data.lfw_subset()[:count]):
        yield f"face-{index}", _to_uint8(cv2.resize(face, (240, 240), interpolation=cv2.INTER_CUBIC))


def _maps_and_charts() -> Iterator[tuple[str, str, np.ndarray]]:
    """Elevation maps of matplotlib's sample data (as grey values and hill-shaded) and a chart of its
    EEG traces: smooth grey shapes and thin lines on white, which a network may take for teeth."""
    import matplotlib.cbook
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LightSource
    from matplotlib.figure import Figure

    with matplotlib.cbook.get_sample_data("jacksboro_fault_dem.npz") as dem:
        elevation = dem["elevation"]
    yield "elevation", "grey picture", _to_uint8(elevation)
    yield "hillshade", "grey picture", _to_uint8(LightSource(315, 45).hillshade(elevation, vert_exag=0.05))
    with matplotlib.cbook.get_sample_data("topobathy.npz") as topo:
        yield "topobathy", "grey picture", _to_uint8(cv2.resize(topo["topo"].astype(np.float32), (480, 364)))
    with matplotlib.cbook.get_sample_data("eeg.dat") as handle:
        traces = np.frombuffer(handle.read(), np.float64).reshape(800, 4)
    for index, kind in enumerate(("lines", "bars")):
        figure = Figure(figsize=(6, 4), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        if kind == "lines":
            axes.plot(traces + np.arange(4) * 2)
        else:
            axes.bar(np.arange(16), np.abs(traces[::50, 0]) + 0.2, color="grey")
        figure.canvas.draw()
        chart = np.asarray(figure.canvas.buffer_rgba())[..., :3]
        yield f"chart-{kind}", "document", np.asarray(Image.fromarray(chart).convert("L"))


def build_negatives(folder: Path, made: int = 6) -> list[dict]:
    """Write the negatives into ``folder``; one row each: file, kind, origin."""
    from pydicom.data import get_testdata_file

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    rng = np.random.default_rng(36)
    for origin, images in (("scikit-image", _skimage_images()), ("matplotlib", _matplotlib_images())):
        for name, image in images:
            colour = image.ndim == 3 and float(np.abs(image[..., :3].astype(int) - image[..., :1]).mean()) > 1
            kind = "medical (MR, no header)" if name == "brain-mr" else "colour photograph" if colour else "grey picture"
            rows.append({"file": _save(folder, f"{name}.png", image), "kind": kind, "origin": origin})
            if colour:
                grey = np.asarray(Image.fromarray(image).convert("L"))
                rows.append({"file": _save(folder, f"{name}-grey.png", grey), "kind": "grey photograph", "origin": origin})
    for name, kind in PYDICOM_FILES:
        source = Path(get_testdata_file(name))
        target = folder / f"pydicom-{source.stem}.dcm"
        target.write_bytes(source.read_bytes())
        rows.append({"file": target, "kind": f"medical ({kind}, DICOM)", "origin": "pydicom"})
        rows.append({"file": _save(folder, f"pydicom-{source.stem}.png", _dicom_pixels(source)),
                     "kind": f"medical ({kind}, no header)", "origin": "pydicom"})
    for name, page in _documents(rng, made):
        rows.append({"file": _save(folder, f"{name}.png", page), "kind": "document", "origin": "made"})
    for name, kind, pixels in _made(rng, made):
        rows.append({"file": _save(folder, f"{name}.png", pixels), "kind": kind, "origin": "made"})
    # Added after the first measures, last, so that each earlier negative stays in its half.
    for name, face in _faces(10):
        rows.append({"file": _save(folder, f"{name}.png", face), "kind": "grey photograph", "origin": "scikit-image"})
    for name, kind, pixels in _maps_and_charts():
        rows.append({"file": _save(folder, f"{name}.png", pixels), "kind": kind, "origin": "matplotlib"})
    source = Path(get_testdata_file("image_dfl.dcm"))  # an OT test pattern: judged by its image
    for target in (folder / "pydicom-image_dfl.dcm", folder / "pydicom-image_dfl.png"):
        if target.suffix == ".dcm":
            target.write_bytes(source.read_bytes())
        else:
            _save(folder, target.name, _dicom_pixels(source))
        rows.append({"file": target, "kind": "grey picture", "origin": "pydicom"})
    return rows


def _gamma(image: np.ndarray, gamma: float) -> np.ndarray:
    return np.clip(image, 0, 1) ** gamma


def positive_variants(image: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """A radiograph (grey float in [0, 1], 512 x 512 as published) as users may give it: full size,
    half size, other exposures, and close views of a few teeth at two sizes and exposures."""
    yield "as published", image
    full = cv2.resize(image, (2900, 1450), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    yield "full size", full
    yield "half size", cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA)
    for gamma in (0.6, 1.6):
        yield f"gamma {gamma}", _gamma(full, gamma)
    for name, box in CLOSE_WINDOWS.items():
        yield f"close view {name}", close_view(full, box)
    yield "close view small", close_view(full, CLOSE_WINDOWS["front"], size_wh=(320, 400))
    for gamma in (0.6, 1.6):
        yield f"close view gamma {gamma}", _gamma(close_view(full, CLOSE_WINDOWS["right-molars"]), gamma)


def radiographs(split: str) -> list[Path]:
    """The shared radiographs of a split (``train`` or ``val``)."""
    names = json.loads((SHARED / "splits.json").read_text())[split]
    return [SHARED / "images" / f"{name}.jpg" for name in names]


def build_positives(folder: Path, split: str, every: int = 1) -> list[dict]:
    """Write every ``every``-th radiograph of the split and its variants into ``folder`` as 8-bit PNGs (JPEG
    originals copied as they are); one row each: file, kind, origin."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in radiographs(split)[::every]:
        target = folder / path.name
        if not target.exists():
            os.link(path, target) if path.stat().st_dev == folder.stat().st_dev else target.write_bytes(path.read_bytes())
        rows.append({"file": target, "kind": "as published", "origin": path.stem})
        image = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255
        for kind, variant in positive_variants(image):
            if kind == "as published":
                continue
            name = f"{path.stem}-{kind.replace(' ', '-')}.png"
            rows.append({"file": _save(folder, name, (variant * 255 + 0.5).astype(np.uint8)), "kind": kind,
                         "origin": path.stem})
    return rows
