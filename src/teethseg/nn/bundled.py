"""The model that ships inside the package: where its files are, and its card.

The default model is several networks (mask, numbering, close-up) named in one card. ``teethseg
export`` without ``--model`` copies them with the card into a model folder (``MANIFEST`` beside the
networks), which ``--model DIR`` and ``load_model(DIR)`` take as they take the bundled model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError

# The card of a model folder written by ``export_model_folder``.
MANIFEST = "teethseg-model.json"
# The files a card entry names: the model file, its ONNX twin, its INT8 twin (graph, weights) if any.
FILE_KEYS = ("file", "onnx_file", "int8_file", "int8_weights")


def weights_folder() -> Path:
    """Where the bundled model and its card live inside the installed package."""
    return Path(str(resources.files("teethseg") / "weights"))


def default_card(folder: Path | None = None) -> dict[str, Any]:
    """The card of the bundled model (or of a model folder): file names, checksums, classes, training facts."""
    path = weights_folder() / "default.json" if folder is None else Path(folder) / MANIFEST
    if not path.is_file():
        if folder is not None:
            raise TeethsegError(folder, f"is a folder but no teethseg model folder (no {MANIFEST}; "
                                        "`teethseg export --out DIR` writes one)")
        raise TeethsegError(path, "no bundled default model in this installation; pass --model PATH")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TeethsegError(path, f"unreadable model card ({error})") from None
    if not isinstance(card, dict) or "file" not in card:
        raise TeethsegError(path, "not a teethseg model card (no 'file' entry)")
    return card


def numbering_entries(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's numbering networks (one, or several whose probabilities are averaged)."""
    entries = card.get("numbering") or []
    return entries if isinstance(entries, list) else [entries]


def card_entries(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's entry of each bundled network: mask, numbering (one or more), close-up."""
    return [card, *numbering_entries(card)] + ([card["close_up"]] if "close_up" in card else [])


def default_model_path() -> Path:
    """Path of the bundled mask network (the default model's first network)."""
    return weights_folder() / default_card()["file"]


def export_model_folder(out: str | Path, source: Path | None = None) -> list[Path]:
    """Copy a whole model (every network: the model files and their ONNX twins) and its card into ``out``.

    ``source``: a model folder (default: the bundled model). ``out`` must be new or empty; it is
    written in a temporary folder beside it and renamed, so it is never left half-written. Returns
    the files written.
    """
    out = Path(out)
    source_folder = weights_folder() if source is None else Path(source)
    card = default_card(None if source is None else source_folder)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TeethsegError(out, "exists and is not an empty folder; choose a new --out")
    names = [entry[key] for entry in card_entries(card) for key in FILE_KEYS if entry.get(key)]
    extras = [name for name in ("MODEL_CARD.md",) if (source_folder / name).is_file()]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name in names + extras:
            shutil.copyfile(source_folder / name, staging / name)
        (staging / MANIFEST).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise TeethsegError(out, f"cannot write the model folder ({error.strerror or error})") from None
    return [out / name for name in [MANIFEST, *names, *extras]]
