"""``teethseg evaluate --compare A B``: both evaluations, their paired difference, one page."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from teethseg.cli import main
from teethseg.evaluation.html_report import lookup, read_data
from tests.conftest import write_images_masks
from tests.evaluation.conftest import binary_model
from tests.evaluation.test_report import parse


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    data = write_images_masks(root / "data", n=8)
    a, b = binary_model(root / "a.safetensors", 0), binary_model(root / "b.safetensors", 1)
    out = root / "cmp"
    assert main(["evaluate", "--data", str(data), "--compare", str(a), str(b), "--out", str(out), "--split", "all",
                 "--worst", "2", "--no-mirror"]) == 0
    return out


def dice_of(path):
    return {row["image"]: float(row["dice"]) for row in csv.DictReader(path.open())}


def test_each_model_gets_its_own_evaluation_and_report(compared):
    for side in "AB":
        metrics = json.loads((compared / side / "metrics.json").read_text())
        assert read_data(compared / side / "report.html")["metrics"] == metrics


def test_paired_difference_is_b_minus_a_per_image(compared):
    a, b = dice_of(compared / "A" / "per_image.csv"), dice_of(compared / "B" / "per_image.csv")
    differences = np.array([b[k] - a[k] for k in a])
    paired = json.loads((compared / "comparison.json").read_text())["paired"]["dice"]
    assert paired["images"] == len(a) == 8
    assert paired["mean_difference"] == pytest.approx(differences.mean())
    assert paired["better"] + paired["worse"] + paired["same"] == 8
    assert paired["better"] == int(np.sum(differences >= 1e-4))


def test_page_holds_comparison_json_and_the_images_that_changed_most(compared):
    block = read_data(compared / "report.html")
    assert {k: v for k, v in block.items() if k != "per_image"} == json.loads((compared / "comparison.json").read_text())
    a, b = dice_of(compared / "A" / "per_image.csv"), dice_of(compared / "B" / "per_image.csv")
    most = sorted(a, key=lambda k: -abs(b[k] - a[k]))[:2]
    assert parse(compared / "report.html").images == most
    cells = parse(compared / "report.html").cells
    assert cells and all(lookup(block, path) == value for path, value in cells)
    assert lookup(block, ["paired", "dice", "mean_difference"]) in [value for _, value in cells]


def test_compare_names_a_missing_model_and_writes_nothing(tmp_path, capsys):
    data = write_images_masks(tmp_path / "data", n=4)
    a = binary_model(tmp_path / "a.safetensors", 0)
    out = tmp_path / "cmp"
    assert main(["evaluate", "--data", str(data), "--compare", str(a), str(tmp_path / "nope.safetensors"), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "nope.safetensors: model file not found" in error and len(error.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("extra, message", [(["--model", "x.safetensors"], "leave out --model"), (["--worst", "-1"], "--worst"),
                                            (["--naming", "arch"], "leave out --naming")])
def test_conflicting_options_are_refused_in_one_line(tmp_path, capsys, extra, message):
    a = tmp_path / "a.safetensors"
    args = ["evaluate", "--data", str(tmp_path), "--compare", str(a), str(a), *extra]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
