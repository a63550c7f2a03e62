"""INT8 twins of model files: post-training quantisation with NNCF, calibrated on training radiographs.

NNCF runs the float network (its ONNX twin, read by OpenVINO) on the calibration images, as
prediction sees them and as their mirror images, and picks each activation's and weight's INT8
range; the result is an OpenVINO model (``.xml`` graph, ``.bin`` INT8 weights) that
``teethseg.nn.openvino_backend`` runs. Needs ``pip install teethseg[quantise]`` (NNCF).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.imaging.preprocess import prepare_input
from teethseg.io.images import read_image

# Calibration radiographs: NNCF's default subset is 300 inputs; 150 images and their mirrors.
CALIBRATION_IMAGES = 150


def calibration_paths(data: Path, count: int = CALIBRATION_IMAGES, seed: int = 0) -> list[Path]:
    """Images of the training split of ``data`` (never val or test), a seeded sample of ``count``."""
    from teethseg.data.layouts import index_dataset

    train, _ = index_dataset(data).split(seed)
    if not train:
        raise TeethsegError(data, "no training images to calibrate on")
    paths = sorted(sample.image for sample in train)
    random.Random(seed).shuffle(paths)
    return paths[:count]


def calibration_inputs(paths: list[Path], config: ModelConfig) -> list[np.ndarray]:
    """Each image as the network sees it (1 x 1 x H x W), and its mirror image."""
    inputs = []
    for path in paths:
        grey = read_image(path, reduce=True)
        for image in (grey, np.ascontiguousarray(grey[:, ::-1])):
            inputs.append(prepare_input(image, config.input_size, config.normalization)[None, None])
    return inputs


def quantise(onnx_path: Path, inputs: list[np.ndarray]) -> Any:
    """The INT8 OpenVINO model of a float ONNX network, calibrated on ``inputs`` (deterministic for the same inputs)."""
    import nncf
    import openvino as ov

    model = ov.Core().read_model(str(onnx_path))
    return nncf.quantize(model, nncf.Dataset(inputs), subset_size=len(inputs))


def save_int8(model: Any, xml_path: Path) -> tuple[Path, Path]:
    """Write the INT8 model as ``xml_path`` and its weights beside it (same stem, ``.bin``)."""
    import openvino as ov

    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    return xml_path, xml_path.with_suffix(".bin")
