"""Fit the arch decoder's gap model (``teethseg.teeth.arch_decoder.GAP_LOG_MEAN`` and ``GAP_LOG_SD``)
to a dataset's training masks.

For every pair of neighbouring true teeth along a jaw (sorted by their centres along the image's
width; stacked pairs left out, see ``neighbour_distances``): the distance between their centres over their mean width, and how many arch positions
lie between their numbers. Per number skipped (0, 1, 2, 3 or more), the mean and spread of the
log distance. Only the training split is read, so validation images choose nothing.

Usage: python tools/arch_gaps.py --data ../shared/data/ufba425 [--split train]
"""

from __future__ import annotations

import argparse

import numpy as np

from teethseg.data.layouts import index_dataset
from teethseg.evaluation.evaluate import class_mapping
from teethseg.teeth.arch_decoder import GAP_LOG_MEAN, arch_geometry, neighbour_distances
from teethseg.teeth.fdi import FDI_CLASS_ORDER, LOWER_ARCH, UPPER_ARCH

STANDARD = ["background", *(str(n) for n in FDI_CLASS_ORDER)]


def neighbour_gaps(labels: np.ndarray) -> list[tuple[int, float]]:
    """(positions skipped, centre distance over mean width) for each pair of neighbouring teeth of each jaw
    (positions skipped under 0: out of arch order; distance NaN: stacked)."""
    centre, first, last = arch_geometry(labels, len(STANDARD))
    pairs = []
    for arch in (UPPER_ARCH, LOWER_ARCH):
        found = [(p, STANDARD.index(str(n))) for p, n in enumerate(arch) if last[STANDARD.index(str(n))] >= 0]
        found.sort(key=lambda item: centre[item[1]])
        teeth = np.array([c for _, c in found], dtype=np.int64)
        distances = neighbour_distances(centre[teeth], first[teeth], last[teeth]) if teeth.size > 1 else []
        pairs += [(q - p - 1, float(d)) for (p, _), (q, _), d in zip(found, found[1:], distances)]
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
    pairs, out_of_order = [], 0
    for sample in samples:
        found = neighbour_gaps(to_standard[index.read_mask(sample)])
        pairs += [pair for pair in found if pair[0] >= 0 and not np.isnan(pair[1])]
        out_of_order += sum(pair[0] < 0 or np.isnan(pair[1]) for pair in found)
    skipped = np.array([p[0] for p in pairs])
    log_distance = np.log(np.maximum([p[1] for p in pairs], 1e-3))
    kinds = len(GAP_LOG_MEAN)
    means, sds = [], []
    for s in range(kinds):
        chosen = log_distance[skipped == s] if s < kinds - 1 else log_distance[skipped >= s]
        means.append(float(chosen.mean()))
        sds.append(float(chosen.std()))
        print(f"skipped {s}{'+' if s == kinds - 1 else ''}: {chosen.size} pairs, median distance {np.exp(np.median(chosen)):.3f}")
    print(f"{len(samples)} images, {len(pairs)} neighbour pairs in arch order, {out_of_order} out of it or stacked (left out)")
    print(f"GAP_LOG_MEAN = ({', '.join(f'{m:.4f}' for m in means)})")
    print(f"GAP_LOG_SD = ({', '.join(f'{s:.4f}' for s in sds)})")


if __name__ == "__main__":
    main()
