"""Hostile command lines and files give one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from teethseg.cli import main
from teethseg.io.json_files import load_json
from tests.conftest import synthetic_pair, write_images_masks

TEETHSEG = str(Path(sys.executable).with_name("teethseg"))


@pytest.mark.parametrize("command", [
    ["train", "--data", "DATA", "--out", "file.txt/run"],
    ["evaluate", "--data", "DATA", "--out", "file.txt/eval"],
    ["export", "--onnx", "file.txt/m.onnx"],
    ["export", "--out", "file.txt/model"],
    ["data", "convert", "DATA", "file.txt/converted", "--to", "coco"],
    ["train", "--data", "DATA", "--out", "file.txt"],
])
def test_an_output_path_under_a_file_is_one_line(tmp_path, capsys, command):
    data = write_images_masks(tmp_path / "data", n=3)
    (tmp_path / "file.txt").write_text("a file")
    command = [str(data) if part == "DATA" else str(tmp_path / part) if part.startswith("file.txt") else part
               for part in command]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "file.txt" in err and "Traceback" not in err


@pytest.mark.parametrize("epochs", ["0", "-2"])
def test_train_with_no_epochs_is_refused_before_anything_is_written(tmp_path, capsys, epochs):
    data = write_images_masks(tmp_path / "data", n=3)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), f"--epochs={epochs}"]) == 2
    assert "epochs: Input should be greater than or equal to 1" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content", [b"", b"not a zip archive at all", b"PK\x03\x04broken"])
def test_resume_from_an_empty_or_corrupt_checkpoint_is_one_line(tmp_path, capsys, content):
    data = write_images_masks(tmp_path / "data", n=3)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("epochs: 2\n")
    (run / "last.pt").write_bytes(content)
    assert main(["train", "--data", str(data), "--out", str(run), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "last.pt: not a readable checkpoint" in err and err.count("\n") == 1


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"images": [{"id": 1, "width": ' + "9" * 4000 + "}]}", "digits"),
])
def test_hostile_json_is_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        load_json(text)


def test_a_deeply_nested_coco_file_is_a_problem_named_in_one_line(tmp_path, capsys):
    root = tmp_path / "coco"
    (root / "train").mkdir(parents=True)
    (root / "train" / "_annotations.coco.json").write_text('{"images": ' + "[" * 50_000 + "]" * 50_000 + "}")
    main(["data", "check", str(root)])
    captured = capsys.readouterr()
    assert "_annotations.coco.json" in captured.out + captured.err and "nested too deeply" in captured.out + captured.err
    assert "Traceback" not in captured.err


def test_file_names_that_are_not_utf8_print_without_a_crash(tmp_path):
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    Image.fromarray(synthetic_pair(0, (96, 128))[0]).save(io := BytesIO(), format="PNG")
    with open(folder + b"/\xff.png", "wb") as handle:  # a radiograph: its line goes to stdout, strict UTF-8
        handle.write(io.getvalue())
    with open(folder + b"/\xfe.png", "wb") as handle:  # not one: its line goes to stderr
        handle.write(b"not an image")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}
    # --force: the synthetic picture is no radiograph the dental check would keep; the names are the point here.
    done = subprocess.run([TEETHSEG, "predict", os.fsdecode(folder), "--out", str(tmp_path / "out"), "--force"],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert b"\\udcfe.png: not a readable image" in done.stderr and b"Traceback" not in done.stderr
    assert b"\\udcff.png: " in done.stdout and b"1 of 2 images written" in done.stdout
    assert (tmp_path / "out" / os.fsdecode(b"\xff_mask.png")).is_file()
