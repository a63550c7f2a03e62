"""One suite for every inference backend: the same images must give the same masks."""

import numpy as np
import pytest
import torch

from teethseg.cli import main
from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.inference.segmenter import Segmenter
from teethseg.nn.network import build_network, save_model
from tests.conftest import synthetic_pair

CONFIG = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96])
NUMBERING_CONFIG = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96],
                               num_classes=33, class_names=["background"] + [str(i) for i in range(1, 33)])


@pytest.fixture(scope="module", params=[CONFIG, NUMBERING_CONFIG], ids=["binary", "numbering"])
def model_with_twin(request, tmp_path_factory):
    config = request.param
    folder = tmp_path_factory.mktemp("backends")
    torch.manual_seed(0)
    network = build_network(config)
    # Train-mode passes give the batch norms real statistics, so the masks are not trivial.
    network.train()
    with torch.no_grad():
        for seed in range(3):
            network(torch.randn(2, 1, 64, 96))
        if config.num_classes > 2:  # background against the 32 teeth at even odds on the median pixel
            network.eval()
            image = torch.from_numpy(synthetic_pair(1, (64, 96))[0]).float()[None, None]
            logits = network((image - image.mean()) / image.std())[0]
            last = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)][-1]
            last.bias[0] -= (logits[0] - torch.logsumexp(logits[1:], 0)).median()
    path = folder / "m.safetensors"
    save_model(path, network, config)
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
    assert from_onnx.backend_name == "onnx" and from_onnx.config in (CONFIG, NUMBERING_CONFIG)
    assert from_onnx.config == Segmenter.from_file(model_with_twin, backend="torch").config
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


def test_exported_prelus_become_the_same_leaky_relus(model_with_twin):
    import onnx
    import onnxruntime as ort

    from teethseg.nn.network import load_network

    proto = onnx.load(str(model_with_twin.with_suffix(".onnx")))
    ops = {node.op_type for node in proto.graph.node}
    assert "PRelu" not in ops and "LeakyRelu" in ops
    network, config, _ = load_network(model_with_twin)
    x = np.random.default_rng(0).normal(size=(2, 1, *config.input_size)).astype(np.float32)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = network(torch.from_numpy(x)).numpy()
    assert np.abs(session.run(None, {"image": x})[0] - expected).max() < 1e-4


def test_half_precision_model_files_get_half_precision_twins(tmp_path):
    import onnx

    from teethseg.nn.export import export_onnx
    from teethseg.nn.model_file import stored_as_half

    torch.manual_seed(0)
    network = build_network(CONFIG).eval()
    sizes, outputs = {}, {}
    x = np.random.default_rng(0).normal(size=(1, 1, 64, 96)).astype(np.float32)
    for half in (False, True):
        path = tmp_path / f"m{int(half)}.safetensors"
        save_model(path, network, CONFIG, half=half)
        assert stored_as_half(path) == half
        twin = export_onnx(path, path.with_suffix(".onnx"))
        weights = onnx.load(str(twin)).graph.initializer
        sizes[half] = sum(len(t.raw_data) for t in weights)
        assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in weights) == half
        outputs[half] = Segmenter.from_file(twin).backend(x)
    assert sizes[True] < 0.6 * sizes[False]  # the weights' bytes (the tiny graph's structure is not small)
    assert np.abs(outputs[True] - outputs[False]).max() < 0.05


def test_a_linked_twin_reads_the_model_files_weights(tmp_path):
    import onnx

    from teethseg.nn.export import export_onnx

    torch.manual_seed(0)
    network = build_network(CONFIG).eval()
    path = tmp_path / "m.safetensors"
    save_model(path, network, CONFIG, half=True)
    twin = export_onnx(path, path.with_suffix(".onnx"), linked=True)
    weights = onnx.load(str(twin), load_external_data=False).graph.initializer
    assert weights and all(t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data for t in weights)
    x = np.random.default_rng(0).normal(size=(1, 1, 64, 96)).astype(np.float32)
    linked = Segmenter.from_file(path, device="cpu")
    assert linked.backend_name == "onnx"
    # The same float16 weights as PyTorch reads, without the folded batch norms' rounding.
    assert np.abs(linked.backend(x) - Segmenter.from_file(path, backend="torch").backend(x)).max() < 1e-4


def test_a_linked_twin_must_sit_beside_its_weights(tmp_path):
    from teethseg.nn.export import export_onnx

    path = tmp_path / "m.safetensors"
    save_model(path, build_network(CONFIG), CONFIG, half=True)
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(TeethsegError, match="beside its model file"):
        export_onnx(path, tmp_path / "elsewhere" / "m.onnx", linked=True)
    assert not any((tmp_path / "elsewhere").iterdir())
    twin = export_onnx(path, path.with_suffix(".onnx"), linked=True)
    moved = tmp_path / "elsewhere" / "m.onnx"
    twin.rename(moved)
    with pytest.raises(TeethsegError, match="not a loadable ONNX model"):
        Segmenter.from_file(moved)
