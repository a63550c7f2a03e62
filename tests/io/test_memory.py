"""Memory: a small file that decodes to a large image is segmented at the working size, and its
outputs still have the input's exact size (issue: a 97 KB TIFF of 10000 x 10000 peaked at 4.9 GB)."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.inference.working_size import enlarged, full_size_records, working_image
from teethseg.io import limits
from teethseg.io.decode_size import full_shape
from teethseg.io.images import read_frames_with_info, read_image
from teethseg.teeth.records import tooth_records

TEETHSEG = str(Path(sys.executable).with_name("teethseg"))
SIDE = 8000  # 64 Mpx: four times the working size
# Measured (benchmarks/memory_peak.py, docs/limits.md): 1.18 GB at 100 Mpx and 0.95 GB at the
# 16 Mpx working size; segmenting the whole image took about 40 MB per Mpx (3.98 GB at 100 Mpx,
# so about 2.6 GB at 64 Mpx). 1.6 GB leaves room for other libraries' versions and refuses the latter.
PEAK_BOUND_MB = 1600


def _sample() -> Path:
    return sorted(Path(str(resources.files("teethseg") / "samples")).glob("*.jpg"))[0]


def _stretched(width: int, height: int) -> Image.Image:
    return Image.open(_sample()).convert("L").resize((width, height), Image.BILINEAR)


def test_predict_on_a_large_tiled_tiff_stays_under_the_memory_bound(tmp_path):
    path = tmp_path / "large.tif"
    _stretched(SIDE, SIDE).save(path, compression="tiff_adobe_deflate", tiled=True, tile_size=(256, 256))
    script = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
              "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    output = subprocess.run([sys.executable, "-c", script, TEETHSEG, "predict", str(path), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, check=True)
    code, kilobytes = map(int, output.stdout.split()[-2:])
    assert code == 0, output.stderr
    assert int(kilobytes) / 1024 < PEAK_BOUND_MB
    mask = Image.open(tmp_path / "out" / "large_mask.png")
    assert mask.size == (SIDE, SIDE)
    teeth = np.asarray(Image.open(tmp_path / "out" / "large_teeth.png"))
    assert 0.05 < (teeth > 0).mean() < 0.5  # the stretched radiograph's teeth were found


def test_a_large_jpeg_is_decoded_reduced_and_keeps_its_rotated_size(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "WORK_PIXELS", 100_000)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the file's 1000 x 600 is shown 600 x 1000
    path = tmp_path / "rotated.jpg"
    _stretched(1000, 600).save(path, exif=exif)
    image = read_image(path, reduce=True)
    assert image.shape[0] * image.shape[1] <= 100_000
    assert image.shape[0] > image.shape[1]
    assert full_shape(image) == (1000, 600)
    assert read_image(path).shape == (1000, 600)  # training and data checks read every pixel


def test_large_png_and_tiff_frames_are_reduced_by_a_whole_factor(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "WORK_PIXELS", 100_000)
    png, tiff = tmp_path / "a.png", tmp_path / "b.tif"
    _stretched(900, 700).save(png)
    frames = [_stretched(900, 700), _stretched(300, 200)]
    frames[0].save(tiff, save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate")
    image = read_image(png, reduce=True)
    assert image.shape == (234, 300) and full_shape(image) == (700, 900)  # 630000 px: a third a side
    read, _ = read_frames_with_info(tiff, reduce=True)
    assert [frame.shape for frame in read] == [(234, 300), (200, 300)]
    assert [full_shape(frame) for frame in read] == [(700, 900), (200, 300)]


def test_working_image_leaves_images_at_the_cap_alone(monkeypatch):
    monkeypatch.setattr(limits, "WORK_PIXELS", 10_000)
    at_cap = np.zeros((100, 100), np.float32)
    assert working_image(at_cap) is at_cap
    smaller = working_image(np.zeros((101, 300), np.float32))
    assert smaller.size <= 10_000 and smaller.shape[1] > 2 * smaller.shape[0]


@pytest.mark.parametrize("numbered", [True, False])
def test_records_counted_at_working_size_equal_those_of_the_enlarged_labels(numbered):
    rng = np.random.default_rng(0)
    labels = np.zeros((37, 53), np.uint8)
    for value in range(1, 6):
        top, left = rng.integers(0, 30), rng.integers(0, 45)
        labels[top : top + rng.integers(2, 8), left : left + rng.integers(2, 9)] = value if numbered else 1
    confidence = rng.random(labels.shape).astype(np.float32)
    names = ["background", "11", "12", "13", "14", "15"] if numbered else ["background", "tooth"]
    shape = (100, 131)
    expected = tooth_records(enlarged(labels, shape), enlarged(confidence, shape), names, numbered)
    found = full_size_records(labels, confidence, names, numbered, shape)
    assert [(r["fdi"], r["area_px"], r["bbox_xywh"]) for r in found] == [(r["fdi"], r["area_px"], r["bbox_xywh"]) for r in expected]
    np.testing.assert_allclose([r["confidence"] for r in found], [r["confidence"] for r in expected], atol=2e-4)
    assert enlarged(labels, shape).shape == shape


def test_a_radiograph_over_the_working_size_gives_full_size_outputs_close_to_the_whole_one(monkeypatch):
    from teethseg import load_model

    model = load_model()
    whole = model.predict(_sample())
    monkeypatch.setattr(limits, "WORK_PIXELS", whole.labels.size // 5)
    reduced = model.predict(_sample())
    assert reduced.labels.shape == whole.labels.shape == reduced.confidence.shape
    assert reduced.extra["segmented_at_hw"][0] < whole.labels.shape[0]
    overlap = 2 * (reduced.mask & whole.mask).sum() / (reduced.mask.sum() + whole.mask.sum())
    assert overlap > 0.9
    for tooth in reduced.teeth:
        value = reduced.class_names.index(str(tooth["fdi"]))
        x, y, w, h = tooth["bbox_xywh"]
        pixels = reduced.labels == value
        assert tooth["area_px"] == pixels.sum() == pixels[y : y + h, x : x + w].sum()
