"""``teethseg predict --summary``: ``OUT/summary.csv``, one row per radiograph (per frame of a
multi-frame file), for a spreadsheet: the teeth found, the missing ones, the numbers to check.

Rows come from the JSON records (a record's keys, so the two never disagree); inputs that failed
get a row with their problem, so the sheet lists every input.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from teethseg.io.files import atomic_path

SUMMARY_NAME = "summary.csv"
COLUMNS = ["source", "stem", "teeth_count", "teeth_count_kind", "missing_fdi", "numbers_to_check", "teeth_fraction",
           "width", "height", "notes", "problem"]


def summary_row(record: dict[str, Any], stem: str) -> dict[str, Any]:
    """The row of one radiograph from its JSON record (``Result.summary()``); lists space-separated."""
    notes = [name for name in ("inverted", "close_view") if record.get(name)]
    if record.get("second_look"):
        notes.append("second_look")
    if "frame" in record:
        notes.append(f"frame {record['frame'] + 1} of {record.get('frames')}")
    return {
        "source": record.get("source"), "stem": stem, "teeth_count": record.get("teeth_count"),
        "teeth_count_kind": record.get("teeth_count_kind"),
        "missing_fdi": " ".join(map(str, record.get("missing_fdi", []))),
        "numbers_to_check": " ".join(map(str, record.get("numbers_to_check", []))),
        "teeth_fraction": record.get("teeth_fraction"), "width": record.get("width"), "height": record.get("height"),
        "notes": "; ".join(notes), "problem": "",
    }


def failed_row(problem: str, source: str | Path | None = None) -> dict[str, Any]:
    """The row of an input that gave no result: its problem in words."""
    return {**dict.fromkeys(COLUMNS, ""), "source": str(source) if source is not None else "", "problem": problem}


def rows_from_records(out_dir: Path, stem: str, source: Path) -> list[dict[str, Any]]:
    """The rows of an input whose outputs were already there (``--skip-existing``), from its JSON record(s)."""
    paths = [out_dir / f"{stem}.json"] if (out_dir / f"{stem}.json").is_file() else sorted(out_dir.glob(f"{stem}_frame*.json"))
    rows = []
    for path in paths:
        try:
            rows.append(summary_row(json.loads(path.read_text(encoding="utf-8")), path.stem))
        except (OSError, ValueError) as error:
            rows.append(failed_row(f"{path}: unreadable record ({error})", source))
    return rows


def write_summary(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write the rows as CSV, atomically."""
    with atomic_path(path) as temporary:
        with temporary.open("w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    return path
