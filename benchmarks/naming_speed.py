"""Prediction time with each way of naming teeth (``--naming``), measured in one process.

Usage: .venv/bin/python benchmarks/naming_speed.py [--images N] [--repeats R]

Loads the bundled model once and predicts the first N val radiographs of the shared data
(default 12) R times per naming, the namings taking turns image by image so that other load on
the machine falls on each alike. Prints the median time per image of each naming and its ratio
to ``pixels`` (today's naming) measured in the same run, and the decoder's own median time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from teethseg.inference.load import load_model
from teethseg.io.images import read_image
from teethseg.teeth import postprocess as postprocess_module
from teethseg.teeth.arch_decoder import NAMINGS

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ufba425"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ids = json.loads((SHARED / "splits.json").read_text())["val"][: args.images]
    images = [read_image(SHARED / "images" / f"{i}.jpg", reduce=True) for i in ids]
    segmenter = load_model(threads=1)
    decoder_times: list[float] = []
    decode = postprocess_module.decode_arches

    def timed_decode(*a, **k):
        start = time.perf_counter()
        try:
            return decode(*a, **k)
        finally:
            decoder_times.append(time.perf_counter() - start)

    postprocess_module.decode_arches = timed_decode
    segmenter.predict(images[0])  # warm-up: sessions and caches
    times: dict[str, list[float]] = {naming: [] for naming in NAMINGS}
    for _ in range(args.repeats):
        for image in images:
            for naming in NAMINGS:
                segmenter.naming = naming
                start = time.perf_counter()
                segmenter.predict(image)
                times[naming].append(time.perf_counter() - start)
    reference = statistics.median(times["pixels"])
    print(f"{len(images)} val radiographs x {args.repeats}, one thread, with mirror averaging")
    for naming, values in times.items():
        median = statistics.median(values)
        print(f"  --naming {naming:<10} {1000 * median:7.1f} ms per image  ({median / reference:.3f}x pixels)")
    print(f"  the arch decoder alone: {1000 * statistics.median(decoder_times):.2f} ms per call (median)")


if __name__ == "__main__":
    main()
