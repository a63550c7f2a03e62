"""``teethseg evaluate``: score a model on labelled images at their own size."""

from __future__ import annotations

import csv
import heapq
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from teethseg.data.index import Sample
from teethseg.data.layouts import index_dataset
from teethseg.errors import TeethsegError
from teethseg.evaluation.figures import comparison_grid
from teethseg.evaluation.metrics import METRIC_NAMES, BinaryMetrics, ToothMetrics
from teethseg.inference.load import load_model
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.io.files import atomic_path, write_json
from teethseg.teeth.records import CHECK_NUMBER_BELOW

if TYPE_CHECKING:
    from teethseg.evaluation.collector import ReportCollector


def split_used(samples: list[Sample], split: str) -> str:
    """The split ``select_samples`` took: 'auto' is recorded as 'val' or 'all', as it was resolved."""
    if split != "auto":
        return split
    return "val" if any(s.split == "val" for s in samples) else "all"


def select_samples(samples: list[Sample], split: str) -> list[Sample]:
    """The images to score: 'auto' is the val split when there is one, else every image."""
    if split == "all":
        return samples
    if split == "auto":
        val = [s for s in samples if s.split == "val"]
        return val or samples
    chosen = [s for s in samples if s.split == split]
    if not chosen:
        raise TeethsegError(None, f"the dataset has no '{split}' split")
    return chosen


def evaluate(
    data: str | Path, model: str | Path | None = None, out: str | Path = "teethseg-eval", split: str = "auto",
    device: str = "auto", backend: str = "auto", grid_images: int = 6, progress: bool = True, mirror: bool = MIRROR_BY_DEFAULT,
    numbering: str | Path | list[str | Path] | None = None, samples: list[Sample] | None = None,
    collector: "ReportCollector | None" = None, naming: str | None = None,
) -> dict[str, Any]:
    """Predict every chosen image, compare with its mask, write metrics.json, per_image.csv and grid.png
    (the ``grid_images`` worst images: lowest mean per-tooth Dice for numbered models, else Dice).

    ``samples`` replaces the split's images (a training run's own validation images); a
    ``collector`` (``teethseg.evaluation.collector``) gathers what the HTML report needs, and its
    summary (boundary, per-split and per-group scores) joins metrics.json. ``naming``: how teeth
    are named (``teethseg.teeth.arch_decoder.NAMINGS``; default: the model's own).
    """
    index = index_dataset(data)
    samples_given = samples
    samples = select_samples(index.samples, split) if samples is None else samples
    segmenter = load_model(model, device, backend, mirror=mirror, numbering=numbering, naming=naming)
    metrics = BinaryMetrics()
    to_model_class = class_mapping(index.class_names, segmenter.class_names)
    teeth = ToothMetrics(segmenter.class_names) if to_model_class is not None else None
    if collector is not None:
        collector.begin(index, segmenter.class_names if teeth is not None else None)
    grid: list[tuple] = []  # a heap of the worst images: (-score, order, panel)
    skipped, per_image_extra = [], {}
    for sample in tqdm(samples, desc="evaluating", disable=None if progress else True, leave=False):
        try:
            result = segmenter.predict(sample.image)
            labels = index.read_mask(sample, result.labels.shape)
        except TeethsegError as error:
            skipped.append(str(error))
            print(f"skipped {error}")
            continue
        truth = labels > 0
        scores = metrics.update(result.mask, truth, sample.key)
        tooth_dice = None
        if teeth is not None:
            flagged = {segmenter.class_names.index(str(fdi)) for fdi in result.numbers_to_check}
            tooth_dice = teeth.update(result.labels, to_model_class[labels], len(result.teeth), flagged)
        shown = (to_model_class[labels], result.labels) if teeth is not None else (truth, result.mask)
        score = scores["dice"]
        if tooth_dice is not None:
            true_teeth = len({int(v) for v in np.unique(to_model_class[labels])} - {0})
            mean_tooth = float(np.mean(list(tooth_dice.values()))) if tooth_dice else 0.0
            per_image_extra[sample.key] = {"mean_tooth_dice": round(mean_tooth, 6), "teeth_found": len(result.teeth),
                                           "teeth_true": true_teeth,
                                           **{f"dice_{segmenter.class_names[c]}": round(v, 6) for c, v in tooth_dice.items()}}
            score = mean_tooth
        heapq.heappush(grid, (-score, len(per_image_extra) + len(grid), (sample.key, result.image, *shown, scores["dice"])))
        if len(grid) > grid_images:
            heapq.heappop(grid)  # the best of those kept
        if collector is not None:
            collector.add(sample, result.image, *shown, scores, tooth_dice, teeth.count_exact[-1] if teeth else None)
    if not metrics.counts:
        raise TeethsegError(data, "no image could be evaluated")
    summary = {"data": str(data), "split": split_used(index.samples, split) if samples_given is None else "given",
               "model": segmenter.name, "mirror": mirror,
               "numbering_model": segmenter.numbering.name if segmenter.numbering else None, "naming": segmenter.naming,
               **metrics.summary(),
               "skipped": skipped}
    if teeth is not None:
        summary["numbering"] = teeth.summary()
    if collector is not None:
        summary.update(collector.summary())
    out = Path(out)
    write_json(out / "metrics.json", summary)
    tooth_columns = ["mean_tooth_dice", "teeth_found", "teeth_true",
                     *(f"dice_{name}" for name in segmenter.class_names[1:])] if teeth is not None else []
    with atomic_path(out / "per_image.csv") as temporary:
        with temporary.open("w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
            writer = csv.DictWriter(handle, fieldnames=["image", *METRIC_NAMES, *tooth_columns], restval="")
            writer.writeheader()
            writer.writerows({**row, **per_image_extra.get(row["image"], {})} for row in metrics.per_image())
    comparison_grid([panel for _, _, panel in sorted(grid, reverse=True)], out / "grid.png")  # worst first
    _print_summary(summary, out)
    return summary


def class_mapping(data_names: list[str] | None, model_names: list[str]) -> np.ndarray | None:
    """Lookup from the dataset's class values to the model's, by FDI name; None when either is unnumbered."""
    if not data_names or len(data_names) <= 2 or len(model_names) <= 2:
        return None
    position = {name: i for i, name in enumerate(model_names)}
    table = np.zeros(256, dtype=np.uint8)
    for value, name in enumerate(data_names):
        table[value] = position.get(name, 0)
    return table


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    numbering = f", numbering {summary['numbering_model']}" if summary.get("numbering_model") else ""
    mirror = "with mirror averaging" if summary.get("mirror") else "without mirror averaging"
    print(f"{summary['images']} images, model {summary['model']}{numbering}, {mirror}")
    print(f"{'':>18}" + "".join(f"{name:>11}" for name in METRIC_NAMES))
    for label, key in (("mean over images", "mean_over_images"), ("over all pixels", "over_all_pixels")):
        print(f"{label:>18}" + "".join(f"{summary[key][name]:>11.4f}" for name in METRIC_NAMES))
    numbering = summary.get("numbering")
    if numbering:
        print(f"numbered teeth: mean per-tooth Dice {numbering['mean_tooth_dice']:.4f}, "
              f"tooth count exact on {100 * numbering['tooth_count_accuracy']:.1f}% of images")
        print("  " + ", ".join(f"{group} {value:.4f}" for group, value in numbering["group_dice"].items()))
        missing = numbering["missing_teeth"]
        print(f"missing teeth: {missing['called_missing']} called, {missing['truly_missing']} truly missing; "
              f"precision {missing['precision']:.3f}, recall {missing['recall']:.3f}, "
              f"whole list right on {100 * missing['images_exact']:.1f}% of images")
        teeth = numbering["instances"]
        print(f"teeth as instances, whatever their numbers: {100 * teeth['found_whole']:.1f}% of the {teeth['true_teeth']} "
              f"true teeth found whole (IoU over 0.5); {teeth['splits_per_image']:.3f} split and "
              f"{teeth['merges_per_image']:.3f} merged teeth per image")
        checks = numbering["numbers_to_check"]
        print(f"numbers to check (confidence under {CHECK_NUMBER_BELOW}): {checks['flagged']} of {checks['teeth']} teeth, "
              f"{checks['flagged_wrong']} of them wrong; {checks['wrong'] - checks['flagged_wrong']} wrong among the rest; "
              f"images with none: {checks['images_clear']}, missing list right on "
              f"{100 * checks['list_right_when_clear']:.1f}% of them")
        per_tooth = numbering["per_tooth_dice"]
        print("per-tooth Dice (FDI number and its Dice), a quadrant a line:")
        for quadrant in "1234":
            print("  " + "  ".join(f"{n} {per_tooth[n]:.3f}" for n in sorted(per_tooth) if n.startswith(quadrant)))
    print(f"wrote {out / 'metrics.json'}, {out / 'per_image.csv'}, {out / 'grid.png'} (the worst images)")
