"""A training run's ``RUN/report.html``: the curves and epochs, then the best model's
validation report, scored at the validation images' own size as ``teethseg evaluate`` does
(the curves' validation is at the network's input size, so its numbers differ slightly)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from teethseg.data.index import Sample
from teethseg.evaluation.html_report import card, fmt, page, table, write_page
from teethseg.evaluation.reports import evaluate_report


def best_row(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The epoch whose model was kept: best mean per-tooth Dice for numbered models, else Dice
    (the first of equals, as training keeps it)."""
    key = "val_tooth_dice" if "val_tooth_dice" in history[0] else "val_dice"
    return max(history, key=lambda r: (r[key], -r["epoch"]))


def history_table(history: list[dict[str, Any]], best: dict[str, Any]) -> str:
    columns = list(history[0])
    rows = []
    for entry in history:
        mark = ' style="font-weight:600;background:#eaf5ea"' if entry is best else ""
        cells = "".join(f'<td data-column="{escape(c)}" data-value="{entry[c]}">{_shown(entry[c])}</td>' for c in columns)
        rows.append(f"<tr{mark}>{cells}</tr>")
    return table(columns, rows).replace('<th class=l>', "<th>", 1)


def _shown(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else escape(str(value))


def write_run_report(run: str | Path, data: str | Path, val_samples: list[Sample], history: list[dict[str, Any]],
                     device: str = "auto", progress: bool = True) -> Path:
    """Evaluate RUN/model.safetensors on the run's validation images into RUN/validation/ (with its
    own report) and write RUN/report.html: curves, epochs, and that validation report."""
    run = Path(run)
    evaluation = evaluate_report(data, run / "model.safetensors", run / "validation", "val", device, progress=progress,
                                 samples=val_samples, title=f"teethseg validation of {run.name}")
    best = best_row(history)
    curves = base64.b64encode((run / "curves.png").read_bytes()).decode("ascii")
    cards = [card("epochs", str(len(history))), card("best epoch", str(best["epoch"])),
             card("best val Dice (input size)", fmt(best["val_dice"]))]
    if "val_tooth_dice" in best:
        cards.append(card("best val per-tooth Dice (input size)", fmt(best["val_tooth_dice"])))
    body = (f'<div class="cards">{"".join(cards)}</div><h2>Training curves</h2>'
            f'<img src="data:image/png;base64,{curves}" alt="training curves" style="max-width:100%">'
            f"<h2>Epochs</h2>{history_table(history, best)}"
            f"<h2>Validation of the kept model (epoch {best['epoch']}) at the images' own size</h2>{evaluation.body}")
    block = {"kind": "training", "history": history, "best_epoch": best["epoch"],
             "validation": {"metrics": evaluation.summary, "per_image": evaluation.records}, "provenance": evaluation.facts}
    path = write_page(run / "report.html", page(f"teethseg training run {run.name}", f"data {data}", body, block))
    print(f"wrote {path}")
    return path
