import json

import numpy as np
import pytest
from PIL import Image

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.inference.segmenter import Segmenter
from teethseg.nn.device import choose_device
from teethseg.teeth.postprocess import remove_small_blobs
from teethseg.teeth.records import tooth_records


@pytest.fixture
def segmenter(model_file):
    return Segmenter.from_file(model_file, device="cpu")


@pytest.mark.parametrize("shape", [(64, 96), (150, 333), (31, 17), (40, 50, 3)])
def test_prediction_has_the_input_size(segmenter, shape):
    image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    result = segmenter.predict(image, force=True)  # colour noise is no dental radiograph
    assert result.labels.shape == shape[:2] and result.mask.dtype == bool
    assert result.confidence.shape == shape[:2]


def test_a_file_too_small_to_hold_teeth_is_refused(segmenter, tmp_path):
    Image.fromarray(np.zeros((10, 3000), np.uint8)).save(tmp_path / "strip.png")
    with pytest.raises(TeethsegError, match="image too small to segment: 3000 x 10 pixels") as error:
        segmenter.predict(tmp_path / "strip.png")
    assert "strip.png" in str(error.value)


def test_outputs_follow_the_contract(segmenter, tmp_path):
    Image.fromarray(np.random.default_rng(1).integers(0, 65535, (70, 130), dtype=np.uint16)).save(tmp_path / "x.png")
    result = segmenter.predict(tmp_path / "x.png")
    written = result.save(tmp_path / "out", "x")
    assert [p.name for p in written] == ["x_mask.png", "x_overlay.png", "x.json"]
    mask = np.asarray(Image.open(tmp_path / "out" / "x_mask.png"))
    assert mask.shape == (70, 130) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    np.testing.assert_array_equal(mask == 255, result.mask)
    assert Image.open(tmp_path / "out" / "x_overlay.png").size == (130, 70)
    record = json.loads((tmp_path / "out" / "x.json").read_text())
    assert record["width"] == 130 and record["height"] == 70
    assert record["teeth_count"] == len(record["teeth"])
    assert record["teeth_fraction"] == pytest.approx(float(result.mask.mean()), abs=1e-6)


def test_blob_cleanup_and_records():
    labels = np.zeros((20, 20), np.uint8)
    labels[2:10, 2:6] = 1  # 32 px
    labels[15, 15] = 1  # 1 px speck
    cleaned = remove_small_blobs(labels, 5)
    assert cleaned[15, 15] == 0 and cleaned[2:10, 2:6].all()
    records = tooth_records(cleaned, np.full((20, 20), 0.9, np.float32), ["background", "tooth"], numbered=False)
    assert records == [{"fdi": None, "area_px": 32, "bbox_xywh": [2, 2, 4, 8], "confidence": 0.9}]
    numbered = tooth_records(np.where(cleaned > 0, 2, 0).astype(np.uint8), np.ones((20, 20)), ["background", "11", "12"], True)
    assert numbered[0]["fdi"] == 12


def test_bad_array_and_device():
    with pytest.raises(TeethsegError, match="shape"):
        from teethseg.io.images import as_grey

        as_grey(np.zeros((2, 2, 2, 2)))
    with pytest.raises(TeethsegError, match="unknown device"):
        choose_device("tpu")


def test_numbered_model_writes_teeth_map_and_fdi_records(tmp_path):
    names = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]
    config = ModelConfig(input_size=[32, 48], num_classes=33, class_names=names)

    def backend(batch):  # a fixed answer: tooth 11 left, tooth 21 right, background elsewhere
        logits = np.zeros((batch.shape[0], 33, 32, 48), np.float32)
        logits[:, 0] = 5
        logits[:, 1, 8:24, 4:20] = 10
        logits[:, 9, 8:24, 28:44] = 10
        return logits

    result = Segmenter(backend, config, "fake").predict(np.zeros((64, 96), np.uint8))
    written = result.save(tmp_path / "out", "n")
    assert [p.name for p in written] == ["n_mask.png", "n_overlay.png", "n_teeth.png", "n.json"]
    teeth_map = np.asarray(Image.open(tmp_path / "out" / "n_teeth.png"))
    assert teeth_map.shape == (64, 96) and set(np.unique(teeth_map)) == {0, 1, 9}
    assert teeth_map[30, 20] == 1 and teeth_map[30, 70] == 9
    np.testing.assert_array_equal(teeth_map > 0, np.asarray(Image.open(tmp_path / "out" / "n_mask.png")) == 255)
    record = json.loads((tmp_path / "out" / "n.json").read_text())
    assert [t["fdi"] for t in record["teeth"]] == [11, 21] and record["teeth_count"] == 2
    assert record["teeth"][0]["confidence"] > 0.9
    assert len(record["missing_fdi"]) == 30 and 11 not in record["missing_fdi"] and 48 in record["missing_fdi"]
    assert record["numbers_to_check"] == []


def test_a_tooth_named_with_low_confidence_is_flagged_for_a_check(tmp_path):
    from teethseg.io.overlay import numbered_overlay
    from teethseg.predict.groups import _numbers_note

    names = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]
    config = ModelConfig(input_size=[32, 48], num_classes=33, class_names=names)

    def backend(batch):  # tooth 11 sure; tooth 21 more likely than 22, but at P about 0.5
        logits = np.zeros((batch.shape[0], 33, 32, 48), np.float32)
        logits[:, 0] = 5
        logits[:, 1, 8:24, 4:20] = 10
        logits[:, 9, 8:24, 28:44] = 6
        logits[:, 10, 8:24, 28:44] = 5.5
        return logits

    result = Segmenter(backend, config, "fake").predict(np.zeros((64, 96), np.uint8))
    assert [t["fdi"] for t in result.teeth] == [11, 21] and result.teeth[1]["confidence"] < 0.7
    assert result.summary()["numbers_to_check"] == [21]
    assert _numbers_note(result) == ", numbers to check: 21"
    sure = [dict(t, confidence=0.95) for t in result.teeth]  # the same teeth, every number sure
    assert not np.array_equal(numbered_overlay(result.image, result.labels, result.teeth),
                              numbered_overlay(result.image, result.labels, sure))  # '21?' against '21'


def test_load_model_refuses_an_unknown_naming_in_one_line():
    from teethseg.inference.load import load_model

    with pytest.raises(TeethsegError, match="naming must be one of pixels, arch, arch-gaps, not 'alphabetical'"):
        load_model(naming="alphabetical")
