"""One suite for every inference backend: the same images must give the same masks."""

import numpy as np
import pytest
import torch

from teethseg.cli import main
from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.model import build_network, save_model
from teethseg.predict import Segmenter
from tests.conftest import synthetic_pair

CONFIG = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96])


@pytest.fixture(scope="module")
def model_with_twin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backends")
    torch.manual_seed(0)
    network = build_network(CONFIG)
    # Train-mode passes give the batch norms real statistics, so the masks are not trivial.
    network.train()
    with torch.no_grad():
        for seed in range(3):
            network(torch.randn(2, 1, 64, 96))
    path = folder / "m.safetensors"
    save_model(path, network, CONFIG)
    assert main(["export", "--model", str(path), "--onnx", str(path.with_suffix(".onnx"))]) == 0
    return path


IMAGES = [synthetic_pair(seed, size)[0] for seed, size in [(1, (64, 96)), (2, (300, 520)), (3, (77, 41))]]


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_backends_agree_on_masks(model_with_twin, backend):
    reference = Segmenter.from_file(model_with_twin, device="cpu", backend="torch")
    other = Segmenter.from_file(model_with_twin, device="cpu", backend=backend)
    assert other.backend_name == backend
    for image in IMAGES:
        expected, got = reference.predict(image), other.predict(image)
        assert 0 < expected.mask.mean() < 1
        assert (expected.labels == got.labels).mean() >= 0.999


def test_onnx_file_runs_on_its_own(model_with_twin):
    from_onnx = Segmenter.from_file(model_with_twin.with_suffix(".onnx"))
    assert from_onnx.backend_name == "onnx" and from_onnx.config == CONFIG
    assert from_onnx.predict(IMAGES[0]).labels.shape == IMAGES[0].shape


def test_auto_uses_the_twin_only_when_it_matches(model_with_twin, tmp_path):
    assert Segmenter.from_file(model_with_twin, device="cpu").backend_name == "onnx"
    changed = tmp_path / "m.safetensors"
    save_model(changed, build_network(CONFIG), CONFIG, {"other": True})
    (tmp_path / "m.onnx").write_bytes(model_with_twin.with_suffix(".onnx").read_bytes())
    assert Segmenter.from_file(changed, device="cpu").backend_name == "torch"


def test_batched_and_single_predictions_agree(model_with_twin):
    segmenter = Segmenter.from_file(model_with_twin, device="cpu")
    batched = segmenter.predict_batch(IMAGES)
    for image, result in zip(IMAGES, batched):
        assert np.array_equal(segmenter.predict(image).labels, result.labels)


def test_foreign_onnx_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(TeethsegError, match="not a teethseg model"):
        Segmenter.from_file(path)
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(TeethsegError, match="not a loadable ONNX model"):
        Segmenter.from_file(tmp_path / "junk.onnx")
