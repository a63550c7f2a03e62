"""`teethseg export` of the whole default model: a folder that --model takes, numbering as the bundled model does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from teethseg.cli import main
from teethseg.inference.load import load_model
from teethseg.nn.bundled import MANIFEST, card_entries
from teethseg.predict.folders import sample_paths


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "model"
    assert main(["export", "--out", str(folder)]) == 0
    return folder


def test_the_folder_holds_every_network_and_the_card(exported):
    card = json.loads((exported / MANIFEST).read_text())
    entries = card_entries(card)
    assert len(entries) == 4 and card.get("numbering") and card.get("close_up")
    for entry in entries:
        assert (exported / entry["file"]).is_file() and (exported / entry["onnx_file"]).is_file()


def test_predicting_with_the_export_gives_the_bundled_labels(exported):
    bundled, folder = load_model(device="cpu"), load_model(exported, device="cpu")
    assert folder.numbering is not None and folder.close_up is not None
    for path in sample_paths()[:2]:
        a, b = bundled.predict(path), folder.predict(path)
        assert np.array_equal(a.labels, b.labels)
        assert [t["fdi"] for t in a.teeth] == [t["fdi"] for t in b.teeth] and len(a.teeth) > 10


def test_predict_command_takes_the_folder(exported, tmp_path):
    sample = sample_paths()[0]
    assert main(["predict", str(sample), "--model", str(exported), "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / f"{sample.stem}.json").read_text())
    assert record["teeth_count"] > 20 and "missing_fdi" in record


def test_one_onnx_file_of_the_default_model_is_refused_with_what_to_do(tmp_path, capsys):
    assert main(["export", "--onnx", str(tmp_path / "m.onnx")]) == 2
    error = capsys.readouterr().err
    assert "--out DIR" in error and "mask network only" in error and len(error.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_folder_that_is_no_model_folder_and_a_used_out_are_refused(exported, tmp_path, capsys):
    (tmp_path / "other").mkdir()
    assert main(["predict", "--sample", "--model", str(tmp_path / "other"), "--out", str(tmp_path / "o")]) == 2
    assert MANIFEST in capsys.readouterr().err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    assert main(["export", "--out", str(tmp_path / "used")]) == 2
    assert "not an empty folder" in capsys.readouterr().err


def test_a_model_folder_whose_network_was_altered_is_refused(exported, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(exported, copy)
    card = json.loads((copy / MANIFEST).read_text())
    numbering = card_entries(card)[1]["file"]
    data = bytearray((copy / numbering).read_bytes())
    data[-1] ^= 0xFF
    (copy / numbering).write_bytes(bytes(data))
    assert main(["predict", "--sample", "--model", str(copy), "--out", str(tmp_path / "o"), "--device", "cpu"]) == 2
    assert numbering in capsys.readouterr().err
