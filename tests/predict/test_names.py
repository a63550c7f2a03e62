"""Output names: every input its own outputs, and --skip-existing knows whose they are."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.predict.folders import sample_paths
from teethseg.predict.names import distinct, output_stems


def _radiograph(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(sample_paths()[seed % 3]).convert("L").resize((160, 96))
    image.save(path) if path.suffix != ".tif" else image.save(path, save_all=True, append_images=[image])
    return path


def test_unique_stems_keep_their_names_and_clashing_ones_get_their_own():
    files = [Path("A/a.jpg"), Path("B/a.jpg"), Path("C/a-2.jpg"), Path("D/A.png"), Path("x.tif"),
             Path("x_frame000.jpg"), Path("y_frame000.jpg"), Path("solo.png")]
    stems = output_stems(files)
    assert stems[2] == "a-2" and stems[6] == "y_frame000" and stems[7] == "solo"  # unique: today's names
    for i in (0, 1, 3, 4, 5):
        assert stems[i].startswith(files[i].stem + "-") and len(stems[i]) == len(files[i].stem) + 9
    assert len({stem.casefold() for stem in stems}) == len(stems)
    assert output_stems(files) == stems  # the same names on every run


def test_one_file_given_twice_is_segmented_once(tmp_path):
    a = _radiograph(tmp_path / "a.png")
    assert distinct([a, tmp_path / "." / "a.png", a]) == [a]


def test_clashing_inputs_each_keep_their_outputs_and_the_json_names_its_source(tmp_path, capsys):
    inputs = [_radiograph(tmp_path / "A" / "a.png", 0), _radiograph(tmp_path / "B" / "a.png", 1),
              _radiograph(tmp_path / "C" / "a-2.png", 2), _radiograph(tmp_path / "T" / "x.tif", 0),
              _radiograph(tmp_path / "T" / "x_frame000.png", 1)]
    out = tmp_path / "out"
    assert main(["predict", *map(str, inputs), "--out", str(out)]) == 0
    assert "6 of 6 images written" in capsys.readouterr().out  # x.tif has two frames
    sources = [json.loads(p.read_text())["source"] for p in out.glob("*.json")]
    assert sorted(sources) == sorted([str(path) for path in inputs if path.suffix != ".tif"] + [str(inputs[3])] * 2)
    assert (out / "a-2.json").is_file()  # its stem is unique: today's name


def test_skip_existing_skips_only_outputs_of_the_same_file(tmp_path, capsys):
    first, other = _radiograph(tmp_path / "A" / "a.png", 0), _radiograph(tmp_path / "B" / "a.png", 1)
    out = tmp_path / "out"
    assert main(["predict", str(first), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["predict", str(other), "--out", str(out), "--skip-existing"]) == 0
    assert "skipping" not in capsys.readouterr().out  # a.json is the other file's
    assert json.loads((out / "a.json").read_text())["source"] == str(other)
    assert main(["predict", str(other), "--out", str(out), "--skip-existing"]) == 0
    assert "skipping 1 images already done" in capsys.readouterr().out


def test_outputs_in_the_input_folder_are_not_segmented_again(tmp_path, capsys):
    _radiograph(tmp_path / "a.png")
    for _ in range(2):
        assert main(["predict", str(tmp_path), "--out", str(tmp_path)]) == 0
        assert "1 of 1 images written" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.png", "a_mask.png", "a_overlay.png", "a_teeth.png"]


def test_an_unwritable_out_is_refused_before_anything_is_segmented(tmp_path, capsys):
    _radiograph(tmp_path / "a.png")
    (tmp_path / "file.txt").write_text("not a folder")
    assert main(["predict", str(tmp_path / "a.png"), "--out", str(tmp_path / "file.txt" / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file.txt" in err and "cannot write outputs there" in err and ".teethseg" not in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_given_as_an_input_is_named_not_read(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.png")
    good = _radiograph(tmp_path / "good.png")
    assert main(["predict", str(tmp_path / "pipe.png"), str(good), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "pipe.png: not a regular file" in captured.err and "1 of 2 images written" in captured.out
    assert np.asarray(Image.open(tmp_path / "out" / "good_mask.png")).shape == (96, 160)
