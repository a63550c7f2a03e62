"""evaluate's own files: the split used, per-tooth Dice and tooth counts per image, the worst images in the grid,
a header over the per-tooth table; and the note that a model without its ONNX twin runs on PyTorch."""

from __future__ import annotations

import csv
import json

import pytest

from teethseg.cli import main
from teethseg.evaluation import evaluate as evaluation
from tests.evaluation.conftest import numbered_data, numbered_model


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    data, model = numbered_data(root / "data"), numbered_model(root / "m.safetensors")
    shown: list = []
    real = evaluation.comparison_grid
    evaluation.comparison_grid = lambda panels, path: (shown.append(list(panels)), real(panels, path))
    try:
        assert main(["evaluate", "--data", str(data), "--model", str(model), "--out", str(root / "out"),
                     "--split", "all", "--no-mirror"]) == 0
        assert main(["evaluate", "--data", str(data), "--model", str(model), "--out", str(root / "auto"),
                     "--no-mirror"]) == 0
    finally:
        evaluation.comparison_grid = real
    return root, shown


def test_metrics_record_the_split_used(evaluated):
    root, _ = evaluated
    assert json.loads((root / "out" / "metrics.json").read_text())["split"] == "all"
    assert json.loads((root / "auto" / "metrics.json").read_text())["split"] == "val"  # 'auto', resolved


def test_per_image_csv_has_per_tooth_dice_and_tooth_counts(evaluated):
    root, _ = evaluated
    rows = list(csv.DictReader((root / "out" / "per_image.csv").open()))
    assert len(rows) == 6
    for row in rows:
        assert int(row["teeth_true"]) == 3 and int(row["teeth_found"]) >= 0
        dice = [float(row[f"dice_{n}"]) for n in ("11", "12", "13")]
        assert all(0 <= d <= 1 for d in dice)
        present = [float(v) for k, v in row.items() if k.startswith("dice_") and v != ""]
        assert float(row["mean_tooth_dice"]) == pytest.approx(sum(present) / len(present), abs=1e-5)


def test_the_grid_shows_the_worst_images_worst_first(evaluated):
    root, shown = evaluated
    rows = {row["image"]: float(row["mean_tooth_dice"]) for row in csv.DictReader((root / "out" / "per_image.csv").open())}
    pictured = [panel[0] for panel in shown[0]]  # the first evaluation's panels
    assert len(pictured) == 6 and len(shown[1]) == 2  # every image of 'all'; the 2 of 'auto' (val)
    scores = [rows[key] for key in pictured]
    assert scores == sorted(scores) and scores[0] == min(rows.values())


def test_the_per_tooth_table_has_a_header(tmp_path, capsys):
    data, model = numbered_data(tmp_path / "data"), numbered_model(tmp_path / "m.safetensors")
    assert main(["evaluate", "--data", str(data), "--model", str(model), "--out", str(tmp_path / "o"), "--no-mirror"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("per-tooth Dice"))
    assert lines[header + 1].split()[0] == "11"
    assert "has no ONNX twin beside it, so it runs on PyTorch" in captured.err and "teethseg export --model" in captured.err
