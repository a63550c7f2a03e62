"""Model files with a damaged header or a class list that does not fit the network are refused
at load, in one line, whichever backend and whether given as --model or --numbering."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from PIL import Image

from teethseg.cli import main
from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.network import build_network, save_model
from tests.conftest import synthetic_pair

SMALL = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96])
FDI = ["background"] + [str(i) for i in range(1, 33)]


def _save(path, header: ModelConfig, network_config: ModelConfig | None = None):
    torch.manual_seed(0)
    save_model(path, build_network(network_config or header), header)
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"input_size": [0, 0]}, "input_size.0: Input should be greater than or equal to 16"),
        ({"input_size": [100_000, 100_000]}, "input_size.0: Input should be less than or equal to 4096"),
        ({"input_size": [64]}, "input_size"),
        ({"normalization": "bogus"}, "normalization: Input should be 'zscore' or 'unit'"),
        ({"norm": "bogus"}, "norm: Input should be"),
        ({"num_classes": "two"}, "num_classes: Input should be a valid integer"),
        ({"strides": [2]}, "one entry fewer"),
        ({"class_names": ["background"]}, "1 class names for 2 classes"),
    ],
)
def test_a_damaged_header_is_refused_in_one_line(tmp_path, change, message):
    path = _save(tmp_path / "m.safetensors", dataclasses.replace(SMALL, **change), SMALL)
    with pytest.raises(TeethsegError, match=message) as error:
        read_model_metadata(path)
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def test_the_committed_models_pass_the_schema():
    from teethseg.nn.bundled import weights_folder

    for path in sorted(weights_folder().glob("*.safetensors")):
        config, _ = read_model_metadata(path)
        assert len(config.class_names) == config.num_classes


@pytest.fixture
def radiograph(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(synthetic_pair(0)[0]).save(path)
    return path


def _onnx_with_header(source, target, header: ModelConfig):
    """Export ``source`` to ONNX, then give the twin another config in its metadata."""
    import onnx

    assert main(["export", "--model", str(source), "--onnx", str(target)]) == 0
    proto = onnx.load(str(target))
    for entry in proto.metadata_props:
        if entry.key == "config":
            entry.value = json.dumps(dataclasses.asdict(header))
    onnx.save(proto, str(target))
    return target


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_a_class_list_that_does_not_fit_the_outputs_is_refused_as_model(tmp_path, radiograph, capsys, backend):
    three = dataclasses.replace(SMALL, num_classes=3, class_names=["background", "tooth", "contact"], contact_width=2)
    if backend == "torch":  # the header says 2 classes, the network gives 3 outputs
        model = _save(tmp_path / "m.safetensors", SMALL, three)
    else:
        model = _onnx_with_header(_save(tmp_path / "ok.safetensors", three), tmp_path / "m.onnx", SMALL)
    code = main(["predict", str(radiograph), "--model", str(model), "--backend", backend, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "inconsistent model file: the network has 3 outputs but the header names 2 classes" in err
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_a_class_list_that_does_not_fit_the_outputs_is_refused_as_numbering(tmp_path, radiograph, capsys, backend):
    numbering = dataclasses.replace(SMALL, num_classes=33, class_names=FDI)
    fewer = dataclasses.replace(SMALL, num_classes=5, class_names=FDI[:5])
    if backend == "torch":
        model = _save(tmp_path / "n.safetensors", numbering, fewer)
    else:
        model = _onnx_with_header(_save(tmp_path / "ok.safetensors", fewer), tmp_path / "n.onnx", numbering)
    code = main(["predict", str(radiograph), "--numbering", str(model), "--backend", backend, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "the network has 5 outputs but the header names 33 classes" in err
    assert err.count("\n") == 1


def test_a_twin_beside_the_model_is_checked_too(tmp_path):
    from teethseg.nn.backends import open_backend

    three = dataclasses.replace(SMALL, num_classes=3, class_names=["background", "tooth", "contact"], contact_width=2)
    model = _save(tmp_path / "m.safetensors", three)
    twin = _onnx_with_header(model, tmp_path / "m.onnx", three)
    assert open_backend(model, "cpu", "auto")[0].name == "onnx"
    import onnx

    proto = onnx.load(str(twin))
    proto.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 2  # a twin that claims other outputs
    onnx.save(proto, str(twin))
    with pytest.raises(TeethsegError, match="m.onnx: inconsistent model file"):
        open_backend(model, "cpu", "auto")
