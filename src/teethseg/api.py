"""``teethseg.load_model()``: the bundled default model, or any model file."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from teethseg.errors import TeethsegError
from teethseg.predict import Segmenter

WEIGHTS = resources.files("teethseg") / "weights"


def default_model_path() -> Path:
    """Path of the model that ships inside the package."""
    card = Path(str(WEIGHTS / "default.json"))
    if not card.is_file():
        raise TeethsegError(card, "no bundled default model in this installation; pass --model PATH")
    return card.with_name(json.loads(card.read_text())["file"])


def load_model(path: str | Path | None = None, device: str = "auto") -> Segmenter:
    """Load a model file, or the bundled default model (checksum-verified) when ``path`` is None."""
    if path is not None:
        return Segmenter.from_file(path, device)
    card = json.loads(Path(str(WEIGHTS / "default.json")).read_text()) if (WEIGHTS / "default.json").is_file() else None
    model_path = default_model_path()
    return Segmenter.from_file(model_path, device, expected_sha256=card["sha256"], name=card.get("name"))
