"""One suite for the network and the model file (as segmentation_models.pytorch does for its models)."""

import pytest
import torch

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.nn.checksums import file_sha256
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.network import build_network, load_network, save_model

SMALL = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96])


@pytest.mark.parametrize("size", [(64, 96), (37, 53), (5, 129), (9, 9)])
@pytest.mark.parametrize("num_classes", [2, 33])
def test_output_shape_matches_any_input_size(size, num_classes):
    config = ModelConfig(**{**SMALL.__dict__, "num_classes": num_classes})
    network = build_network(config).eval()
    with torch.no_grad():
        out = network(torch.randn(2, 1, *size))
    assert out.shape == (2, num_classes, *size)


def test_forward_and_backward_give_gradients():
    network = build_network(SMALL)
    out = network(torch.randn(2, 1, 33, 47))
    out.mean().backward()
    assert all(p.grad is not None for p in network.parameters() if p.requires_grad)


def test_model_file_round_trip(tmp_path):
    network = build_network(SMALL).eval()
    path = tmp_path / "m.safetensors"
    save_model(path, network, SMALL, {"val_dice": 0.5})
    loaded, config, info = load_network(path)
    assert config == SMALL and info == {"val_dice": 0.5}
    x = torch.randn(1, 1, 64, 96)
    with torch.no_grad():
        assert torch.equal(network(x), loaded(x))
    assert read_model_metadata(path)[0].input_size == [64, 96]


def test_half_precision_file_is_half_the_size_and_predicts_the_same(tmp_path):
    torch.manual_seed(0)
    network = build_network(SMALL).eval()
    save_model(tmp_path / "full.safetensors", network, SMALL)
    save_model(tmp_path / "half.safetensors", network, SMALL, half=True)
    assert (tmp_path / "half.safetensors").stat().st_size < 0.7 * (tmp_path / "full.safetensors").stat().st_size
    loaded, _, _ = load_network(tmp_path / "half.safetensors")
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x = torch.randn(1, 1, 64, 96)
    with torch.no_grad():
        assert torch.allclose(network(x), loaded(x), atol=1e-2)


def test_files_that_are_not_our_models_are_refused(tmp_path):
    text = tmp_path / "notes.safetensors"
    text.write_text("definitely not weights")
    with pytest.raises(TeethsegError, match="not a teethseg model"):
        load_network(text)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(TeethsegError, match="no teethseg header"):
        load_network(foreign)
    with pytest.raises(TeethsegError, match="model file not found"):
        load_network(tmp_path / "absent.safetensors")


def test_corrupted_model_is_detected(tmp_path):
    path = tmp_path / "m.safetensors"
    save_model(path, build_network(SMALL), SMALL)
    good = file_sha256(path)
    data = bytearray(path.read_bytes())
    data[-50] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TeethsegError, match="checksum mismatch"):
        load_network(path, expected_sha256=good)
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(TeethsegError, match=str(path)):
        load_network(path)


def test_a_model_from_a_newer_teethseg_says_so(tmp_path):
    import json

    import onnx
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from teethseg.nn.backends import open_backend
    from teethseg.nn.export import export_onnx

    path = tmp_path / "m.safetensors"
    save_model(path, build_network(SMALL), SMALL)
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    newer_config = json.dumps({**json.loads(metadata["config"]), "tomorrow": 1})
    newer = tmp_path / "newer.safetensors"
    save_file(load_file(str(path)), str(newer), metadata={**metadata, "config": newer_config})
    with pytest.raises(TeethsegError, match=r"newer teethseg \(unknown settings: tomorrow\)"):
        load_network(newer)
    twin = tmp_path / "m.onnx"
    export_onnx(path, twin)
    model = onnx.load(str(twin))
    next(entry for entry in model.metadata_props if entry.key == "config").value = newer_config
    onnx.save(model, str(twin))
    with pytest.raises(TeethsegError, match="newer teethseg"):
        open_backend(twin, "cpu", "onnx")
