"""The Python API's Result: save() writes what `teethseg predict` writes, overlay() draws it, FDI numbers from class indices."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import teethseg
from teethseg.cli import main
from teethseg.predict.folders import sample_paths


@pytest.fixture(scope="module")
def result():
    return teethseg.load_model(device="cpu").predict(sample_paths()[0])


def test_save_writes_the_files_predict_writes(result, tmp_path):
    sample = sample_paths()[0]
    written = result.save(tmp_path / "api")
    assert [p.name for p in written] == [f"{sample.stem}{end}" for end in ("_mask.png", "_overlay.png", "_teeth.png", ".json")]
    assert main(["predict", str(sample), "--out", str(tmp_path / "cli"), "--device", "cpu"]) == 0
    for path in written:
        assert path.read_bytes() == (tmp_path / "cli" / path.name).read_bytes(), path.name


def test_save_with_a_stem_and_some_outputs(result, tmp_path):
    written = result.save(tmp_path, stem="x", outputs=("mask", "json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json", "x_mask.png"] == sorted(p.name for p in written)


def test_overlay_is_the_written_picture(result, tmp_path):
    picture = result.overlay()
    assert picture.dtype == np.uint8 and picture.shape == (*result.labels.shape, 3)
    path = next(p for p in result.save(tmp_path) if p.name.endswith("_overlay.png"))
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), picture)


def test_fdi_labels_hold_the_fdi_numbers_of_the_teeth(result):
    fdi = result.fdi_labels
    assert set(np.unique(fdi)) - {0} == {t["fdi"] for t in result.teeth}
    assert result.labels.max() <= 32 and fdi.max() >= 41  # class indices against FDI numbers
    for tooth in result.teeth:
        x, y, w, h = tooth["bbox_xywh"]
        assert (fdi[y : y + h, x : x + w] == tooth["fdi"]).sum() == tooth["area_px"]
    assert teethseg.fdi_numbers()[1:9] == [11, 12, 13, 14, 15, 16, 17, 18] and teethseg.fdi_numbers()[32] == 48


def test_labels_to_fdi_follows_the_class_names():
    labels = np.array([[0, 1, 2, 3]], np.uint8)
    assert teethseg.labels_to_fdi(labels, ["background", "21", "11", "contact"]).tolist() == [[0, 21, 11, 0]]
    assert teethseg.labels_to_fdi(labels).tolist() == [[0, 11, 12, 13]]


def test_a_binary_result_has_no_fdi_numbers(result):
    binary = teethseg.Result(result.image, (result.labels > 0).astype(np.uint8), result.confidence, [],
                             ["background", "tooth"], "m")
    assert not binary.fdi_labels.any()
    assert binary.overlay().shape == (*result.labels.shape, 3)
