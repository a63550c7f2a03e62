"""Fit the arch decoder's gap model (``teethseg.teeth.arch_decoder.GAP_LOG_MEAN`` and ``GAP_LOG_SD``)
to a dataset's training masks.

For every pair of neighbouring true teeth along a jaw (sorted by their centres along the image's
width): the distance between their centres over their mean width, and how many arch positions
lie between their numbers. Per number skipped (0, 1, 2, 3 or more), the mean and spread of the
log distance. Only the training split is read, so validation images choose nothing.

Usage: python tools/arch_gaps.py --data ../shared/data/ufba425 [--split train]
"""

from __future__ import annotations

import argparse

import numpy as np

from teethseg.data.layouts import index_dataset
from teethseg.evaluation.evaluate import class_mapping
from teethseg.teeth.arch_decoder import GAP_LOG_MEAN, arch_geometry
from teethseg.teeth.fdi import FDI_CLASS_ORDER, LOWER_ARCH, UPPER_ARCH

STANDARD = ["background", *(str(n) for n in FDI_CLASS_ORDER)]


def neighbour_gaps(labels: np.ndarray) -> list[tuple[int, float]]:
    """(positions skipped, centre distance over mean width) for each pair of neighbouring teeth of each jaw."""
    area, centre, width = arch_geometry(labels, len(STANDARD))
    pairs = []
    for arch in (UPPER_ARCH, LOWER_ARCH):
        found = [(p, STANDARD.index(str(n))) for p, n in enumerate(arch) if area[STANDARD.index(str(n))]]
        found.sort(key=lambda item: centre[item[1]])
        for (p, a), (q, b) in zip(found, found[1:]):
            if q > p:  # two teeth out of arch order (overlapping crowns) say nothing about gaps
                pairs.append((q - p - 1, float((centre[b] - centre[a]) / max((width[a] + width[b]) / 2, 1.0))))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    index = index_dataset(args.data)
    to_standard = class_mapping(index.class_names, STANDARD)
    if to_standard is None:
        raise SystemExit(f"{args.data}: its masks are not numbered with FDI classes")
    samples = [s for s in index.samples if s.split == args.split]
    pairs = [pair for s in samples for pair in neighbour_gaps(to_standard[index.read_mask(s)])]
    skipped = np.array([p[0] for p in pairs])
    log_distance = np.log(np.maximum([p[1] for p in pairs], 1e-3))
    kinds = len(GAP_LOG_MEAN)
    means, sds = [], []
    for s in range(kinds):
        chosen = log_distance[skipped == s] if s < kinds - 1 else log_distance[skipped >= s]
        means.append(float(chosen.mean()))
        sds.append(float(chosen.std()))
        print(f"skipped {s}{'+' if s == kinds - 1 else ''}: {chosen.size} pairs, median distance {np.exp(np.median(chosen)):.3f}")
    print(f"{len(samples)} images, {len(pairs)} neighbour pairs")
    print(f"GAP_LOG_MEAN = ({', '.join(f'{m:.4f}' for m in means)})")
    print(f"GAP_LOG_SD = ({', '.join(f'{s:.4f}' for s in sds)})")


if __name__ == "__main__":
    main()
