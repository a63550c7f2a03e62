"""How well the dental check tells dental radiographs from everything else, and what it costs.

Usage: .venv/bin/python benchmarks/dental_check.py [--every N] [--choose] [--timing]

Builds the sets of ``benchmarks/dental_sets.py`` in a temporary folder (negatives that installed
packages ship or that are made there; positives from the shared radiographs and their close views
at other exposures and sizes), reads and segments each as ``teethseg predict`` does, and records
the verdict and the image evidence (``teethseg.inference.dental.image_evidence``).

--choose: the usual ranges of the image evidence (``teethseg.inference.dental.USUAL``), whether
sharpness is one of the features, and how many features out of range refuse an image, by 5-fold
cross-validation on the train-split positives (every
N-th radiograph and its variants; a radiograph and its variants stay in one fold) and one half of the
negatives (every other in the order built: a colour photograph and its grey copy fall in different
halves). Prints the rates of each candidate and the chosen ranges on all the choosing data.

Without --choose: the measure, once, on every val radiograph and its variants and the other half of
the negatives: the share of dental images kept (target: all) and of non-dental refused (>= 95 %),
and the negatives listed. --timing: ``teethseg predict`` on the first 12 val radiographs with and
without the check, best of 3 each, in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import dental_sets  # noqa: E402

from teethseg import load_model  # noqa: E402
from teethseg.inference import dental  # noqa: E402
from teethseg.predict.groups import read_input  # noqa: E402


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


# Tails of the positives that make a feature "unusual", for images seen whole and as close views, and
# candidate numbers of unusual features that refuse an image. Radiographs seen whole are judged against
# the 0.5 % tail by design, not by the negatives: a panoramic from another clinic, which the networks
# are less sure of than of these, must not fall out of two ranges at once; the close views' tail, the
# count and whether sharpness is a feature are chosen.
TAILS = {"whole": (0.005,), "close": (0.01, 0.02, 0.05)}
COUNTS = (2, 3)
OPTIONAL = ("sharpness",)
# The share of the choosing negatives a candidate must refuse: the 95 %.
MIN_REFUSED = 0.95


def usual_ranges(positives: list[dict], tails: dict[str, float], left_out: tuple[str, ...] = ()) -> dict[str, dict]:
    """Each feature's usual range per kind of view: the tail quantile of the positives seen that way
    (``tails[kind]``), on the side ``teethseg.inference.dental.USUAL`` bounds; ``left_out``: features not used."""
    ranges = {}
    for kind, features in dental.USUAL.items():
        tail = tails[kind]
        rows = [r["evidence"] for r in positives if r["evidence"] and r["evidence"]["teeth_share"] > 0
                and bool(r["evidence"]["close_view"]) == (kind == "close")]
        ranges[kind] = {feature: (float(np.quantile([e[feature] for e in rows], tail)) if low is not None else None,
                                  float(np.quantile([e[feature] for e in rows], 1 - tail)) if high is not None else None)
                        for feature, (low, high) in features.items() if feature not in left_out}
    return ranges


def refused(row: dict, usual: dict[str, dict], count: int) -> bool:
    """The verdict of ``row`` under other ranges (tags, colour and small images as they are)."""
    if row["by_facts"] or row["evidence"] is None:
        return not row["dental"]
    return dental.evidence_reason(row["evidence"], usual, count) is not None


def choose(positives: list[dict], negatives: list[dict]) -> None:
    """5-fold cross-validation of each (features, tails, count): the share of held-out dental images kept and
    of the choosing negatives refused; the choice keeps most dental images among those refusing ``MIN_REFUSED``
    of the negatives (ties: the one refusing more); its ranges on all the choosing data."""
    origins = sorted({r["origin"] for r in positives})  # a radiograph and its variants stay in one fold
    scores = {}
    for left_out in ((), OPTIONAL):
        for whole, close, count in ((w, c, n) for w in TAILS["whole"] for c in TAILS["close"] for n in COUNTS):
            tail = {"whole": whole, "close": close}
            kept, close_kept = [], []
            for fold in range(5):
                held = set(origins[fold::5])
                usual = usual_ranges([r for r in positives if r["origin"] not in held], tail, left_out)
                for row in (r for r in positives if r["origin"] in held):
                    kept.append(not refused(row, usual, count))
                    if row["kind"].startswith("close view"):
                        close_kept.append(kept[-1])
            usual = usual_ranges(positives, tail, left_out)
            gone = [refused(r, usual, count) for r in negatives]
            scores[left_out, whole, close, count] = (float(np.mean(kept)), float(np.mean(gone)))
            print(f"{'without ' + ', '.join(left_out) if left_out else 'all features'}, tails {whole:.3f} whole, "
                  f"{close:.2f} close, {count} unusual: {100 * np.mean(kept):.2f}% of {len(kept)} dental kept (5-fold; "
                  f"close views {100 * np.mean(close_kept):.2f}%), {100 * np.mean(gone):.1f}% of {len(gone)} non-dental refused")
    able = [key for key, (_, gone) in scores.items() if gone >= MIN_REFUSED] or list(scores)
    left_out, whole, close, count = max(able, key=lambda key: scores[key])
    print(f"chosen: {'without ' + ', '.join(left_out) if left_out else 'all features'}, tails {whole} whole, {close} close, "
          f"{count} unusual; ranges on all the choosing data:")
    for kind, ranges in usual_ranges(positives, {"whole": whole, "close": close}, left_out).items():
        print(f"  {kind}: " + ", ".join(f"{f}: ({'None' if lo is None else f'{lo:.4g}'}, {'None' if hi is None else f'{hi:.4g}'})"
                                        for f, (lo, hi) in ranges.items()))


def report(positives: list[dict], negatives: list[dict]) -> None:
    kept = [r for r in positives if r["dental"]]
    gone = [r for r in negatives if not r["dental"]]
    print(f"dental kept: {len(kept)} of {len(positives)} ({100 * len(kept) / len(positives):.1f}%)")
    forms = defaultdict(list)
    for r in positives:
        forms["close views" if r["kind"].startswith("close view") else r["kind"]].append(r["dental"])
    for form, verdicts in forms.items():
        print(f"  {form}: {sum(verdicts)} of {len(verdicts)} kept")
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


def timing(segmenter_loader, folder: Path) -> None:
    """teethseg predict on the first 12 val radiographs, with and without the check, best of 3."""
    from teethseg.predict.folders import predict_command

    inputs = [str(p) for p in dental_sets.radiographs("val")[:12]]

    def run(check: bool) -> float:
        saved = (dental.judge, dental.facts_verdict)
        if not check:
            import teethseg.inference.segmenter as segmenter_module
            import teethseg.predict.groups as groups_module
            import teethseg.io.images as images_module

            patches = [(segmenter_module, "judge", lambda views, facts, evidence=True: views),
                       (groups_module, "refuse_unless_dental", lambda notes, path: None),
                       (groups_module, "refuse_by_facts", lambda facts, path: None),
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
    parser.add_argument("--every", type=int, default=3, help="every N-th train radiograph for --choose (default 3)")
    parser.add_argument("--val-every", type=int, default=1, help="every N-th val radiograph for the measure (default: all)")
    parser.add_argument("--choose", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--save", type=Path, help="also write every image's verdict and evidence to this JSON file")
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
            positives, negatives = judged(positives, segmenter), judged(negatives[0::2], segmenter)
            choose(positives, negatives)
        else:
            positives = dental_sets.build_positives(root / "val", "val", args.val_every)
            positives, negatives = judged(positives, segmenter), judged(negatives[1::2], segmenter)
            report(positives, negatives)
        if args.save:
            rows = [{**row, "file": row["file"].name} for row in positives + negatives]
            args.save.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
