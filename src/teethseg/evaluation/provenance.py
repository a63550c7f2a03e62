"""How the numbers were made: model files and their checksums, data, split, versions, date and
machine, so a report read months later can be traced and repeated."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from teethseg.nn.checksums import file_sha256
from teethseg.version import __version__


def model_files(model: str | Path | None, numbering: str | Path | list[str | Path] | None) -> list[dict[str, str]]:
    """Every network file the evaluation used, with its SHA-256 (the bundled ones from their card,
    which ``load_model`` checks them against)."""
    files = []
    if model is None:
        from teethseg.nn.bundled import default_card, numbering_entries, weights_folder

        card = default_card()
        entries = [card] + (numbering_entries(card) if numbering is None else [])
        files += [{"role": "bundled", "path": str(weights_folder() / e["file"]), "sha256": e["sha256"]} for e in entries]
    else:
        files.append({"role": "model", "path": str(Path(model).resolve()), "sha256": file_sha256(model)})
    for path in ([] if numbering is None else numbering if isinstance(numbering, (list, tuple)) else [numbering]):
        files.append({"role": "numbering", "path": str(Path(path).resolve()), "sha256": file_sha256(path)})
    return files


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def provenance(data: str | Path, split: str, model: str | Path | None, numbering: Any, mirror: bool) -> dict[str, Any]:
    """The facts printed at the foot of a report."""
    return {
        "data": str(Path(data).resolve()),
        "split": split,
        "models": model_files(model, numbering),
        "mirror": mirror,
        "teethseg_version": __version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"host": platform.node(), "platform": platform.platform(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    **{name: _version(name) for name in ("torch", "onnxruntime", "monai")}},
    }
