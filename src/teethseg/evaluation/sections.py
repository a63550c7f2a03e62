"""The parts of an evaluation report page, each a function of ``metrics.json``'s summary (plus
the collector's per-image records and pictures), shared by the evaluation, comparison and
training reports."""

from __future__ import annotations

from html import escape
from typing import Any

from teethseg.evaluation.boundary import TOLERANCE_MM, TOLERANCE_PX
from teethseg.evaluation.charts import dental_chart, histogram
from teethseg.evaluation.html_report import card, cell, definitions, fmt, row, table
from teethseg.evaluation.metrics import METRIC_NAMES
from teethseg.evaluation.thumbnails import FALSE_NEGATIVE, FALSE_POSITIVE, WRONG_NUMBER

GROUP_COLUMNS = [("images", "count"), ("dice", "score"), ("iou", "score"), ("hd95_px", "distance"), ("nsd_px", "score"),
                 ("hd95_mm", "distance"), ("nsd_mm", "score"), ("tooth_dice", "score"), ("tooth_count_accuracy", "percent")]
COLUMN_TITLES = {"images": "images", "dice": "Dice", "iou": "IoU", "hd95_px": "HD95 px", "nsd_px": f"NSD@{TOLERANCE_PX:g}px",
                 "hd95_mm": "HD95 mm", "nsd_mm": f"NSD@{TOLERANCE_MM:g}mm", "tooth_dice": "per-tooth Dice",
                 "tooth_count_accuracy": "count exact"}


def headline(summary: dict[str, Any]) -> str:
    """The few numbers a reader wants first."""
    cards = [card("images", str(summary["images"])), card("Dice (mean over images)", fmt(summary["mean_over_images"]["dice"]))]
    boundary = summary.get("boundary")
    if boundary:
        cards += [card("HD95 (px)", fmt(boundary["hd95_px"], "distance")),
                  card(f"NSD at {TOLERANCE_PX:g} px", fmt(boundary["nsd_px"]))]
    if summary.get("numbering"):
        cards += [card("mean per-tooth Dice", fmt(summary["numbering"]["mean_tooth_dice"])),
                  card("tooth count exact", fmt(summary["numbering"]["tooth_count_accuracy"], "percent"))]
    return f'<div class="cards">{"".join(cards)}</div>'


def pixel_table(summary: dict[str, Any]) -> str:
    rows = [row(label, "".join(cell(summary, [key, name]) for name in METRIC_NAMES))
            for label, key in (("mean over images", "mean_over_images"), ("over all pixels", "over_all_pixels"))]
    return "<h2>Pixel scores (teeth against background)</h2>" + table(["", "pixel accuracy", "Dice", "IoU", "precision", "recall"], rows)


def boundary_table(summary: dict[str, Any]) -> str:
    """HD95 and NSD means, with how many images each mean covers."""
    boundary = summary.get("boundary")
    if not boundary:
        return ""
    rows = [row("pixels", cell(summary, ["boundary", "hd95_px"], "distance") + cell(summary, ["boundary", "hd95_px_images"], "count")
                + cell(summary, ["boundary", "nsd_px"]) + cell(summary, ["boundary", "tolerance_px"], "distance"))]
    if boundary.get("hd95_mm_images") or boundary.get("nsd_mm_images"):
        rows.append(row("mm", cell(summary, ["boundary", "hd95_mm"], "distance") + cell(summary, ["boundary", "hd95_mm_images"], "count")
                        + cell(summary, ["boundary", "nsd_mm"]) + cell(summary, ["boundary", "tolerance_mm"], "distance")))
    note = ("<p class=sub>Mean over images of the 95th-percentile Hausdorff distance between the predicted and true teeth "
            "outlines, and of the normalised surface Dice (the share of both outlines within the tolerance of the other), "
            "computed with MONAI. HD95 is left out for images where one of the two masks is empty. "
            + ("" if len(rows) > 1 else "Millimetres need a known pixel spacing (DICOM); these images have none. ") + "</p>")
    return "<h2>Boundary scores</h2>" + table(["unit", "HD95", "images", "NSD", "tolerance"], rows) + note


def grouped_table(summary: dict[str, Any], field: str, title: str) -> str:
    """Scores per split or per group (only the columns that have values)."""
    entries = summary.get(field) or {}
    if not entries:
        return ""
    columns = [(k, kind) for k, kind in GROUP_COLUMNS if any(e.get(k) is not None for e in entries.values())]
    rows = [row(name, "".join(cell(summary, [field, name, k], kind) for k, kind in columns)) for name in entries]
    return f"<h3>{escape(title)}</h3>" + table([field[:-1]] + [COLUMN_TITLES[k] for k, _ in columns], rows)


def distribution(records: list[dict[str, Any]], numbered: bool) -> str:
    figures = [histogram([r["dice"] for r in records], "per-image Dice (teeth mask)", high=1.0)]
    figures.append(histogram([r["hd95_px"] for r in records], "per-image HD95 (px)", low=0.0, colour="#8a6bbf"))
    if numbered:
        figures.append(histogram([r["tooth_dice"] for r in records], "per-image mean per-tooth Dice", high=1.0, colour="#3c9a6a"))
    return "<h2>Distribution over images</h2><div class=row>" + "".join(figures) + "</div>"


def numbering_section(summary: dict[str, Any]) -> str:
    """Dental chart, tooth groups, tooth count, missing-teeth calls, numbers to check, neighbour confusion."""
    numbering = summary.get("numbering")
    if not numbering:
        return ""
    parts = ["<h2>Tooth numbers (FDI)</h2>", dental_chart(numbering["per_tooth_dice"])]
    groups = list(numbering["group_dice"])
    parts.append('<div class="row"><div><h3>Per-tooth Dice</h3>' + table(
        ["", "value"],
        [row("mean over teeth", cell(summary, ["numbering", "mean_tooth_dice"])),
         row("mean over images", cell(summary, ["numbering", "mean_tooth_dice_per_image"])),
         *[row(g, cell(summary, ["numbering", "group_dice", g])) for g in groups],
         row("tooth count exact", cell(summary, ["numbering", "tooth_count_accuracy"], "percent"))]) + "</div>")
    missing = ["numbering", "missing_teeth"]
    parts.append("<div><h3>Missing-teeth calls</h3>" + table(["", "value"], [
        row("truly missing", cell(summary, missing + ["truly_missing"], "count")),
        row("called missing", cell(summary, missing + ["called_missing"], "count")),
        row("precision", cell(summary, missing + ["precision"])), row("recall", cell(summary, missing + ["recall"])),
        row("whole list right", cell(summary, missing + ["images_exact"], "percent"))]) + "</div>")
    checks = ["numbering", "numbers_to_check"]
    parts.append("<div><h3>Numbers to check</h3>" + table(["", "value"], [
        row("teeth found", cell(summary, checks + ["teeth"], "count")), row("numbers wrong", cell(summary, checks + ["wrong"], "count")),
        row("flagged", cell(summary, checks + ["flagged"], "count")),
        row("wrong among flagged", cell(summary, checks + ["wrong_among_flagged"], "percent")),
        row("wrong among the rest", cell(summary, checks + ["wrong_among_rest"], "percent")),
        row("wrong ones caught", cell(summary, checks + ["wrong_caught"], "percent"))]) + "</div>")
    confusion = summary.get("neighbour_confusion")
    if confusion:
        top = confusion["pairs"][:12]
        rows = [row("all neighbours", cell(summary, ["neighbour_confusion", "neighbour_fraction"], "percent") + "<td></td>"),
                row("other numbers", cell(summary, ["neighbour_confusion", "other_fraction"], "percent") + "<td></td>")]
        rows += [row(f"{p['true']} read as {p['predicted']}", cell(summary, ["neighbour_confusion", "pairs", str(i), "fraction"], "percent")
                     + f'<td class="l">of {p["true"]}\'s found pixels</td>') for i, p in enumerate(top)]
        parts.append("<div><h3>Confusion between neighbouring numbers</h3>" + table(["true tooth pixels", "share", ""], rows) + "</div>")
    parts.append("</div>")
    return "".join(parts)


def legend(numbered: bool) -> str:
    items = [("false positive (found, not a tooth)", FALSE_POSITIVE), ("false negative (tooth missed)", FALSE_NEGATIVE)]
    if numbered:
        items.append(("tooth under another number", WRONG_NUMBER))
    return '<p class="legend">' + "".join(f'<span style="background:rgb{c}"></span>{escape(t)}' for t, c in items) + "</p>"


def image_scores(record: dict[str, Any], numbered: bool) -> str:
    parts = [f"Dice {fmt(record['dice'])}", f"HD95 {fmt(record['hd95_px'], 'distance')} px", f"NSD {fmt(record['nsd_px'])}"]
    if numbered:
        parts.append(f"per-tooth Dice {fmt(record.get('tooth_dice'))}")
    where = ", ".join(str(x) for x in (record.get("split"), record.get("group")) if x)
    return escape(" · ".join(parts) + (f" ({where})" if where else ""))


def worst_section(worst: list[dict[str, Any]], numbered: bool) -> str:
    if not worst:
        return ""
    ranked = "mean per-tooth Dice" if numbered else "Dice"
    parts = [f"<h2>The {len(worst)} worst images (by {ranked})</h2>", legend(numbered),
             '<div class="images" style="grid-template-columns:repeat(4,1fr)">']
    for record in worst:
        pictures = record["pictures"]
        parts.append(f'<div class="imgname" data-image="{escape(record["image"], quote=True)}">{escape(record["image"])}: '
                     f"{image_scores(record, numbered)}</div>")
        for title, uri in (("radiograph", pictures["radiograph"][0]), ("truth", pictures["truth"][0]),
                           ("prediction", pictures["prediction"][0]), ("errors", pictures["errors"][0])):
            parts.append(f'<figure><img src="{uri}" alt="{escape(title)} of {escape(record["image"], quote=True)}">'
                         f"<figcaption>{title}</figcaption></figure>")
    return "".join(parts) + "</div>"


def provenance_section(facts: dict[str, Any], title: str = "How these numbers were made") -> str:
    items: list[tuple[str, Any]] = [("data", facts["data"]), ("split", facts["split"])]
    items += [("model" if m["role"] == "model" else f"{m['role']} model", f"{m['path']}  sha256 {m['sha256']}") for m in facts["models"]]
    items += [("mirror averaging", "yes" if facts["mirror"] else "no"), ("teethseg", facts["teethseg_version"]), ("date", facts["date"])]
    items += [("machine", ", ".join(f"{k} {v}" for k, v in facts["machine"].items() if v is not None))]
    return f"<h2>{escape(title)}</h2>" + definitions(items)


def evaluation_body(summary: dict[str, Any], records: list[dict[str, Any]], worst: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    """Every section of one model's evaluation, in reading order."""
    numbered = bool(summary.get("numbering"))
    skipped = summary.get("skipped") or []
    notes = f"<p class=sub>{len(skipped)} images skipped: " + escape("; ".join(skipped)) + "</p>" if skipped else ""
    groups = grouped_table(summary, "splits", "Per split") + grouped_table(summary, "groups", "Per group")
    return (headline(summary) + notes + pixel_table(summary) + boundary_table(summary)
            + (f"<h2>Splits and groups</h2>{groups}" if groups else "") + distribution(records, numbered)
            + numbering_section(summary) + worst_section(worst, numbered) + provenance_section(facts))
