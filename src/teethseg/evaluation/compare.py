"""``teethseg evaluate --compare A B``: two models on the same images, side by side, with the
paired per-image difference (B minus A) and pictures of the images that changed most."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError
from teethseg.evaluation.charts import histogram
from teethseg.evaluation.html_report import card, cell, fmt, page, row, table, write_page
from teethseg.evaluation.reports import Evaluation, evaluate_report
from teethseg.evaluation.sections import legend, provenance_section
from teethseg.evaluation.thumbnails import panels
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.io.files import write_json

LOWER_IS_BETTER = {"hd95_px", "hd95_mm"}
SAME = 1e-4  # differences smaller than this count as unchanged


def paired(a: list[dict[str, Any]], b: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """Per-image difference B - A of one score over the images both scored, with a Wilcoxon
    signed-rank test (scipy) of whether it is centred on zero; None when no image has both."""
    from scipy.stats import wilcoxon

    by_image = {r["image"]: r.get(name) for r in a}
    pairs = [(by_image[r["image"]], r.get(name)) for r in b if by_image.get(r["image"]) is not None and r.get(name) is not None]
    if not pairs:
        return None
    first, second = np.array(pairs, dtype=np.float64).T
    difference = second - first
    sign = -1 if name in LOWER_IS_BETTER else 1
    try:
        p_value = float(wilcoxon(difference).pvalue) if np.any(np.abs(difference) >= SAME) else None
    except ValueError:  # too few differing pairs for the test
        p_value = None
    return {"images": len(pairs), "mean_a": float(first.mean()), "mean_b": float(second.mean()),
            "mean_difference": float(difference.mean()), "better": int(np.sum(sign * difference >= SAME)),
            "worse": int(np.sum(sign * difference <= -SAME)), "same": int(np.sum(np.abs(difference) < SAME)),
            "wilcoxon_p": None if p_value is None or not np.isfinite(p_value) else p_value}


def _ranked_score(first: Evaluation, second: Evaluation) -> str:
    both_numbered = first.summary.get("numbering") and second.summary.get("numbering")
    return "tooth_dice" if both_numbered else "dice"


def changed_most(data: str | Path, models: tuple[str, str], first: Evaluation, second: Evaluation, count: int,
                 options: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``count`` images whose score moved most between A and B, segmented again by both
    (only these few are held as pictures)."""
    from teethseg.data.layouts import index_dataset
    from teethseg.evaluation.evaluate import class_mapping
    from teethseg.inference.load import load_model

    name = _ranked_score(first, second)
    scores_a = {r["image"]: r.get(name) for r in first.records}
    moved = [(r.get(name) - scores_a[r["image"]], r) for r in second.records
             if scores_a.get(r["image"]) is not None and r.get(name) is not None]
    moved = sorted(moved, key=lambda m: -abs(m[0]))[:count]
    if not moved:
        return []
    index = index_dataset(data)
    samples = {s.key: s for s in index.samples}
    segmenters = [load_model(m, options["device"], options["backend"], mirror=options["mirror"], numbering=options["numbering"])
                  for m in models]
    shown = []
    for difference, record in moved:
        sample = samples[record["image"]]
        results = [s.predict(sample.image) for s in segmenters]
        labels = index.read_mask(sample, results[0].labels.shape)
        mapping = class_mapping(index.class_names, segmenters[0].class_names) if name == "tooth_dice" else None
        truth = mapping[labels] if mapping is not None else (labels > 0)
        predictions = [r.labels if mapping is not None else r.mask for r in results]
        shown.append({"image": record["image"], "score": name, "a": scores_a[record["image"]], "b": record[name],
                      "difference": difference, "pictures": panels(results[0].image, truth, predictions, width=220)})
    return shown


def compare_rows(block: dict[str, Any]) -> list[str]:
    """Rows of the side-by-side table: the value for A, for B, and B - A."""
    entries = [("Dice (mean over images)", ["mean_over_images", "dice"], "score"), ("IoU (mean over images)", ["mean_over_images", "iou"], "score"),
               ("precision", ["mean_over_images", "precision"], "score"), ("recall", ["mean_over_images", "recall"], "score"),
               ("pixel accuracy", ["mean_over_images", "accuracy"], "score"), ("Dice (all pixels)", ["over_all_pixels", "dice"], "score"),
               ("HD95 px", ["boundary", "hd95_px"], "distance"), ("NSD px", ["boundary", "nsd_px"], "score"),
               ("HD95 mm", ["boundary", "hd95_mm"], "distance"), ("NSD mm", ["boundary", "nsd_mm"], "score"),
               ("mean per-tooth Dice", ["numbering", "mean_tooth_dice"], "score"),
               ("tooth count exact", ["numbering", "tooth_count_accuracy"], "percent"),
               ("missing-teeth precision", ["numbering", "missing_teeth", "precision"], "score"),
               ("missing-teeth recall", ["numbering", "missing_teeth", "recall"], "score")]
    rows = []
    for label, path, kind in entries:
        values = [_get(block[side]["metrics"], path) for side in ("a", "b")]
        if all(v is None for v in values):
            continue
        difference = values[1] - values[0] if None not in values else None
        good = difference is not None and abs(difference) >= SAME and (difference > 0) != (path[-1] in LOWER_IS_BETTER)
        css = "" if difference is None or abs(difference) < SAME else (' class="better"' if good else ' class="worse"')
        shown = fmt(difference, "signed") if kind != "distance" or difference is None else f"{difference:+.2f}"
        rows.append(row(label, cell(block, ["a", "metrics", *path], kind) + cell(block, ["b", "metrics", *path], kind)
                        + f"<td{css}>{shown}</td>"))
    return rows


def _reach(values: list[float]) -> float:
    """Half the width of a histogram centred on no change."""
    return max([abs(v) for v in values] + [0.01])


def _get(data: dict[str, Any], path: list[str]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def comparison_body(block: dict[str, Any], changed: list[dict[str, Any]], differences: list[float], first: Evaluation, second: Evaluation) -> str:
    ranked = block["paired"].get(block["ranked_by"]) or {}
    by = block["ranked_by"]
    cards = [card("A", escape(block["a"]["name"])), card("B", escape(block["b"]["name"])),
             card("images in both", str(ranked.get("images", 0))),
             card(f"mean {by} B - A", fmt(ranked.get("mean_difference"), "signed")),
             card("images better / worse in B", f"{ranked.get('better', 0)} / {ranked.get('worse', 0)}")]
    body = [f'<div class="cards">{"".join(cards)}</div>']
    body.append("<h2>Side by side</h2>" + table(["", "A", "B", "B - A"], compare_rows(block)))
    paired_rows = [row(name, cell(block, ["paired", name, "images"], "count") + cell(block, ["paired", name, "mean_difference"], "signed")
                       + cell(block, ["paired", name, "better"], "count") + cell(block, ["paired", name, "worse"], "count")
                       + cell(block, ["paired", name, "same"], "count") + cell(block, ["paired", name, "wilcoxon_p"]))
                   for name in block["paired"] if block["paired"][name]]
    body.append("<h2>Paired per-image differences (B - A)</h2>"
                + table(["score", "images", "mean B - A", "better in B", "worse in B", "same", "Wilcoxon p"], paired_rows)
                + histogram(differences, f"per-image {block['ranked_by']} B - A", low=-_reach(differences), high=_reach(differences),
                            colour="#b0703a"))
    groups = sorted(set(first.summary.get("groups", {})) & set(second.summary.get("groups", {})))
    for field, names in (("splits", sorted(set(first.summary.get("splits", {})) & set(second.summary.get("splits", {})))), ("groups", groups)):
        if names:
            rows = [row(n, cell(block, ["a", "metrics", field, n, "images"], "count") + cell(block, ["a", "metrics", field, n, "dice"])
                        + cell(block, ["b", "metrics", field, n, "dice"]) + cell(block, ["a", "metrics", field, n, "nsd_px"])
                        + cell(block, ["b", "metrics", field, n, "nsd_px"])) for n in names]
            body.append(f"<h3>Per {field[:-1]}</h3>" + table([field[:-1], "images", "Dice A", "Dice B", "NSD A", "NSD B"], rows))
    if changed:
        body.append(f"<h2>The {len(changed)} images that changed most (by {block['ranked_by']})</h2>" + legend(block["ranked_by"] == "tooth_dice")
                    + '<div class="images" style="grid-template-columns:repeat(6,1fr)">')
        for item in changed:
            p = item["pictures"]
            body.append(f'<div class="imgname" data-image="{escape(item["image"], quote=True)}">{escape(item["image"])}: '
                        f'{item["score"]} A {item["a"]:.4f}, B {item["b"]:.4f} ({item["difference"]:+.4f})</div>')
            for title, uri in (("radiograph", p["radiograph"][0]), ("truth", p["truth"][0]), ("A prediction", p["prediction"][0]),
                               ("B prediction", p["prediction"][1]), ("A errors", p["errors"][0]), ("B errors", p["errors"][1])):
                body.append(f'<figure><img src="{uri}" alt="{title}"><figcaption>{title}</figcaption></figure>')
        body.append("</div>")
    body.append(provenance_section(first.facts, "How the numbers were made: A") + provenance_section(second.facts, "B"))
    return "".join(body)


def compare_report(
    data: str | Path, models: tuple[str, str], out: str | Path = "teethseg-eval", split: str = "auto", device: str = "auto",
    backend: str = "auto", mirror: bool = MIRROR_BY_DEFAULT, numbering: Any = None, worst: int = 8, progress: bool = True,
) -> dict[str, Any]:
    """Evaluate A into OUT/A and B into OUT/B (each with its report), then write OUT/report.html
    and OUT/comparison.json with both and their paired differences."""
    for model in models:
        if not Path(model).is_file():
            raise TeethsegError(model, "model file not found")
    out = Path(out)
    options = {"device": device, "backend": backend, "mirror": mirror, "numbering": numbering}
    first, second = (evaluate_report(data, m, out / side, split, device, backend, mirror, numbering, worst, progress,
                                     title=f"teethseg evaluation: model {side}") for m, side in zip(models, "AB"))
    names = ["dice", "iou", "hd95_px", "nsd_px", "hd95_mm", "nsd_mm", "tooth_dice"]
    block = {"kind": "comparison", "ranked_by": _ranked_score(first, second),
             "a": {"name": Path(models[0]).name, "metrics": first.summary, "provenance": first.facts},
             "b": {"name": Path(models[1]).name, "metrics": second.summary, "provenance": second.facts},
             "paired": {name: paired(first.records, second.records, name) for name in names}}
    scores_a = {r["image"]: r.get(block["ranked_by"]) for r in first.records}
    block["per_image"] = [{"image": r["image"], "a": scores_a[r["image"]], "b": r.get(block["ranked_by"])}
                          for r in second.records if r["image"] in scores_a]
    differences = [p["b"] - p["a"] for p in block["per_image"] if None not in (p["a"], p["b"])]
    changed = changed_most(data, models, first, second, worst, options)
    write_json(out / "comparison.json", {k: v for k, v in block.items() if k != "per_image"})
    body = comparison_body(block, changed, differences, first, second)
    path = write_page(out / "report.html", page("teethseg comparison", f"A: {models[0]}  ·  B: {models[1]}  ·  {data} ({split} split)", body, block))
    ranked = block["paired"][block["ranked_by"]]
    if ranked:
        print(f"B - A: mean {block['ranked_by']} {ranked['mean_difference']:+.4f} over {ranked['images']} images "
              f"({ranked['better']} better, {ranked['worse']} worse, {ranked['same']} same)")
    print(f"wrote {path}")
    return block
