"""How well the dental check tells dental radiographs from everything else, and what it costs.

Usage: .venv/bin/python benchmarks/dental_check.py [--every N] [--choose] [--timing]

Builds the sets of ``benchmarks/dental_sets.py`` in a temporary folder (negatives that installed
packages ship or that are made there; positives from the shared radiographs and their close views
at other exposures and sizes), reads and segments each as ``teethseg predict`` does, and records
the verdict and the image evidence (``teethseg.inference.dental.image_evidence``).

--choose: the limits of the image evidence by 5-fold cross-validation on the train-split positives
(every N-th radiograph and its variants) and one half of the negatives (every other in the order built:
a colour photograph and its grey copy fall in different halves):
each limit is the lowest value of the positives of four folds (they must all be kept), scored on
the fifth. Prints the cross-validated rates and the limits on all the choosing data.

Without --choose: the measure, once, on every val radiograph and its variants and the other half of
the negatives: the share of dental images kept (target: all) and of non-dental refused (>= 95 %),
and the negatives listed. --timing: ``teethseg predict`` on the first 12 val radiographs with and
without the check, best of 3 each, in this process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import threading

sys.path.insert(0, str(Path(__file__).parent))
import dental_sets  # noqa: E402

from teethseg import load_model  # noqa: E402
from teethseg.inference import dental  # noqa: E402
from teethseg.predict.folders import read_input  # noqa: E402


# The image evidence of the image each thread last judged (the pipeline keeps it out of the JSON).
_EVIDENCE: dict[int, dict] = {}
_image_evidence = dental.image_evidence


def _recording(view):
    evidence = _image_evidence(view)
    _EVIDENCE[threading.get_ident()] = evidence
    return evidence


dental.image_evidence = _recording
def judged(rows: list[dict], segmenter) -> list[dict]:
    """Each row with its verdict, reason and image evidence, read and segmented as ``predict`` does."""
    def one(row: dict) -> dict:
        _EVIDENCE.pop(threading.get_ident(), None)
        _, frame, _, facts = read_input((row["file"], "x"))[0]
        result = segmenter.predict_batch([frame], [str(row["file"])], [facts])[0]
        return {**row, "dental": result.extra["looks_dental"], "reason": result.extra.get("not_dental_reason"),
                "by_facts": dental.facts_verdict(facts) is not None,
                "evidence": _EVIDENCE.pop(threading.get_ident(), None)}

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, rows))


# Each limit: the feature, the views it applies to (close views or not, None for all), lowest or highest.
FEATURES = {"min_share": ("teeth_share", 0.0, min), "min_tooth_confidence": ("tooth_confidence", 0.0, min),
            "min_close_share": ("teeth_share", 1.0, min), "min_close_mask_confidence": ("mask_confidence", 1.0, min),
            "max_unsure": ("unsure", None, max)}


def limits_keeping(positives: list[dict]) -> dict[str, float]:
    """Each limit at the lowest (highest) value of the positives it applies to, so that all are kept."""
    chosen = {}
    for name, (feature, branch, extreme) in FEATURES.items():
        values = [r["evidence"][feature] for r in positives
                  if r["evidence"] and branch in (None, r["evidence"]["close_view"])]
        chosen[name] = extreme(values) if values else dental.LIMITS[name]
    return chosen


def refused(row: dict, limits: dict[str, float]) -> bool:
    """The verdict of ``row`` under other limits (tags and colour as they are)."""
    if row["by_facts"]:
        return not row["dental"]
    return dental.evidence_reason(row["evidence"], limits) is not None


def choose(positives: list[dict], negatives: list[dict]) -> None:
    """5-fold cross-validation of the limits; the limits on all the data."""
    origins = sorted({r["origin"] for r in positives})  # a radiograph and its variants stay in one fold
    kept, refused_negatives = [], []
    for fold in range(5):
        held = set(origins[fold::5])
        limits = limits_keeping([r for r in positives if r["origin"] not in held])
        kept += [not refused(r, limits) for r in positives if r["origin"] in held]
        refused_negatives += [refused(r, limits) for i, r in enumerate(negatives) if i % 5 == fold]
    print(f"cross-validated: {100 * np.mean(kept):.1f}% of {len(kept)} dental kept, "
          f"{100 * np.mean(refused_negatives):.1f}% of {len(refused_negatives)} non-dental refused")
    print("limits on all the choosing data (lowest positive):", limits_keeping(positives))


def report(positives: list[dict], negatives: list[dict]) -> None:
    kept = [r for r in positives if r["dental"]]
    gone = [r for r in negatives if not r["dental"]]
    print(f"dental kept: {len(kept)} of {len(positives)} ({100 * len(kept) / len(positives):.1f}%)")
    by_kind = Counter(r["kind"] for r in positives if not r["dental"])
    for r in positives:
        if not r["dental"]:
            print(f"  refused: {r['file'].name}: {r['reason']}")
    print(f"non-dental refused: {len(gone)} of {len(negatives)} ({100 * len(gone) / len(negatives):.1f}%)")
    kinds = defaultdict(list)
    for r in negatives:
        kinds[r["kind"]].append(r)
    for kind, rows in sorted(kinds.items()):
        print(f"  {kind}: {sum(not r['dental'] for r in rows)} of {len(rows)} refused "
              f"({', '.join(r['file'].name + ('' if not r['dental'] else ' KEPT') for r in rows)})")
    del by_kind


def timing(segmenter_loader, folder: Path) -> None:
    """teethseg predict on the first 12 val radiographs, with and without the check, best of 3."""
    from teethseg.predict.folders import predict_command

    inputs = [str(p) for p in dental_sets.radiographs("val")[:12]]

    def run(check: bool) -> float:
        saved = (dental.judge, dental.facts_verdict)
        if not check:
            import teethseg.inference.segmenter as segmenter_module
            import teethseg.predict.folders as folders_module
            import teethseg.io.images as images_module

            patches = [(segmenter_module, "judge", lambda views, facts, evidence=True: views),
                       (folders_module, "refuse_unless_dental", lambda notes, path: None),
                       (folders_module, "facts_verdict", lambda facts: None),
                       (images_module, "image_colourfulness", lambda image: 0.0)]
            originals = [(m, n, getattr(m, n)) for m, n, _ in patches]
            for m, n, f in patches:
                setattr(m, n, f)
        start = time.perf_counter()
        predict_command(inputs, str(folder / ("with" if check else "without")), None, "cpu")
        took = time.perf_counter() - start
        if not check:
            for m, n, f in originals:
                setattr(m, n, f)
        del saved
        return took

    times = {True: [], False: []}
    for _ in range(3):
        for check in (False, True):
            times[check].append(run(check))
    without, with_check = min(times[False]), min(times[True])
    print(f"predict, 12 val radiographs: {without:.2f} s without the check, {with_check:.2f} s with it "
          f"({100 * (with_check / without - 1):+.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=6, help="every N-th train radiograph for --choose (default 6)")
    parser.add_argument("--val-every", type=int, default=1, help="every N-th val radiograph for the measure (default: all)")
    parser.add_argument("--choose", action="store_true")
    parser.add_argument("--timing", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if args.timing:
            timing(load_model, root)
            return
        segmenter = load_model(None, "cpu", threads=1)
        negatives = dental_sets.build_negatives(root / "negatives")
        if args.choose:
            positives = dental_sets.build_positives(root / "train", "train", args.every)
            choose(judged(positives, segmenter), judged(negatives[0::2], segmenter))
        else:
            positives = dental_sets.build_positives(root / "val", "val", args.val_every)
            report(judged(positives, segmenter), judged(negatives[1::2], segmenter))


if __name__ == "__main__":
    main()
