"""The model that ships inside the package: where its files are, and its card."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError


def weights_folder() -> Path:
    """Where the bundled model and its card live inside the installed package."""
    return Path(str(resources.files("teethseg") / "weights"))


def default_card() -> dict[str, Any]:
    """The bundled model's card: file name, checksum, classes, training facts."""
    path = weights_folder() / "default.json"
    if not path.is_file():
        raise TeethsegError(path, "no bundled default model in this installation; pass --model PATH")
    return json.loads(path.read_text())


def numbering_entries(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's numbering networks (one, or several whose probabilities are averaged)."""
    entries = card.get("numbering") or []
    return entries if isinstance(entries, list) else [entries]


def card_entries(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's entry of each bundled network: mask, numbering (one or more), close-up."""
    return [card, *numbering_entries(card)] + ([card["close_up"]] if "close_up" in card else [])


def default_model_path() -> Path:
    """Path of the model that ships inside the package."""
    return weights_folder() / default_card()["file"]
