"""INT8 quantisation: calibrated on the training split only, and the INT8 network keeps the float one's mask."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.nn.bundled import default_card, weights_folder
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.openvino_backend import available
from teethseg.nn.quantise import calibration_inputs, calibration_paths, quantise, save_int8


def _data(root: Path) -> Path:
    """A tiny data set in the shared layout: three training images, one val image."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for index in range(4):
        image = np.random.default_rng(index).integers(0, 255, (64, 96), dtype=np.uint8)
        Image.fromarray(image).save(root / "images" / f"{index}.png")
        Image.fromarray((image > 128).astype(np.uint8)).save(root / "masks" / f"{index}.png")
    (root / "splits.json").write_text(json.dumps({"train": ["0", "1", "2"], "val": ["3"]}))
    return root


def test_calibration_takes_training_images_only_and_their_mirrors(tmp_path):
    data = _data(tmp_path / "data")
    paths = calibration_paths(data, count=10)
    assert sorted(path.name for path in paths) == ["0.png", "1.png", "2.png"]
    assert len(calibration_paths(data, count=2)) == 2
    config, _ = read_model_metadata(weights_folder() / default_card()["file"])
    inputs = calibration_inputs(paths[:1], config)
    assert len(inputs) == 2 and inputs[0].shape == (1, 1, *config.input_size)
    assert np.allclose(inputs[1][..., ::-1], inputs[0], atol=1e-5)


@pytest.mark.skipif(not available(), reason="OpenVINO is not installed")
def test_the_int8_mask_network_finds_the_float_one_s_teeth(tmp_path):
    pytest.importorskip("nncf")
    import openvino as ov

    from teethseg.inference.network import softmax
    from teethseg.predict.folders import sample_paths

    card, folder = default_card(), weights_folder()
    config, _ = read_model_metadata(folder / card["file"])
    inputs = calibration_inputs(sample_paths()[:2], config)
    xml, weights = save_int8(quantise(folder / card["onnx_file"], inputs), tmp_path / "mask-int8.xml")
    assert weights.stat().st_size < 0.6 * (folder / card["file"]).stat().st_size  # INT8 weights: half of float16
    core = ov.Core()
    int8 = core.compile_model(str(xml), "CPU")(inputs[0])[0]
    floats = core.compile_model(str(folder / card["onnx_file"]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(inputs[0])[0]
    teeth_int8, teeth_float = softmax(int8)[0, 1:].sum(0) > 0.5, softmax(floats)[0, 1:].sum(0) > 0.5
    overlap = 2 * (teeth_int8 & teeth_float).sum() / (teeth_int8.sum() + teeth_float.sum())
    assert teeth_float.mean() > 0.05 and overlap > 0.95
