"""Fixtures of the report tests: a numbered tiny model on numbered fixture data with groups and
one DICOM image, and headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import tiny_config, write_images_masks

FDI = [f"{q}{p}" for q in "1234" for p in range(1, 9)]


def numbered_data(root: Path) -> Path:
    """Six images whose bars are FDI 11, 12, 13; categories 1 and 2 in index.json; img00 a DICOM
    with a pixel spacing of 0.1 mm."""
    from tests.io.test_dicom import write_dicom

    data = write_images_masks(root, n=6, classes=3)
    (data / "classes.json").write_text(json.dumps({str(i): name for i, name in enumerate(["background", *FDI])}))
    (data / "index.json").write_text(json.dumps([{"id": f"img{i:02d}", "category": 1 + i % 2} for i in range(6)]))
    grey = np.asarray(Image.open(data / "images" / "img00.jpg").convert("L"))
    write_dicom(data / "images" / "img00.dcm", grey, PixelSpacing=[0.1, 0.1])
    (data / "images" / "img00.jpg").unlink()
    return data


def numbered_model(path: Path, seed: int = 0) -> Path:
    import torch

    from teethseg.nn.network import build_network, save_model

    config = tiny_config().model
    config.num_classes, config.class_names = 33, ["background", *FDI]
    torch.manual_seed(seed)
    save_model(path, build_network(config), config)
    return path


def binary_model(path: Path, seed: int) -> Path:
    import torch

    from teethseg.nn.network import build_network, save_model

    config = tiny_config().model
    torch.manual_seed(seed)
    save_model(path, build_network(config), config)
    return path
