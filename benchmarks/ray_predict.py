"""`teethseg predict` on one folder: the local engine against Ray with N workers, measured in one run.

Usage: .venv/bin/python benchmarks/ray_predict.py [--images 24] [--workers 2] [--images-dir DIR]

Radiographs: the first --images of the shared ufba425 val split (else of --images-dir, else
synthetic panoramics). Times, each in its own process as a user runs it:
  - the local engine (threads, one image per core);
  - Ray with --workers actors on a fresh local Ray (the command as typed: Ray's start included);
  - Ray's start-up overhead: the same command on 1 image minus the local engine on 1 image.
Prints images/second of each, the per-image figures and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ufba425"


def pick_images(folder: Path | None, count: int, work: Path) -> Path:
    """A folder of ``count`` radiographs (links to the shared or given ones, else synthetic)."""
    chosen = work / "in"
    chosen.mkdir()
    if folder is None and SHARED.is_dir():
        ids = json.loads((SHARED / "splits.json").read_text())["val"]
        sources = [SHARED / "images" / f"{i}.jpg" for i in ids]
    elif folder is not None:
        sources = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".dcm"))
    else:
        rng = np.random.default_rng(0)
        sources = []
        for i in range(count):
            path = work / f"synthetic{i}.png"
            Image.fromarray(rng.normal(90, 30, (1300, 2900)).clip(0, 255).astype(np.uint8)).save(path)
            sources.append(path)
    for i in range(count):
        source = sources[i % len(sources)]
        (chosen / f"r{i:03d}{source.suffix}").symlink_to(source.resolve())
    return chosen


def timed(arguments: list[str]) -> float:
    """Wall seconds of one ``teethseg predict`` process."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "teethseg", "predict", *arguments], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        folder = pick_images(args.images_dir, args.images, work)
        one = work / "one"
        one.mkdir()
        first = next(folder.iterdir())
        (one / first.name).symlink_to(first.resolve())
        ray = ["--engine", "ray", "--ray-address", "local", "--num-workers", str(args.workers)]
        local_one = timed([str(one), "--out", str(work / "o1")])
        ray_one = timed([str(one), "--out", str(work / "o2"), *ray])
        local_all = timed([str(folder), "--out", str(work / "o3")])
        ray_all = timed([str(folder), "--out", str(work / "o4"), *ray])
        same = sorted(p.name for p in (work / "o3").iterdir()) == sorted(p.name for p in (work / "o4").iterdir()) and all(
            (work / "o3" / p.name).read_bytes() == p.read_bytes() for p in (work / "o4").iterdir())
        shutil.rmtree(work, ignore_errors=True)
    overhead = ray_one - local_one
    print(f"{os.cpu_count()} CPU cores, {args.images} radiographs "
          f"({'shared ufba425 val' if args.images_dir is None and SHARED.is_dir() else 'given or synthetic'}), "
          f"default model (mirror averaging on)")
    print(f"local engine:          {args.images / local_all:5.2f} images/s  ({local_all:.1f} s, "
          f"{local_all / args.images:.2f} s/image with start-up)")
    print(f"Ray, {args.workers} workers:        {args.images / ray_all:5.2f} images/s  ({ray_all:.1f} s, "
          f"{ray_all / args.images:.2f} s/image with start-up)")
    print(f"Ray start-up overhead: {overhead:.1f} s  (1 image: Ray {ray_one:.1f} s, local {local_one:.1f} s)")
    steady_local = (local_all - local_one) / max(args.images - 1, 1)
    steady_ray = (ray_all - ray_one) / max(args.images - 1, 1)
    print(f"per further image:     local {steady_local:.2f} s, Ray {steady_ray:.2f} s")
    print(f"ratios Ray / local:    {local_all / ray_all:.2f}x images/s with start-up, "
          f"{steady_local / steady_ray:.2f}x per further image")
    print(f"outputs of the two engines byte-identical: {same}")


if __name__ == "__main__":
    main()
