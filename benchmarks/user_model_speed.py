"""Why a user's own model evaluates slower than the bundled one: which backend its network runs on.

A model file trained by `teethseg train` has no ONNX twin beside it, so on a CPU it runs on PyTorch;
the bundled networks run on ONNX Runtime. This times the same mask network (the bundled one,
copied) three ways on the same images, each after one warm-up image, and prints the ratios (one warm-up image each, then every image once):
  1. the bundled file, its ONNX twin beside it (ONNX Runtime)
  2. a copy with no twin (PyTorch): what `teethseg train` left until now
  3. that copy with the twin `teethseg train` now writes (`teethseg export --model M --onnx M.onnx`)

Usage: python benchmarks/user_model_speed.py [--images N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import teethseg
from teethseg.io.images import read_image
from teethseg.nn.bundled import default_model_path
from teethseg.nn.export import export_onnx
from teethseg.predict.folders import sample_paths

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ufba425" / "images"


def timed(model: Path, images: list) -> tuple[float, str]:
    segmenter = teethseg.load_model(model, device="cpu")
    segmenter.predict(images[0])  # warm-up
    started = time.perf_counter()
    for image in images:
        segmenter.predict(image)
    return (time.perf_counter() - started) / len(images), segmenter.backend_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    paths = sorted(SHARED.glob("*.jpg"))[: args.images] if SHARED.is_dir() else sample_paths()
    images = [read_image(path) for path in paths]
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "mine.safetensors"
        shutil.copyfile(default_model_path(), copy)
        rows = [("bundled mask network (ONNX twin)", *timed(default_model_path(), images)),
                ("the same file copied, no twin", *timed(copy, images))]
        export_onnx(copy, copy.with_suffix(".onnx"))
        rows.append(("the copy with its twin written", *timed(copy, images)))
    reference = rows[0][1]
    print(f"{len(images)} images, mask network only, mirror averaging on, after one warm-up image each")
    for name, seconds, backend in rows:
        print(f"{name:<36} {backend:<14} {1000 * seconds:7.0f} ms/image  {seconds / reference:4.2f}x")


if __name__ == "__main__":
    main()
