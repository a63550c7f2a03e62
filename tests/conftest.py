"""Tiny synthetic radiographs and datasets, built inside the tests (no shared data needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teethseg.config import ModelConfig, TrainConfig


def synthetic_pair(seed: int, size: tuple[int, int] = (64, 96), classes: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A grey 'radiograph' (uint8) with bright 'teeth' bars, and its label map."""
    rng = np.random.default_rng(seed)
    height, width = size
    image = rng.normal(60, 12, size).clip(0, 255)
    mask = np.zeros(size, dtype=np.uint8)
    for k in range(int(rng.integers(3, 6))):
        top = int(rng.integers(2, height // 2))
        left = int(rng.integers(2, width - 14))
        h, w = int(rng.integers(height // 4, height // 2)), int(rng.integers(5, 12))
        mask[top : top + h, left : left + w] = 1 + (k % classes)
    image[mask > 0] += 120
    return image.clip(0, 255).astype(np.uint8), mask


def write_images_masks(
    root: Path, n: int = 6, size: tuple[int, int] = (64, 96), splits: bool = True, classes: int = 1
) -> Path:
    """Layout 1: images/ + masks/ (+ splits.json); ``classes`` > 1 gives the bars several values."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    names = [f"img{i:02d}" for i in range(n)]
    for i, name in enumerate(names):
        image, mask = synthetic_pair(i, size, classes)
        Image.fromarray(image).convert("RGB").save(root / "images" / f"{name}.jpg", quality=95)
        Image.fromarray(mask).save(root / "masks" / f"{name}.png")
    if splits:
        (root / "splits.json").write_text(json.dumps({"train": names[: n - 2], "val": names[n - 2 :]}))
    return root


def write_roboflow(root: Path, counts: dict[str, int] | None = None) -> Path:
    """Layout 2: train/ valid/ test/ with <name>.jpg and <name>_mask.png, plus _classes.csv."""
    counts = counts or {"train": 3, "valid": 2, "test": 1}
    seed = 0
    for split, count in counts.items():
        folder = root / split
        folder.mkdir(parents=True)
        (folder / "_classes.csv").write_text("Pixel Value, Class\n0, background\n1, tooth\n")
        for i in range(count):
            image, mask = synthetic_pair(seed)
            seed += 1
            Image.fromarray(image).save(folder / f"x{i}_jpg.rf.abc{i}.jpg")
            Image.fromarray(mask).save(folder / f"x{i}_jpg.rf.abc{i}_mask.png")
    return root


def write_separate_folders(root: Path, n_train: int = 3, n_val: int = 2) -> Path:
    """Layout 3: train_images/ + train_masks/ (and val_*), masks <name>_mask.png of 0/255."""
    seed = 0
    for split, count in (("train", n_train), ("val", n_val)):
        (root / f"{split}_images").mkdir(parents=True)
        (root / f"{split}_masks").mkdir()
        for i in range(count):
            image, mask = synthetic_pair(seed)
            seed += 1
            Image.fromarray(image).save(root / f"{split}_images" / f"p{i}.png")
            Image.fromarray((mask > 0).astype(np.uint8) * 255).save(root / f"{split}_masks" / f"p{i}_mask.png")
    return root


def tiny_config(**overrides) -> TrainConfig:
    """A network and schedule small enough to train in seconds on a CPU."""
    model = ModelConfig(channels=[4, 8, 16], strides=[2, 2], num_res_units=1, input_size=[64, 96])
    values = dict(model=model, epochs=2, batch_size=2, crop_size=None, lr=0.01, amp=False, seed=0)
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """An untrained tiny model saved in the teethseg model format."""
    import torch

    from teethseg.nn.network import build_network, save_model

    config = tiny_config().model
    torch.manual_seed(0)
    path = tmp_path / "m.safetensors"
    save_model(path, build_network(config), config)
    return path


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright, one for the whole run (Playwright's sync API
    runs one event loop per thread); fails under CI when it cannot start, else skips."""
    try:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
    except Exception as error:  # the package missing or its driver not starting
        reason = f"Playwright cannot start: {error}"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        reason = f"Chromium ({CHROMIUM}) cannot start: {str(error).splitlines()[0]}"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    yield browser
    browser.close()
    playwright.stop()
