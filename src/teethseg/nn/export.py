"""ONNX export: a model file's ONNX twin, with the teethseg config and the source file's checksum in its metadata.

A linked twin (the bundled models') holds only the graph and reads its weights from the bytes of
the model file beside it, so the package ships each network's weights once.
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.io.files import atomic_path
from teethseg.nn.checksums import file_sha256
from teethseg.nn.model_file import FORMAT_NAME, FORMAT_VERSION, stored_as_half, tensor_spans

OPSET = 17


def onnx_bytes(
    network: Any, config: ModelConfig, info: dict[str, Any], half: bool = False, weights_file: Path | None = None,
) -> bytes:
    """Export a network with a dynamic batch at its fixed input size, metadata embedded.

    ``half`` stores the weights as float16 (half the file); the network still runs in float32.
    ``weights_file``: the model file the network was loaded from; the graph then points at its
    weights instead of holding them (``link_weights``), and must be loaded from its folder.
    """
    import onnx
    import torch

    network = network.cpu().eval()
    height, width = config.input_size
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the padding check is traced once, for the fixed input size
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # Folding would merge batch norms into convolutions: weights the model file does not hold.
        _export(network, height, width, buffer, fold=weights_file is None)
    proto = onnx.load_from_string(buffer.getvalue())
    prelu_as_leaky_relu(proto)
    if weights_file is not None:
        link_weights(proto, weights_file)
    elif half:
        store_weights_as_half(proto)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "config": json.dumps(asdict(config)), "info": json.dumps(info)}
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def prelu_as_leaky_relu(proto: Any) -> None:
    """Rewrite each PReLU with one slope as the same LeakyReLU.

    MONAI's U-Net uses PReLU with a single learnt slope, which is exactly LeakyReLU with that
    slope. ONNX Runtime fuses LeakyReLU into the convolution before it but runs PReLU as a
    separate pass: a third of the mask network's CPU time (measured with its profiler).
    """
    from onnx import helper, numpy_helper

    initializers = {tensor.name: tensor for tensor in proto.graph.initializer}
    for node in proto.graph.node:  # the exporter passes slopes on through Identity (or, unfolded, Unsqueeze) nodes
        if node.op_type in ("Identity", "Unsqueeze") and node.input and node.input[0] in initializers:
            initializers[node.output[0]] = initializers[node.input[0]]
    for index, node in enumerate(proto.graph.node):
        slope = initializers.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None or int(np.prod(slope.dims)) != 1:
            continue
        alpha = float(numpy_helper.to_array(slope).reshape(-1)[0])
        leaky = helper.make_node("LeakyRelu", [node.input[0]], list(node.output), name=node.name, alpha=alpha)
        proto.graph.node.remove(node)
        proto.graph.node.insert(index, leaky)
    _drop_unused(proto)


def store_weights_as_half(proto: Any) -> None:
    """Keep float32 weights as float16 behind Cast nodes, which ONNX Runtime folds back when loading.

    The file shrinks by half and the network runs in float32 as before. The bundled models'
    weights are float16 already, so only the exporter's folded batch norms round.
    """
    from onnx import TensorProto, helper, numpy_helper

    casts = []
    for tensor in proto.graph.initializer:
        if tensor.data_type != TensorProto.FLOAT or int(np.prod(tensor.dims)) < 64:
            continue
        name = tensor.name
        tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), f"{name}.float16"))
        casts.append(helper.make_node("Cast", [f"{name}.float16"], [name], to=TensorProto.FLOAT))
    _put_first(proto, casts)


def link_weights(proto: Any, weights_file: Path) -> None:
    """Point every weight of the graph at its bytes in the model file (ONNX external data).

    Float16 weights are read as float16 behind Cast nodes, which ONNX Runtime folds when
    loading, as for ``store_weights_as_half``. Names and shapes must match the file's tensors,
    as they do for a network exported unfolded from that file.
    """
    from onnx import TensorProto, helper
    from onnx.external_data_helper import set_external_data

    spans = tensor_spans(weights_file)
    types = {"F16": TensorProto.FLOAT16, "F32": TensorProto.FLOAT}
    casts = []
    for tensor in proto.graph.initializer:
        dtype, shape, offset, length = spans.get(tensor.name, (None, None, 0, 0))
        if dtype not in types or list(tensor.dims) != shape:
            raise TeethsegError(weights_file, f"weight '{tensor.name}' of the exported graph is not in the file")
        if dtype == "F16":
            casts.append(helper.make_node("Cast", [f"{tensor.name}.float16"], [tensor.name], to=TensorProto.FLOAT))
            tensor.name = f"{tensor.name}.float16"
        tensor.data_type = types[dtype]
        set_external_data(tensor, weights_file.name, offset, length)  # needs the bytes still there
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
    _put_first(proto, casts)


def _put_first(proto: Any, nodes: list[Any]) -> None:
    """Insert nodes (the weights' Casts) before all others, so the graph stays in topological order."""
    rest = list(proto.graph.node)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes + rest)


def _drop_unused(proto: Any) -> None:
    """Remove the nodes and initializers that nothing reads any more (the old slopes and their helpers)."""
    outputs = {o.name for o in proto.graph.output}
    while True:
        read = {name for node in proto.graph.node for name in node.input} | outputs
        unused = [n for n in proto.graph.node if not any(name in read for name in n.output)]
        if not unused:
            break
        for node in unused:
            proto.graph.node.remove(node)
    for tensor in [t for t in proto.graph.initializer if t.name not in read]:
        proto.graph.initializer.remove(tensor)


def _export(network: Any, height: int, width: int, buffer: io.BytesIO, fold: bool = True) -> None:
    import torch

    torch.onnx.export(
        network, (torch.zeros(1, 1, height, width),), buffer, dynamo=False, opset_version=OPSET, do_constant_folding=fold,
        input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
    )


def export_onnx(model_path: str | Path, onnx_path: str | Path, linked: bool = False) -> Path:
    """``teethseg export``: write the ONNX twin of a model file, atomically.

    The twin keeps the file's precision: float16 weights stay float16 in the ONNX file.
    ``linked``: the twin reads its weights from the model file, which must stay beside it.
    """
    from teethseg.nn.network import load_network

    model_path, onnx_path = Path(model_path), Path(onnx_path)
    if linked and model_path.resolve().parent != onnx_path.resolve().parent:
        raise TeethsegError(onnx_path, "a linked ONNX twin must be written beside its model file")
    network, config, info = load_network(model_path)
    info = {**info, "source_sha256": file_sha256(model_path)}
    data = onnx_bytes(network, config, info, half=stored_as_half(model_path), weights_file=model_path if linked else None)
    with atomic_path(onnx_path) as temporary:
        temporary.write_bytes(data)
    return Path(onnx_path)


def export_command(model: str | Path | None, onnx_path: str | Path | None, out: str | Path | None) -> list[Path]:
    """``teethseg export``: a model file as one ONNX file (``--onnx``), or a whole model of several
    networks (the bundled one, or a model folder) as a model folder (``--out``) that ``--model`` takes.

    The bundled model is four networks (mask, two numbering, close-up): one ONNX file would hold
    only the mask network and number no teeth, so that is refused with what to do instead.
    """
    from teethseg.nn.bundled import export_model_folder

    whole = model is None or Path(model).is_dir()
    if whole and onnx_path is not None:
        what = "the bundled model" if model is None else f"{model} (a model folder)"
        raise TeethsegError(onnx_path, f"{what} is several networks (mask, numbering, close-up) and one ONNX file "
                                       "would hold the mask network only, numbering no teeth: use --out DIR to export "
                                       "all of them as a model folder that --model accepts")
    if whole:
        if out is None:
            raise TeethsegError(None, "give --out DIR: the folder to write the whole model into")
        return export_model_folder(out, None if model is None else Path(model))
    if onnx_path is None:
        raise TeethsegError(model, "give --onnx OUT.onnx: a model file exports as one ONNX file (--out is for model folders)")
    return [export_onnx(model, onnx_path)]
