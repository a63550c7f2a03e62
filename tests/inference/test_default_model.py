"""The bundled default model: loads offline and checked, and finds and numbers teeth on the samples."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import teethseg
import teethseg.inference.load
import teethseg.inference.reframe
import teethseg.teeth.close_view
from teethseg.cli import main
from teethseg.data.framings import close_view
from teethseg.errors import TeethsegError
from teethseg.evaluation.metrics import compute_binary_scores, per_class_dice
from teethseg.inference.ensemble import AveragedNetworks
from teethseg.inference.network import Network
from teethseg.inference.segmenter import Segmenter
from teethseg.io.images import read_image, read_mask
from teethseg.nn.bundled import card_entries, default_card, numbering_entries, weights_folder
from teethseg.nn.openvino_backend import available as openvino_available
from teethseg.predict.folders import sample_paths

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def segmenter():
    return teethseg.load_model(device="cpu")


def test_card_describes_a_small_checked_model():
    card = default_card()
    entries = card_entries(card)
    # 20 MB of float networks, and their INT8 twins (mask and numbering: 8.4 MB) that run on CPUs.
    assert sum(entry["size_bytes"] + entry.get("int8_size_bytes", 0) for entry in entries) <= 27_000_000
    assert (weights_folder() / card["file"]).is_file() and len(card["sha256"]) == 64
    # The ONNX twins read the model files' weights instead of holding a second copy.
    for entry in entries:
        assert (weights_folder() / entry["onnx_file"]).stat().st_size < 0.05 * (weights_folder() / entry["file"]).stat().st_size


def test_samples_are_segmented_and_numbered(segmenter):
    assert segmenter.backend_name == ("openvino" if openvino_available() else "onnx")
    names = segmenter.class_names
    for sample in sample_paths():
        result = segmenter.predict(sample)
        truth = read_mask(FIXTURES / f"{sample.stem}.png")
        # A regression guard well below the measured val scores (see the model card).
        assert compute_binary_scores(result.mask, truth > 0)["dice"] > 0.85
        if result.numbered:
            truth_names = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]
            truth_in_model = np.array([names.index(n) for n in truth_names], np.uint8)[truth]
            assert np.mean(list(per_class_dice(result.labels, truth_in_model, len(names)).values())) > 0.6
            fdi = [tooth["fdi"] for tooth in result.teeth]
            assert len(fdi) == len(set(fdi))


def test_the_bundled_mask_network_with_a_numbering_model_given_by_path(segmenter):
    """load_model(numbering=...) swaps only the numbering network: the bundled one by path numbers as the default does."""
    numbering = [weights_folder() / entry["file"] for entry in numbering_entries(default_card())]
    swapped = teethseg.load_model(device="cpu", backend="onnx", numbering=numbering)
    assert swapped.numbering is not None and swapped.close_up is not None
    sample = sample_paths()[0]
    floats = teethseg.load_model(device="cpu", backend="onnx")  # numbering by path runs the float networks
    assert np.array_equal(swapped.predict(sample).labels, floats.predict(sample).labels)
    with pytest.raises(TeethsegError, match="is not a numbering model"):
        teethseg.load_model(device="cpu", numbering=weights_folder() / default_card()["file"])


def test_mirror_averaging_is_the_default_keeps_numbers_and_is_no_worse_on_the_samples(segmenter):
    assert segmenter.mirror
    single = teethseg.load_model(device="cpu", mirror=False)
    names = segmenter.class_names
    truth_names = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]
    scores = {False: [], True: []}
    for sample in sample_paths():
        truth = np.array([names.index(n) for n in truth_names], np.uint8)[read_mask(FIXTURES / f"{sample.stem}.png")]
        for flag, model in ((False, single), (True, segmenter)):
            labels = model.predict(sample).labels
            scores[flag].append(np.mean(list(per_class_dice(labels, truth, len(names)).values())))
    # Numbers stay on the right side: a mirror pass without the FDI swap would wreck per-tooth Dice.
    assert np.mean(scores[True]) > np.mean(scores[False]) - 0.01


def test_torch_and_onnx_agree_on_the_default_model():
    torch_segmenter = teethseg.load_model(device="cpu", backend="torch")
    onnx_segmenter = teethseg.load_model(device="cpu", backend="onnx")
    assert torch_segmenter.backend_name == "torch" and onnx_segmenter.backend_name == "onnx"
    for sample in sample_paths():
        assert (torch_segmenter.predict(sample).labels == onnx_segmenter.predict(sample).labels).mean() >= 0.999


def test_corrupted_bundled_weights_are_refused(tmp_path):
    card = default_card()
    copy = tmp_path / card["file"]
    shutil.copyfile(weights_folder() / card["file"], copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x55
    copy.write_bytes(bytes(data))
    with pytest.raises(TeethsegError, match="corrupted"):
        Segmenter.from_file(copy, device="cpu", expected_sha256=card["sha256"])


def test_predict_sample_with_no_flags(tmp_path, capsys):
    assert main(["predict", "--sample", "--out", str(tmp_path)]) == 0
    for sample in sample_paths():
        record = json.loads((tmp_path / f"{sample.stem}.json").read_text())
        assert record["width"] == 512 and record["teeth_count"] > 0
        assert (tmp_path / f"{sample.stem}_mask.png").is_file()
    assert "written to" in capsys.readouterr().out


def test_cpu_prediction_never_imports_torch_or_scipy():
    import subprocess
    import sys

    code = (
        "import sys, teethseg; from teethseg.predict.folders import sample_paths; "
        "seg = teethseg.load_model(device='cpu'); seg.predict(sample_paths()[0]); "
        "print(seg.backend_name, 'torch' in sys.modules, 'monai' in sys.modules, 'onnxruntime' in sys.modules, "
        "'scipy.ndimage' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    # The INT8 twins in OpenVINO need neither PyTorch nor ONNX Runtime (the close-up network loads it when
    # needed); scipy.ndimage's import alone costs 0.2-0.3 s, so prediction uses OpenCV (teethseg.imaging.regions).
    assert output == (["openvino", "False", "False", "False", "False"] if openvino_available()
                      else ["onnx", "False", "False", "True", "False"])


def wider_view(image: np.ndarray, nearest: bool = False) -> np.ndarray:
    """The radiograph (or its mask) as a machine with a wider field of view shows it: every tooth 0.7 times as big."""
    import cv2

    height, width = image.shape
    zoom = cv2.getRotationMatrix2D((width / 2, height / 2), 0, 0.7)
    return cv2.warpAffine(image, zoom, (width, height), flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR)


def test_a_wider_view_is_seen_again_at_the_training_framing(segmenter, monkeypatch):
    sample = sample_paths()[0]
    wider = wider_view(read_image(sample))
    wider_truth = wider_view(read_mask(FIXTURES / f"{sample.stem}.png"), nearest=True) > 0
    again = segmenter.predict(wider)
    assert again.extra["second_look"]["tooth_scale"] == pytest.approx(0.7, abs=0.1)
    assert segmenter.predict(sample).extra == {"looks_dental": True}  # the published framing needs no second look
    monkeypatch.setattr(teethseg.inference.reframe, "KEEP_SCALE", (0.0, np.inf))
    first = segmenter.predict(wider)
    assert "second_look" not in first.extra
    assert compute_binary_scores(again.mask, wider_truth)["dice"] > compute_binary_scores(first.mask, wider_truth)["dice"]


def test_a_white_frame_is_cut_off_and_the_second_look_window_is_in_the_radiographs_pixels(segmenter):
    wider = wider_view(read_image(sample_paths()[0]))
    height, width = wider.shape
    framed = np.ones((height + 40, width + 60), np.float32)  # an unexposed margin, white
    framed[25 : 25 + height, 35 : 35 + width] = wider
    plain, boxed = segmenter.predict(wider), segmenter.predict(framed)
    assert boxed.extra["bright_frame_cut"] == {"window_yxhw": [25, 35, height, width]}
    np.testing.assert_array_equal(boxed.labels[25 : 25 + height, 35 : 35 + width], plain.labels)
    assert boxed.labels.sum() == plain.labels.sum()  # nothing in the frame
    top, left, *size = plain.extra["second_look"]["window_yxhw"]
    assert boxed.extra["second_look"]["window_yxhw"] == [top + 25, left + 35, *size]


def test_predict_says_when_it_looked_again(tmp_path, capsys):
    import cv2

    wider = wider_view(read_image(sample_paths()[0]))
    cv2.imwrite(str(tmp_path / "wide.png"), (wider * 255).astype(np.uint8))
    assert main(["predict", str(tmp_path / "wide.png"), "--out", str(tmp_path / "out")]) == 0
    line = capsys.readouterr().out
    look = json.loads((tmp_path / "out" / "wide.json").read_text())["second_look"]
    assert f"teeth {look['tooth_scale']:.2f}x typical size: segmented again" in line
    assert len(look["window_yxhw"]) == 4


def test_a_negative_radiograph_is_segmented_inverted(segmenter, tmp_path, capsys):
    import cv2

    sample = sample_paths()[0]
    image = read_image(sample)
    truth = read_mask(FIXTURES / f"{sample.stem}.png") > 0
    cv2.imwrite(str(tmp_path / "negative.png"), ((1 - image) * 255).round().astype(np.uint8))
    assert main(["predict", str(tmp_path / "negative.png"), "--out", str(tmp_path / "out")]) == 0
    assert "a negative: segmented inverted" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "negative.json").read_text())["inverted"] is True
    negative = segmenter.predict(tmp_path / "negative.png")
    assert compute_binary_scores(negative.mask, truth)["dice"] > 0.85
    assert np.allclose(negative.image, 1 - image, atol=1 / 255)  # overlays show the image as given
    assert "inverted" not in segmenter.predict(sample).extra


def test_close_views_are_segmented_by_the_close_up_network(segmenter, monkeypatch):
    for sample in sample_paths():
        close = close_view(read_image(sample))
        truth = close_view(read_mask(FIXTURES / f"{sample.stem}.png"), labels=True) > 0
        result = segmenter.predict(close)
        assert result.extra["close_view"] is True and "missing_fdi" not in result.summary()
        with monkeypatch.context() as patch:
            patch.setattr(segmenter, "close_up", None)
            panoramic_network_only = segmenter.predict(close, force=True)  # judged on a crippled look
        dice = compute_binary_scores(result.mask, truth)["dice"]
        assert dice > 0.8 and dice > compute_binary_scores(panoramic_network_only.mask, truth)["dice"] + 0.3
        assert "close_view" not in segmenter.predict(sample).extra


def test_close_views_show_whole_teeth(segmenter, monkeypatch):
    """Each tooth one region (teethseg.teeth.close_view), not the numbering network's pieces of it."""
    from teethseg.evaluation.metrics import whole_teeth

    found = {"whole": np.zeros(3, int), "pieces": np.zeros(3, int)}
    for sample in sample_paths():
        close = close_view(read_image(sample))
        truth = close_view(read_mask(FIXTURES / f"{sample.stem}.png"), labels=True)
        result = segmenter.predict(close)
        found["whole"] += whole_teeth(result.labels, truth)
        # A close view's tooth confidence is the probability of tooth (numbers are unsure), over half on every tooth pixel.
        assert min(tooth["confidence"] for tooth in result.teeth) > 0.5
        with monkeypatch.context() as patch:
            patch.setattr(teethseg.teeth.close_view, "separate_teeth", lambda labels, share, classes: labels)
            found["pieces"] += whole_teeth(segmenter.predict(close).labels, truth)
    matched, true, predicted = found["whole"]
    assert matched >= 0.8 * true and matched >= 0.8 * predicted  # measured: 35 of 37 true, of 38 found
    matched, true, predicted = found["pieces"]
    assert matched < 0.8 * true and matched < 0.7 * predicted  # measured: 28 of 37 true, of 44 found


def test_predict_says_when_it_saw_a_close_view(tmp_path, capsys):
    import cv2

    close = close_view(read_image(sample_paths()[0]))
    cv2.imwrite(str(tmp_path / "bitewing.png"), (close * 255).round().astype(np.uint8))
    assert main(["predict", str(tmp_path / "bitewing.png"), "--out", str(tmp_path / "out")]) == 0
    assert "a close view: mask by the close-up network" in capsys.readouterr().out
    record = json.loads((tmp_path / "out" / "bitewing.json").read_text())
    assert record["close_view"] is True and "missing_fdi" not in record
    # The overlay writes no FDI numbers (white text) on a close view: its colours are the teeth's tints only,
    # one per tooth.
    picture = cv2.imread(str(tmp_path / "out" / "bitewing_overlay.png"))
    assert not (picture == 255).all(axis=2).any()
    teeth = cv2.imread(str(tmp_path / "out" / "bitewing_teeth.png"), cv2.IMREAD_GRAYSCALE)
    biggest = np.argsort(np.bincount(teeth.ravel())[1:])[-2:] + 1
    chroma = picture.astype(float) - picture.mean(axis=2, keepdims=True)  # the tint alone, whatever grey lies under it
    first, second = (chroma[teeth == value].mean(axis=0) for value in biggest)
    assert np.abs(first - second).max() > 10
    assert main(["predict", "--sample", "--out", str(tmp_path / "pano")]) == 0
    numbered = cv2.imread(str(next((tmp_path / "pano").glob("*_overlay.png"))))
    assert (numbered == 255).all(axis=2).any()


def test_the_close_up_network_loads_only_when_a_close_view_needs_it():
    fresh = teethseg.load_model(device="cpu")
    fresh.predict(sample_paths()[0])
    fresh.predict(wider_view(read_image(sample_paths()[0])))  # a second look, with the panoramic network
    assert callable(fresh._close_up)  # still the loader: a panoramic never pays for it
    fresh.predict(close_view(read_image(sample_paths()[0])))
    assert isinstance(fresh._close_up, Network) and fresh.close_up.backend_name == "onnx"


def test_a_corrupted_close_up_network_is_refused_when_first_needed(monkeypatch, tmp_path):
    card = json.loads(json.dumps(default_card()))
    card["close_up"]["sha256"] = "0" * 64  # as if the file's bytes had changed
    monkeypatch.setattr(teethseg.inference.load, "default_card", lambda: card)
    segmenter = teethseg.load_model(device="cpu")
    assert segmenter.predict(sample_paths()[0]).labels.any()  # panoramics never open it
    close = close_view(read_image(sample_paths()[0]))
    with pytest.raises(TeethsegError, match="teethseg-close-up.safetensors.*corrupted"):
        segmenter.predict(close)


@pytest.mark.parametrize("backend", ["onnx", "auto"])
def test_the_bundled_numbering_networks_are_averaged_and_each_is_checked(monkeypatch, backend):
    card = json.loads(json.dumps(default_card()))
    entries = numbering_entries(card)
    segmenter = teethseg.load_model(device="cpu", backend=backend)
    if segmenter.backend_name == "openvino":  # the INT8 twins, averaged in one graph
        assert [path.name for path in segmenter.numbering.backend.members] == [entry["int8_file"] for entry in entries]
        key = "int8_weights_sha256"
    else:
        assert isinstance(segmenter.numbering, AveragedNetworks)
        assert [member.name for member in segmenter.numbering.members] == [entry["name"] for entry in entries]
        key = "sha256"
    entries[-1][key] = "0" * 64  # as if the last one's bytes had changed
    monkeypatch.setattr(teethseg.inference.load, "default_card", lambda: card)
    with pytest.raises(TeethsegError, match="corrupted"):
        teethseg.load_model(device="cpu", backend=backend)
