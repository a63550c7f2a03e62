"""Time of the PACS round trip (`teethseg pacs` against a local Orthanc) per instance.

Usage: .venv/bin/python benchmarks/pacs_round_trip.py [--instances 12] [--images DIR]

Uploads N radiographs (the bundled samples in turn, or the images of DIR) as DICOM panoramics,
each in its own study, into a fresh Orthanc on loopback; runs `teethseg pacs` (QIDO, WADO,
segment, STOW of the SEG), then again (nothing to do), then `teethseg predict` on the same
files in the same process as the reference. Prints instances, seconds per instance and the
ratio to predict, and the size of a SEG.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from teethseg.cli import main as teethseg  # noqa: E402
from teethseg.predict.folders import sample_paths  # noqa: E402
from tests.dicom_out.radiographs import sample_dicom  # noqa: E402
from tests.pacs.orthanc import count_instances, orthanc, upload  # noqa: E402


def timed(argv: list[str]) -> tuple[float, int, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = teethseg(argv)
    return time.perf_counter() - start, code, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=12)
    parser.add_argument("--images", type=Path, default=None)
    args = parser.parse_args()
    images = sorted(args.images.glob("*.jpg")) if args.images else sample_paths()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = []
        for i in range(args.instances):
            pixels = np.asarray(Image.open(images[i % len(images)]).convert("L"))
            path = root / f"img{i:03d}.jpg"
            Image.fromarray(pixels).save(path, quality=95)
            files.append(sample_dicom(root / f"img{i:03d}.dcm", source=path, patient=f"P{i}^BENCH"))
        with orthanc(root) as base:
            for path in files:
                upload(base, path)
            url = f"{base}/dicom-web"
            first, code, text = timed(["pacs", "--url", url])
            stored = count_instances(base) - len(files)
            second, _, _ = timed(["pacs", "--url", url])
            reference, _, _ = timed(["predict", *map(str, files), "--out", str(root / "local")])
        seg_size = (root / "local" / "img000_seg.dcm").stat().st_size
    size = Image.open(images[0]).size
    print(f"instances: {len(files)} ({size[0]}x{size[1]} px first), exit {code}, SEGs stored: {stored}")
    print(f"first run: {first:.2f} s total, {first / len(files):.3f} s per instance (model load included)")
    print(f"per instance as `teethseg pacs` prints it: {text.strip().splitlines()[-1]}")
    print(f"second run (nothing to do): {second:.2f} s")
    print(f"reference, `teethseg predict` on the same DICOM files: {reference:.2f} s total, "
          f"{reference / len(files):.3f} s per image; pacs / predict = {first / reference:.2f}")
    print(f"SEG size: {seg_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
