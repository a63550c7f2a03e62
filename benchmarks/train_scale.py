"""Training images/second with 1 process and with N processes under torchrun, measured in one run.

Usage: .venv/bin/python benchmarks/train_scale.py [--images 32] [--processes 2] [--device cpu]

Trains one epoch of the bundled mask network's recipe (configs/default.yaml: 320 px crops of
512 x 512 images, batch 8) on the first --images training radiographs of ../shared/data/ufba425
(synthetic ones when it is absent), with 4 validation images: once as one process using every
core, once as one process with one thread, then with torchrun on --processes processes (one
thread each on a CPU, as torchrun sets).
Images/second counts training samples over the epoch's time (the tiny validation included).
Prints both and their ratio. The CPU is shared with anything else running: compare within a run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ufba425"


def make_dataset(folder: Path, count: int) -> Path:
    """images/ + masks/ + splits.json: the shared radiographs (linked) or synthetic 1024x512 ones."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    names = []
    if SHARED.is_dir():
        ids = json.loads((SHARED / "splits.json").read_text())["train"][: count + 4]
        for name in ids:
            (folder / "images" / f"{name}.jpg").symlink_to(SHARED / "images" / f"{name}.jpg")
            (folder / "masks" / f"{name}.png").symlink_to(SHARED / "masks" / f"{name}.png")
        names = list(ids)
    else:
        rng = np.random.default_rng(0)
        for i in range(count + 4):
            image = rng.normal(60, 12, (512, 1024))
            mask = np.zeros((512, 1024), np.uint8)
            for _ in range(12):
                top, left = int(rng.integers(100, 250)), int(rng.integers(50, 950))
                mask[top : top + 150, left : left + 30] = 1
            image[mask > 0] += 120
            Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(folder / "images" / f"s{i}.png")
            Image.fromarray(mask).save(folder / "masks" / f"s{i}.png")
            names.append(f"s{i}")
    (folder / "splits.json").write_text(json.dumps({"train": names[:count], "val": names[count:]}))
    return folder


def train_once(command: list[str], run: Path, env: dict[str, str]) -> float:
    """Seconds of the epoch (from the run's history), the process start-up left out."""
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return float(next(csv.DictReader((run / "history.csv").open()))["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        data = make_dataset(work / "data", args.images)
        recipe = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text()) | {"epochs": 1}
        (work / "recipe.yaml").write_text(yaml.safe_dump(recipe))
        train = ["-m", "teethseg", "train", "--data", str(data), "--config", str(work / "recipe.yaml"),
                 "--device", args.device, "--no-report"]
        env = dict(os.environ)
        started = time.perf_counter()
        alone = train_once([sys.executable, *train, "--out", str(work / "one")], work / "one", env)
        alone_wall = time.perf_counter() - started
        single = train_once([sys.executable, *train, "--out", str(work / "single")], work / "single",
                            env | {"OMP_NUM_THREADS": "1"})
        started = time.perf_counter()
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(args.processes)]
        together = train_once([*torchrun, *train, "--out", str(work / "many")], work / "many", env)
        together_wall = time.perf_counter() - started
    print(f"{os.cpu_count()} CPU cores, device {args.device}, {args.images} training images of the "
          f"{'shared ufba425' if SHARED.is_dir() else 'synthetic'} data, recipe configs/default.yaml, 1 epoch")
    print(f"1 process:   {args.images / alone:6.2f} images/s  (epoch {alone:.1f} s, whole command {alone_wall:.1f} s)")
    print(f"1 process, 1 thread: {args.images / single:6.2f} images/s  (epoch {single:.1f} s; torchrun gives each "
          f"process 1 thread)")
    print(f"{args.processes} processes: {args.images / together:6.2f} images/s  "
          f"(epoch {together:.1f} s, whole command {together_wall:.1f} s)")
    print(f"ratio {args.processes} processes / 1 process: {alone / together:.2f}x images/s "
          f"({single / together:.2f}x against 1 process with 1 thread)")


if __name__ == "__main__":
    main()
