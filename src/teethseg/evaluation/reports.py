"""``teethseg evaluate --report``: evaluate as always, and write ``report.html`` beside
``metrics.json`` with the same numbers, the boundary metrics, groups and the worst images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teethseg.evaluation.collector import WORST_IMAGES, ReportCollector
from teethseg.evaluation.html_report import page, write_page
from teethseg.evaluation.provenance import provenance
from teethseg.evaluation.sections import evaluation_body
from teethseg.inference.mirror import MIRROR_BY_DEFAULT


def model_title(summary: dict[str, Any]) -> str:
    numbering = f" + numbering {summary['numbering_model']}" if summary.get("numbering_model") else ""
    return f"{summary['model']}{numbering}"


def print_boundary(summary: dict[str, Any]) -> None:
    boundary = summary["boundary"]
    line = (f"boundary: HD95 {_number(boundary['hd95_px'])} px over {boundary['hd95_px_images']} images, "
            f"NSD at {boundary['tolerance_px']:g} px {_number(boundary['nsd_px'], 4)}")
    if boundary["hd95_mm_images"]:
        line += f"; HD95 {_number(boundary['hd95_mm'])} mm, NSD at {boundary['tolerance_mm']:g} mm {_number(boundary['nsd_mm'], 4)}"
    print(line)


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@dataclass
class Evaluation:
    """One evaluation as its report shows it: metrics.json's summary, the per-image records, the
    worst images with their pictures, the provenance and the page body."""

    summary: dict[str, Any]
    records: list[dict[str, Any]]
    worst: list[dict[str, Any]]
    facts: dict[str, Any]
    body: str


def evaluate_report(
    data: str | Path, model: str | Path | None = None, out: str | Path = "teethseg-eval", split: str = "auto",
    device: str = "auto", backend: str = "auto", mirror: bool = MIRROR_BY_DEFAULT,
    numbering: str | Path | list[str | Path] | None = None, worst: int = WORST_IMAGES, progress: bool = True,
    samples: list | None = None, title: str = "teethseg evaluation",
) -> Evaluation:
    """Run ``teethseg.evaluate.evaluate`` with a report collector and write ``OUT/report.html``."""
    from teethseg.evaluation.evaluate import evaluate

    collector = ReportCollector(worst=worst)
    summary = evaluate(data, model, out, split, device, backend, progress=progress, mirror=mirror, numbering=numbering,
                       samples=samples, collector=collector)
    split = summary["split"]  # the split used ('auto' resolved)
    facts = provenance(data, split, model, numbering, mirror)
    body = evaluation_body(summary, collector.records, collector.worst_images(), facts)  # (worst first)
    data_block = {"kind": "evaluation", "metrics": summary, "per_image": collector.records, "provenance": facts}
    path = write_page(Path(out) / "report.html",
                      page(title, f"{model_title(summary)} on {facts['data']} ({split} split)", body, data_block))
    print_boundary(summary)
    print(f"wrote {path}")
    return Evaluation(summary, collector.records, collector.worst_images(), facts, body)
