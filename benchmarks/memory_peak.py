"""Peak resident memory of `teethseg predict` on small files that decode to large images.

Usage: .venv/bin/python benchmarks/memory_peak.py [--only NAME ...] [--keep DIR]

Builds the files (a bundled sample radiograph stretched to the size named), then runs
`teethseg predict` on each in its own process and prints its peak resident memory (ru_maxrss
of the child), with the file's size on disk, and the ratio to the same command on the bundled
sample as given (measured in the same run). docs/limits.md quotes these figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from PIL import Image

TEETHSEG = str(Path(sys.executable).with_name("teethseg"))


def sample() -> Path:
    folder = Path(str(resources.files("teethseg") / "samples"))
    return sorted(folder.glob("*.jpg"))[0]


def stretched(width: int, height: int, mode: str = "L") -> Image.Image:
    """The first sample radiograph stretched to width x height: real teeth, real post-processing work."""
    return Image.open(sample()).convert(mode).resize((width, height), Image.BILINEAR)


def build(folder: Path) -> dict[str, Path]:
    """The hostile files, by name."""
    files = {"sample 2400x1200 JPEG (reference)": sample()}
    tiff = folder / "tiled-deflate-10000.tif"
    stretched(10000, 10000).save(tiff, compression="tiff_adobe_deflate", tiled=True, tile_size=(256, 256))
    files["10000x10000 deflate TIFF"] = tiff
    png = folder / "grey-10000.png"
    stretched(10000, 10000).save(png, compress_level=9)
    files["10000x10000 grey PNG"] = png
    rgb = folder / "rgb-10000.png"
    stretched(10000, 10000, "RGB").save(rgb, compress_level=1)
    files["10000x10000 RGB PNG"] = rgb
    jpeg = folder / "40mpx.jpg"
    stretched(7746, 5164).save(jpeg, quality=90)
    files["7746x5164 (40 Mpx) JPEG"] = jpeg
    return files


def peak_rss(command: list[str]) -> tuple[float, float, int]:
    """Peak resident memory of ``command`` in MB, its wall time in seconds, and its exit code."""
    script = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
              "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start, code)")
    output = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True, check=True)
    kilobytes, seconds, code = output.stdout.split()
    return int(kilobytes) / 1024, float(seconds), int(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="substrings of the case names to run")
    parser.add_argument("--keep", type=Path, default=None, help="build the files here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        files = build(folder)
        reference = None
        print(f"{'input':36s} {'on disk':>10s} {'peak RSS':>10s} {'x sample':>9s} {'time':>7s} exit")
        for name, path in files.items():
            if args.only and reference is not None and not any(word in name for word in args.only):
                continue
            megabytes, seconds, code = peak_rss([TEETHSEG, "predict", str(path), "--out", str(folder / "out")])
            reference = reference or megabytes
            print(f"{name:36s} {path.stat().st_size / 1e6:8.2f}MB {megabytes:8.0f}MB {megabytes / reference:8.2f}x "
                  f"{seconds:6.1f}s {code}")


if __name__ == "__main__":
    main()
