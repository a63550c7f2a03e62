"""``teethseg evaluate --report``: the page holds metrics.json's numbers, reads back exactly,
names nothing outside itself, and opens in a browser."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from teethseg.cli import main
from teethseg.evaluation.html_report import lookup, read_data
from tests.evaluation.conftest import numbered_data, numbered_model


class Cells(HTMLParser):
    """Every ``data-key`` cell's key path and exact value, every ``src``, the worst images' names."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[list[str], object]] = []
        self.sources: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-key" in attrs:
            self.cells.append((json.loads(attrs["data-key"]), json.loads(attrs["data-value"])))
        for name in ("src", "href"):
            if name in attrs:
                self.sources.append(attrs[name])
        if "data-image" in attrs:
            self.images.append(attrs["data-image"])


def parse(path: Path) -> Cells:
    cells = Cells()
    cells.feed(path.read_text(encoding="utf-8"))
    return cells


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    data = numbered_data(root / "data")
    model = numbered_model(root / "numbered.safetensors")
    out = root / "eval"
    assert main(["evaluate", "--data", str(data), "--model", str(model), "--out", str(out), "--split", "all",
                 "--report", "--worst", "3", "--no-mirror"]) == 0
    return data, out


def per_image(out: Path) -> dict[str, dict[str, float]]:
    return {row["image"]: {k: float(v) for k, v in row.items() if k != "image" and v != ""}  # a tooth in neither: empty
            for row in csv.DictReader((out / "per_image.csv").open())}


def test_report_holds_the_numbers_of_metrics_json(evaluated):
    _, out = evaluated
    metrics = json.loads((out / "metrics.json").read_text())
    block = read_data(out / "report.html")
    assert block["metrics"] == metrics
    for key in ("boundary", "splits", "groups", "numbering", "neighbour_confusion"):
        assert key in metrics, key
    cells = parse(out / "report.html").cells
    shown = {tuple(path) for path, _ in cells}
    for path in (("mean_over_images", "dice"), ("over_all_pixels", "iou"), ("boundary", "hd95_px"), ("boundary", "nsd_px"),
                 ("boundary", "hd95_mm"), ("groups", "category 1", "dice"), ("splits", "val", "nsd_px"),
                 ("numbering", "mean_tooth_dice"), ("numbering", "missing_teeth", "recall")):
        assert path in shown, path
    for path, value in cells:  # every number the tables show is metrics.json's, exactly
        assert lookup(metrics, path) == value, path
    pairs = [value for path, value in cells if "pairs" in path]
    assert pairs and len(pairs) == min(12, len(metrics["neighbour_confusion"]["pairs"])) and None not in pairs
    assert sum(value is None for _, value in cells) <= len(cells) // 3  # most cells point at a value


def test_per_image_records_and_groups_agree_with_per_image_csv(evaluated):
    data, out = evaluated
    rows = per_image(out)
    block = read_data(out / "report.html")
    assert {r["image"]: r["dice"] for r in block["per_image"]} == pytest.approx({k: v["dice"] for k, v in rows.items()})
    category = {row["id"]: f"category {row['category']}" for row in json.loads((data / "index.json").read_text())}
    groups = block["metrics"]["groups"]
    assert set(groups) == {"category 1", "category 2"}
    for name, scores in groups.items():
        members = [rows[k]["dice"] for k in rows if category[k] == name]
        assert scores["images"] == len(members)
        assert scores["dice"] == pytest.approx(np.mean(members))
    assert sum(s["images"] for s in block["metrics"]["splits"].values()) == len(rows)


def test_millimetres_only_for_the_image_with_a_pixel_spacing(evaluated):
    _, out = evaluated
    records = {r["image"]: r for r in read_data(out / "report.html")["per_image"]}
    dicom = records["img00"]
    assert dicom["hd95_mm"] == pytest.approx(0.1 * dicom["hd95_px"])
    assert all(r["hd95_mm"] is None for k, r in records.items() if k != "img00")
    assert read_data(out / "report.html")["metrics"]["boundary"]["hd95_mm_images"] == 1


def test_the_worst_images_are_pictured_worst_first(evaluated):
    _, out = evaluated
    records = read_data(out / "report.html")["per_image"]
    ranked = sorted(records, key=lambda r: (1.0 if r["tooth_dice"] is None else r["tooth_dice"]))
    assert parse(out / "report.html").images == [r["image"] for r in ranked[:3]]


def test_report_names_nothing_outside_itself(evaluated):
    _, out = evaluated
    text = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://|ftp://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE)
    sources = parse(out / "report.html").sources
    assert sources and all(s.startswith("data:image/") for s in sources)


def test_report_opens_in_chromium(evaluated, chromium, tmp_path):
    _, out = evaluated
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((out / "report.html").as_uri())
    page.wait_for_load_state("load")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    assert not errors
    assert page.locator("svg.chart g[data-fdi]").count() == 32
    assert page.locator("img").evaluate_all("images => images.every(i => i.complete && i.naturalWidth > 0)")
    shown_dice = f"{read_data(out / 'report.html')['metrics']['mean_over_images']['dice']:.4f}"
    assert shown_dice in page.inner_text("body")
    page.close()
