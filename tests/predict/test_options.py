"""predict's options a user looks for: --threshold, --outputs, --quiet, --summary; counts that add up."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.predict.folders import sample_paths


def _predict(tmp_path, name, *args) -> int:
    return main(["predict", str(sample_paths()[0]), "--out", str(tmp_path / name), "--device", "cpu", *args])


def _teeth(path) -> float:
    return float((np.asarray(Image.open(path)) > 0).mean())


def test_a_lower_threshold_finds_more_tooth_pixels(tmp_path):
    stem = sample_paths()[0].stem
    fractions = []
    for threshold in ("0.2", "0.5", "0.9"):
        assert _predict(tmp_path, threshold, "--threshold", threshold, "--outputs", "mask") == 0
        fractions.append(_teeth(tmp_path / threshold / f"{stem}_mask.png"))
    assert fractions[0] > fractions[1] > fractions[2] > 0


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.1"])
def test_a_threshold_outside_zero_to_one_is_refused(tmp_path, capsys, value):
    assert _predict(tmp_path, "out", "--threshold", value) == 2
    assert "--threshold must be a probability" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_outputs_chooses_the_files(tmp_path, capsys):
    stem = sample_paths()[0].stem
    assert _predict(tmp_path, "out", "--outputs", "overlay,json") == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{stem}.json", f"{stem}_overlay.png"]
    assert _predict(tmp_path, "bad", "--outputs", "mask,png") == 2
    assert "--outputs takes some of mask,overlay,teeth,json" in capsys.readouterr().err
    assert _predict(tmp_path, "bad", "--outputs", "mask", "--skip-existing") == 2
    assert "--skip-existing needs the json output" in capsys.readouterr().err


def test_quiet_prints_problems_only(tmp_path, capsys):
    assert main(["predict", str(sample_paths()[0]), str(tmp_path / "missing.png"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"teethseg: error: {tmp_path / 'missing.png'}: file not found"


def test_a_line_per_image_names_the_folder_once_and_counts_add_up(tmp_path, capsys):
    assert _predict(tmp_path, "out") == 0
    out = capsys.readouterr().out
    assert f"-> {tmp_path / 'out'}: {sample_paths()[0].stem}_mask.png, " in out
    assert main(["predict", str(tmp_path / "missing.png"), "--out", str(tmp_path / "none")]) == 1
    assert "0 of 1 images written" in capsys.readouterr().out


def test_summary_has_a_row_per_radiograph_matching_its_record(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    broken = tmp_path / "in" / "broken.png"
    broken.write_bytes(b"not a png")
    samples = sample_paths()
    out = tmp_path / "out"
    code = main(["predict", "--sample", str(broken), str(tmp_path / "missing.png"), "--out", str(out), "--summary"])
    assert code == 1
    assert f"summary: {out / 'summary.csv'}" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == len(samples) + 2
    for row, sample in zip(rows, samples):
        record = json.loads((out / f"{sample.stem}.json").read_text())
        assert row["source"] == record["source"] and int(row["teeth_count"]) == record["teeth_count"]
        assert row["missing_fdi"].split() == [str(n) for n in record["missing_fdi"]]
        assert row["numbers_to_check"].split() == [str(n) for n in record["numbers_to_check"]]
        assert row["problem"] == ""
    assert {row["source"].rsplit("/", 1)[-1] for row in rows[-2:]} >= {"broken.png"}
    assert all(row["problem"] for row in rows[-2:]) and any("file not found" in row["problem"] for row in rows[-2:])


def test_summary_after_skip_existing_still_lists_every_radiograph(tmp_path):
    out = tmp_path / "out"
    assert main(["predict", "--sample", "--out", str(out)]) == 0
    assert main(["predict", "--sample", "--out", str(out), "--skip-existing", "--summary"]) == 0
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [row["stem"] for row in rows] == [p.stem for p in sample_paths()]
    assert all(int(row["teeth_count"]) > 0 for row in rows)


def test_a_file_name_that_is_not_utf8_is_written_back_as_its_own_bytes(tmp_path):
    """Shares from other systems hold names in Latin-1; Python reads such bytes as surrogates, which a
    UTF-8 writer refuses: the summary names the file by the bytes it has on disk."""
    import os
    import shutil

    (tmp_path / "in").mkdir()
    name = os.fsdecode(b"radiografia-jo\xe3o.jpg")
    shutil.copyfile(sample_paths()[0], tmp_path / "in" / name)
    out = tmp_path / "out"
    assert main(["predict", str(tmp_path / "in"), "--out", str(out), "--summary", "--quiet"]) == 0
    assert b"radiografia-jo\xe3o.jpg" in (out / "summary.csv").read_bytes()
    assert (out / os.fsdecode(b"radiografia-jo\xe3o.json")).is_file()
