"""Speed and memory of teethseg against the seed project's U-Net, measured in one run.

Usage: .venv/bin/python benchmarks/speed.py [--images DIR] [--rounds 3] [--repeats 1]

Every measurement runs in its own subprocess so that peak resident memory is its own, and every
row is measured once a round, rows alternated, so that other load on the machine falls on all of
them alike; each figure is the median of the rounds. Prints per-image median latency of the
network calls, images/second, peak memory and the ratio to the seed U-Net (1), for the default
(INT8 twins in OpenVINO) and --backend onnx (float, ONNX Runtime), with mirror averaging (the
default) and without; then the whole `teethseg predict` process on 12 images against a
seed-style prediction script on the same 12 images (with each round's ratio); then peak memory of
`teethseg predict` on a 3300x1500 panoramic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ufba425"
PYTHON = sys.executable
TEETHSEG = str(Path(PYTHON).with_name("teethseg"))


def pick_images(folder: Path | None, count: int, workdir: Path) -> list[Path]:
    """12 radiographs: from --images, else the shared val split, else synthetic ones."""
    if folder is None and SHARED.is_dir():
        ids = json.loads((SHARED / "splits.json").read_text())["val"][:count]
        return [SHARED / "images" / f"{i}.jpg" for i in ids]
    if folder is not None:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))[:count]
    from PIL import Image

    paths = []
    for i in range(count):
        image = np.random.default_rng(i).integers(0, 255, (512, 512), dtype=np.uint8)
        paths.append(workdir / f"synthetic{i}.png")
        Image.fromarray(image).save(paths[-1])
    return paths


# ---- measurements, each run in a subprocess: python speed.py --measure KIND ...


def measure_model_call(kind: str, images: list[str], repeats: int) -> dict:
    """Median latency of the network call alone (plus its own preprocessing) on 512x512 inputs."""
    from teethseg import load_model
    from teethseg.imaging.preprocess import prepare_input
    from teethseg.io.images import read_image

    grey = [read_image(p) for p in images]
    if kind == "seed":
        import torch

        sys.path.insert(0, str(ROOT / "benchmarks"))
        from seed_unet import SeedUNet

        network = SeedUNet().eval()
        inputs = [torch.from_numpy(np.repeat(prepare_input(g, [512, 512], "unit")[None], 3, 0))[None] for g in grey]

        def call(x):
            with torch.no_grad():
                return torch.sigmoid(network(x))
    else:
        backend, _, variant = kind.partition("-")  # "openvino", "onnx", "onnx-mask" (mask network only), "onnx-single" (no mirror)
        mask_only = variant == "mask"
        segmenter = load_model(backend=backend, mirror=variant != "single")
        inputs = grey

        def call(x):
            probabilities = segmenter.scores([x])
            if segmenter.numbering and not mask_only:
                segmenter.numbering.scores([x], segmenter.mirror)  # as predict calls it
            return probabilities
    call(inputs[0])
    times = []
    for _ in range(repeats):
        for x in inputs:
            start = time.perf_counter()
            call(x)
            times.append(time.perf_counter() - start)
    return {"median_ms": 1000 * statistics.median(times), "images_per_s": 1 / statistics.median(times),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def seed_predict(images: list[str], out: str) -> None:
    """What the seed project did per image: open, resize to 512, 3 channels, U-Net, threshold, save."""
    import torch
    from PIL import Image

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from seed_unet import SeedUNet

    network = SeedUNet().eval()
    for path in images:
        image = Image.open(path).convert("RGB")
        x = torch.from_numpy(np.asarray(image.resize((512, 512)), dtype=np.float32) / 255).permute(2, 0, 1)[None]
        with torch.no_grad():
            mask = (torch.sigmoid(network(x))[0, 0] > 0.5).numpy().astype(np.uint8) * 255
        Image.fromarray(mask).resize(image.size, Image.NEAREST).save(Path(out) / f"{Path(path).stem}_mask.png")


def run_measure(args: list[str]) -> dict:
    output = subprocess.run([PYTHON, __file__, "--measure", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


PEAK_OF_CHILD = (
    "import resource, subprocess, sys, time; start = time.perf_counter(); "
    "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed_process(command: list[str]) -> tuple[float, float]:
    """Wall time and peak resident memory (MB) of a whole command, measured by a wrapper process."""
    output = subprocess.run([PYTHON, "-c", PEAK_OF_CHILD, *command], check=True, capture_output=True, text=True).stdout
    seconds, peak_kb = output.split()
    return float(seconds), float(peak_kb) / 1024


MODEL_CALLS = [  # (row, measurement): the network calls of one 512x512 radiograph
    ("(1) seed U-Net, PyTorch", "seed"),
    ("(2) teethseg default: INT8, OpenVINO", "openvino"),
    ("(2a) its --no-mirror", "openvino-single"),
    ("(3) --backend onnx: float, ONNX Runtime", "onnx"),
    ("(3a) its --no-mirror", "onnx-single"),
]


def whole_runs(images: list[str], workdir: Path) -> list[tuple[str, list[str]]]:
    """The whole-process commands on the 12 images: the seed-style script first (the reference)."""
    seed_out = workdir / "seed-out"
    seed_out.mkdir()
    return [
        ("seed-style predict script", [PYTHON, __file__, "--measure", "seed-predict", str(seed_out), *images]),
        ("teethseg predict", [TEETHSEG, "predict", *images, "--out", str(workdir / "ours")]),
        ("teethseg predict --no-mirror", [TEETHSEG, "predict", "--no-mirror", *images, "--out", str(workdir / "single")]),
        ("teethseg predict --backend onnx", [TEETHSEG, "predict", "--backend", "onnx", *images, "--out", str(workdir / "onnx")]),
    ]


def cpu_name() -> str:
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="passes over the images per model-call measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, every row measured once a round, alternated")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, *rest = args.measure
        if kind == "seed-predict":
            seed_predict(rest[1:], rest[0])
            return
        print(json.dumps(measure_model_call(kind, rest, args.repeats)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="teethseg-bench-"))
    images = [str(p) for p in pick_images(args.images, 12, workdir)]
    import onnxruntime
    import openvino
    import torch

    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, openvino {openvino.__version__.split('-')[0]}")
    print(f"images: {len(images)} from {Path(images[0]).parent}; median of {args.rounds} rounds, rows alternated in each")
    calls: dict[str, list[dict]] = {kind: [] for _, kind in MODEL_CALLS}
    runs = whole_runs(images, workdir)
    whole: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in runs}
    for _ in range(args.rounds):
        for _, kind in MODEL_CALLS:
            calls[kind].append(run_measure([kind, *images, "--repeats", str(args.repeats)]))
        for name, command in runs:
            whole[name].append(timed_process(command))
            for folder in workdir.glob("*"):  # every run writes into an empty folder
                if folder.is_dir() and folder.name != "seed-out":
                    shutil.rmtree(folder)

    def median(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    reference = median(calls["seed"], "median_ms")
    print(f"\n{'network calls of one image':42} {'median ms':>10} {'images/s':>9} {'peak MB':>8} {'speed-up vs (1)':>16}")
    for name, kind in MODEL_CALLS:
        ms = median(calls[kind], "median_ms")
        print(f"{name:42} {ms:10.1f} {1000 / ms:9.1f} {median(calls[kind], 'peak_rss_mb'):8.0f} {reference / ms:15.1f}x")
    seed_time = statistics.median(t for t, _ in whole[runs[0][0]])
    print(f"\n{'whole process, 12 images':42} {'seconds':>10} {'images/s':>9} {'peak MB':>8} {'speed-up vs seed':>16}")
    for name, _ in runs:
        seconds, peak = statistics.median(t for t, _ in whole[name]), statistics.median(p for _, p in whole[name])
        ratios = ", ".join(f"{seed / t:.1f}" for (seed, _), (t, _) in zip(whole[runs[0][0]], whole[name]))
        print(f"{name:42} {seconds:10.2f} {len(images) / seconds:9.2f} {peak:8.0f} {seed_time / seconds:15.1f}x"
              f"   (rounds: {ratios})")

    from PIL import Image

    big = workdir / "panoramic-3300x1500.png"
    Image.open(images[0]).convert("L").resize((3300, 1500), Image.BICUBIC).save(big)
    big_time, big_peak = timed_process([TEETHSEG, "predict", str(big), "--out", str(workdir / "big-out")])
    print(f"\nteethseg predict on one 3300x1500 panoramic: {big_time:.2f} s, peak resident memory {big_peak:.0f} MB")
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
