"""`teethseg predict` over folders: every good radiograph is written, every bad one named in one line."""

import json

import numpy as np
import pytest
from PIL import Image

import teethseg.predict.folders as folders
from teethseg.cli import main
from teethseg.predict.folders import sample_paths


def _sample(size: tuple[int, int]) -> Image.Image:
    return Image.open(sample_paths()[0]).convert("L").resize(size)


@pytest.mark.parametrize("size", [(32, 32), (45, 45), (64, 64), (127, 127), (33, 126), (300, 40)])
def test_small_radiographs_are_segmented(tmp_path, size):
    """Images smaller than the networks' inputs once crashed post-processing."""
    _sample(size).save(tmp_path / "small.png")
    assert main(["predict", str(tmp_path / "small.png"), "--out", str(tmp_path / "out")]) == 0
    assert np.asarray(Image.open(tmp_path / "out" / "small_mask.png")).shape == size[::-1]


def test_an_image_that_fails_to_segment_stops_nothing_else(tmp_path, monkeypatch, capsys):
    for name in ("a", "b", "c"):
        _sample((200, 100)).save(tmp_path / f"{name}.png")
    real = folders.load_model

    def load_model_failing_on_b(*args, **kwargs):
        segmenter = real(*args, **kwargs)
        predict_batch = segmenter.predict_batch

        def failing(images, sources=None, facts=None):
            if any(str(source).endswith("b.png") for source in sources or []):
                raise IndexError("index 0 is out of bounds")
            return predict_batch(images, sources, facts)

        segmenter.predict_batch = failing
        return segmenter

    monkeypatch.setattr(folders, "load_model", load_model_failing_on_b)
    code = main(["predict", str(tmp_path), "--out", str(tmp_path / "out"), "--batch-size", "3"])
    captured = capsys.readouterr()
    assert code == 1
    assert [line for line in captured.err.splitlines() if "error" in line] == [
        f"teethseg: error: {tmp_path / 'b.png'}: could not segment (IndexError: index 0 is out of bounds)"]
    assert "Traceback" not in captured.err
    assert "2 of 3 images written" in captured.out and "1 failed" in captured.out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["a.json", "c.json"]
    assert json.loads((tmp_path / "out" / "c.json").read_text())["teeth_count"] > 0


def test_a_folder_of_bad_inputs_leaves_no_output_folder(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.png").write_text("not an image")
    (tmp_path / "in" / "cut.jpg").write_bytes(sample_paths()[0].read_bytes()[:2000])
    assert main(["predict", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("teethseg: error:") == 2 and "Traceback" not in err
    assert not (tmp_path / "out").exists()
