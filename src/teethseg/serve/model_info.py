"""What ``GET /v1/model`` answers: the networks loaded, their classes and input sizes, and the
validation figures their model files (or the bundled card) record."""

from __future__ import annotations

from typing import Any

from teethseg.version import __version__

_HEADLINE = ("val_dice", "val_accuracy", "data", "train_images", "val_images", "epoch")


def _network(role: str, network: Any) -> dict[str, Any]:
    """One network: name, classes, input size and the training figures stored with it."""
    info = getattr(network, "info", {}) or {}
    return {
        "role": role,
        "name": getattr(network, "name", None),
        "classes": len(network.config.class_names),
        "input_size": list(network.config.input_size),
        "metrics": {key: info[key] for key in _HEADLINE if key in info},
    }


def describe(segmenter: Any) -> dict[str, Any]:
    """The loaded model as JSON: every network (mask, numbering, close-up), the classes named, and how it runs."""
    networks = [_network("mask", segmenter)]
    numbering = segmenter.numbering
    for member in getattr(numbering, "members", [numbering] if numbering is not None else []):
        networks.append(_network("numbering", member))
    close_up = segmenter.close_up
    if close_up is not None:
        networks.append(_network("close-up", close_up))
    return {
        "name": segmenter.name,
        "teethseg_version": __version__,
        "numbered": len(segmenter.class_names) > 2,
        "classes": list(segmenter.class_names),
        "backend": segmenter.backend_name,
        "mirror_by_default": bool(segmenter.mirror),
        "networks": networks,
    }
