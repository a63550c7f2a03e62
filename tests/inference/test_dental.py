"""The dental check: each kind of non-dental input refused, radiographs and their close views kept."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image, ImageDraw
from pydicom.data import get_testdata_file

import teethseg
from teethseg.cli import main
from teethseg.data.framings import close_view
from teethseg.errors import TeethsegError
from teethseg.inference import dental
from teethseg.inference.dental import (USUAL, NotDentalError, evidence_reason, facts_verdict, image_evidence,
                                         sharpness, unusual)
from teethseg.io.facts import SourceFacts, colourfulness
from teethseg.io.images import read_frames_with_facts

SAMPLES = sorted(Path(str(resources.files("teethseg") / "samples")).glob("*.jpg"))


@pytest.fixture(scope="module")
def model():
    return teethseg.load_model(device="cpu")


def _grace_hopper() -> np.ndarray:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def _document(size=(900, 1200)) -> np.ndarray:
    page = Image.new("L", size, 245)
    draw = ImageDraw.Draw(page)
    for row, y in enumerate(range(60, size[1] - 80, 34)):
        draw.text((60, y), f"patient name date signature consent form line {row}", fill=20, font_size=22)
    draw.rectangle((50, 40, size[0] - 50, size[1] - 60), outline=0, width=3)
    return np.asarray(page)


def _grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def _face() -> np.ndarray:
    """A grey portrait, enlarged from scikit-image's bundled LFW subset as one is often given: soft."""
    from skimage import data

    face = data.lfw_subset()[0].astype(np.float32)
    return (cv2.resize(face, (240, 240), interpolation=cv2.INTER_CUBIC).clip(0, 1) * 255).astype(np.uint8)


def test_colourfulness_is_zero_for_grey_and_high_for_a_photograph():
    grey = _grey(SAMPLES[0])
    assert colourfulness(np.stack([grey] * 3, axis=2)) == 0.0
    assert colourfulness(np.asarray(Image.open(SAMPLES[0]))) < 2  # a grey radiograph stored as RGB JPEG
    assert colourfulness(_grace_hopper()) > 30


@pytest.mark.parametrize("name, reason", [("MR_small.dcm", "magnetic resonance"), ("examples_rgb_color.dcm", "ultrasound"),
                                          ("examples_palette.dcm", "ultrasound"), ("JPEG2000.dcm", "nuclear medicine")])
def test_mr_us_and_nm_dicom_are_refused_by_their_tags(name, reason):
    _, _, facts = read_frames_with_facts(get_testdata_file(name))
    verdict = facts_verdict(facts)
    assert verdict is not None and not verdict.looks_dental and reason in verdict.reason


def test_ct_and_plain_files_are_judged_by_their_image_and_io_px_by_their_tags():
    _, _, facts = read_frames_with_facts(get_testdata_file("CT_small.dcm"))
    assert facts.modality == "CT" and facts_verdict(facts) is None
    assert facts_verdict(SourceFacts()) is None
    assert facts_verdict(SourceFacts(modality="PX")).looks_dental
    assert facts_verdict(SourceFacts(modality="DX", body_part="JAW")).looks_dental
    assert facts_verdict(SourceFacts(modality="DX", body_part="CHEST")) is None


def test_a_colour_photograph_is_refused_with_one_line_naming_it(model, tmp_path):
    path = tmp_path / "portrait.jpg"
    Image.fromarray(_grace_hopper()).save(path)
    with pytest.raises(NotDentalError) as caught:
        model.predict(path)
    assert str(caught.value).startswith(f"{path}: does not look like a dental radiograph: colour")
    assert isinstance(caught.value, TeethsegError) and "\n" not in str(caught.value)


def test_force_segments_it_anyway_and_says_so(model):
    result = model.predict(_grace_hopper(), force=True)
    summary = result.summary()
    assert summary["looks_dental"] is False and "colour" in summary["not_dental_reason"]


@pytest.mark.parametrize("kind", ["grey photograph", "grey face", "document", "noise", "flat",
                                  "ct of another body part"])
def test_grey_non_dental_images_are_refused_by_the_networks_view(model, kind):
    rng = np.random.default_rng(3)
    image = {
        "grey photograph": lambda: np.asarray(Image.fromarray(_grace_hopper()).convert("L")),
        "grey face": _face,
        "document": _document,
        "noise": lambda: rng.integers(0, 256, (600, 800), dtype=np.uint8),
        "flat": lambda: np.full((500, 700), 128, np.uint8),
        "ct of another body part": lambda: read_frames_with_facts(get_testdata_file("CT_small.dcm"))[0][0],
    }[kind]()
    with pytest.raises(NotDentalError, match="does not look like a dental radiograph"):
        model.predict(image)


def test_the_samples_and_their_close_views_are_kept(model):
    for path in SAMPLES:
        image = _grey(path).astype(np.float32) / 255
        assert model.predict(image).summary()["looks_dental"] is True
        assert model.predict(close_view(image)).summary()["looks_dental"] is True


def test_a_radiograph_on_a_black_canvas_is_judged_by_itself_not_the_canvas(model):
    """Exports often pad a panoramic with black; its teeth's share and its sharpness are measured
    inside the bright box, so the canvas neither dilutes the teeth nor softens the edges (the output
    record's ``small-teeth``: the third sample on a canvas twice its size)."""
    image = _grey(SAMPLES[2]).astype(np.float32) / 255
    height, width = image.shape
    canvas = np.zeros((2 * height, 2 * width), np.float32)
    canvas[height // 2 : height // 2 + height, width // 2 : width // 2 + width] = image
    evidence = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dental, "image_evidence", lambda view: evidence.setdefault("seen", image_evidence(view)))
        result = model.predict(canvas)
    assert result.summary()["looks_dental"] is True, result.extra.get("not_dental_reason")
    assert evidence["seen"]["sharpness"] == pytest.approx(sharpness(image), rel=0.02)


# Windows of benchmarks/dental_sets.py that frame a few teeth as bitewings and periapicals do.
@pytest.mark.parametrize("box", [(0.25, 0.78, 0.49, 0.88), (0.28, 0.80, 0.32, 0.68), (0.22, 0.55, 0.15, 0.50)])
def test_other_close_views_of_a_sample_with_missing_teeth_are_kept(model, box):
    image = _grey(next(p for p in SAMPLES if "cate8" in p.name)).astype(np.float32) / 255  # restorations, teeth missing
    result = model.predict(close_view(image, box))
    assert result.summary()["looks_dental"] is True, result.extra.get("not_dental_reason")


def test_sharpness_is_lower_for_a_soft_portrait_than_for_a_radiograph_and_zero_when_flat():
    radiograph = _grey(SAMPLES[0]).astype(np.float32) / 255
    assert sharpness(_face().astype(np.float32) / 255) < USUAL["close"]["sharpness"][0] < sharpness(radiograph)
    assert sharpness(close_view(radiograph)) > USUAL["close"]["sharpness"][0]
    assert sharpness(np.full((300, 400), 0.5, np.float32)) == 0.0


def test_a_mixed_folder_writes_the_radiographs_and_names_the_rest(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(SAMPLES[0]).save(folder / "radiograph.jpg")
    Image.fromarray(_grace_hopper()).save(folder / "portrait.jpg")
    Image.fromarray(_document()).save(folder / "form.png")
    (folder / "mr.dcm").write_bytes(Path(get_testdata_file("MR_small.dcm")).read_bytes())
    out = tmp_path / "out"
    assert main(["predict", str(folder), "--out", str(out)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert sorted(p.name for p in out.iterdir()) == ["radiograph.json", "radiograph_mask.png", "radiograph_overlay.png",
                                                     "radiograph_teeth.png"]
    assert json.loads((out / "radiograph.json").read_text())["looks_dental"] is True
    refused = [line for line in errors if "does not look like a dental radiograph" in line]
    assert sorted(Path(line.split(": ")[2]).name for line in refused) == ["form.png", "mr.dcm", "portrait.jpg"]


def test_force_writes_them_with_the_flag(tmp_path):
    path = tmp_path / "portrait.jpg"
    Image.fromarray(_grace_hopper()).save(path)
    assert main(["predict", str(path), "--out", str(tmp_path / "out"), "--force"]) == 0
    record = json.loads((tmp_path / "out" / "portrait.json").read_text())
    assert record["looks_dental"] is False and "colour" in record["not_dental_reason"]


def _usual_close_view() -> dict[str, float]:
    """Evidence in the middle of every usual range of a close view."""
    return {"teeth_share": 0.4, "tooth_confidence": 0.93, "mask_confidence": 0.94, "unsure": 0.1, "tooth_aspect": 3.5,
            "sharpness": 0.35, "close_view": 1.0}


def test_one_unusual_feature_is_tolerated_two_refuse_and_the_reason_names_them():
    evidence = _usual_close_view()
    assert unusual(evidence) == [] and evidence_reason(evidence) is None
    few_teeth = {**evidence, "teeth_share": 0.02}  # a close view of a nearly toothless jaw
    assert unusual(few_teeth) == ["teeth_share"] and evidence_reason(few_teeth) is None
    coins = {**few_teeth, "tooth_aspect": 1.0}  # round shapes as well: no teeth with roots
    reason = evidence_reason(coins)
    assert reason.startswith("unlike a close view of teeth:") and "2.0% of it" in reason and "1.0 times as tall" in reason
    assert evidence_reason({**evidence, "teeth_share": 0.0}) == "no teeth found"
    soft = {**few_teeth, "sharpness": 0.1}  # and as soft as an enlarged portrait
    assert "its edges soft (sharpness 0.10)" in evidence_reason(soft)


def test_the_usual_ranges_depend_on_how_the_image_was_seen():
    panoramic = {**_usual_close_view(), "close_view": 0.0, "teeth_share": 0.2, "unsure": 0.03, "tooth_aspect": 1.0}
    assert unusual(panoramic) == []  # teeth seen whole are not judged by their shape
    assert set(USUAL["whole"]) < set(USUAL["close"])
