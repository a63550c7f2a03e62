"""A training run's RUN/report.html: curves, epochs and the kept model's validation report."""

from __future__ import annotations

import csv
import json

import yaml

from teethseg.cli import main
from teethseg.evaluation.html_report import read_data
from teethseg.evaluation.run_report import best_row
from tests.conftest import tiny_config, write_images_masks


def test_training_run_writes_its_report(tmp_path):
    data = write_images_masks(tmp_path / "data", n=6)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(epochs=2).to_dict()))
    run = tmp_path / "run"
    assert main(["train", "--data", str(data), "--out", str(run), "--config", str(config)]) == 0
    block = read_data(run / "report.html")
    assert block["kind"] == "training"
    assert block["validation"]["metrics"] == json.loads((run / "validation" / "metrics.json").read_text())
    assert block["validation"]["metrics"]["images"] == 2  # the val split of splits.json
    history = list(csv.DictReader((run / "history.csv").open()))
    assert [row["epoch"] for row in block["history"]] == [int(row["epoch"]) for row in history]
    assert block["best_epoch"] == best_row(block["history"])["epoch"]
    text = (run / "report.html").read_text()
    assert "data:image/png;base64," in text  # the curves, embedded


def test_best_row_is_the_kept_epoch():
    history = [{"epoch": 1, "val_dice": 0.5}, {"epoch": 2, "val_dice": 0.7}, {"epoch": 3, "val_dice": 0.7}]
    assert best_row(history)["epoch"] == 2  # the first of equals, as training keeps it
    numbered = [{"epoch": 1, "val_dice": 0.9, "val_tooth_dice": 0.3}, {"epoch": 2, "val_dice": 0.8, "val_tooth_dice": 0.4}]
    assert best_row(numbered)["epoch"] == 2


def test_no_report_leaves_it_out(tmp_path):
    data = write_images_masks(tmp_path / "data", n=4)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(epochs=1).to_dict()))
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--config", str(config), "--no-report"]) == 0
    assert not (tmp_path / "run" / "report.html").exists()
