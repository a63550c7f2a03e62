"""The bundled networks' INT8 twins, from their card to a compiling OpenVINO backend, cheap to import.

``teethseg predict`` calls ``start_bundled`` before it imports the rest of teethseg: the twins are
checked and compiled in a thread of their own (C++, beside the Python imports on another core)
while the about 0.3 s of imports run, and loading (``teethseg.inference.int8_networks``) takes the
backends begun. Only numpy, safetensors and the card are needed here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from teethseg.errors import TeethsegError
from teethseg.nn.bundled import default_card, numbering_entries, weights_folder
from teethseg.nn.openvino_backend import OpenVinoBackend, available, early_or_new, start_early
from teethseg.teeth.fdi import fdi_flip_table


def has_int8_twins(card: dict[str, Any]) -> bool:
    """Whether the card names INT8 twins of its mask network and of every numbering network."""
    return all(entry.get("int8_file") for entry in [card, *numbering_entries(card)])


def twins_files(folder: Path, entries: list[dict[str, Any]]) -> tuple[list[Path], list[str], Any]:
    """The INT8 graphs of ``entries``, their graph and weights checksums, and the mirror's class table
    (from the first model file's header: the numbers swap sides in a mirror image)."""
    members = [folder / entry["int8_file"] for entry in entries]
    checksums = [entry[key] for entry in entries for key in ("int8_sha256", "int8_weights_sha256")]
    names = _class_names(folder / entries[0]["file"])
    return members, checksums, fdi_flip_table(names, len(names))[: len(names)]


def twins_backend(
    folder: Path, entries: list[dict[str, Any]], mirror: bool, threads: int | None, callers: int | None = None,
) -> OpenVinoBackend:
    """The backend of ``entries``' INT8 twins (``callers``: threads calling it at once, see
    ``OpenVinoBackend``): the one ``start_bundled`` began, else a new one."""
    members, checksums, table = twins_files(folder, entries)
    return early_or_new(members, table, mirror, threads, checksums, callers)


def start_bundled(mirror: bool, threads: int | None) -> None:
    """Begin checking and compiling the bundled mask and numbering twins, when the CPU will run them.

    Any problem is left for loading to report in its own words: this only saves time.
    """
    try:
        card, folder = default_card(), weights_folder()
        if not (has_int8_twins(card) and available()):
            return
        for entries in ([card], numbering_entries(card)):
            if entries:
                members, checksums, table = twins_files(folder, entries)
                start_early(members, table, mirror, threads, checksums)
    except (TeethsegError, OSError, KeyError, ValueError, TypeError):
        return


def _class_names(path: Path) -> list[str]:
    """The class names in a model file's header, read without validating the whole config (loading does)."""
    try:
        with safe_open(str(path), framework="numpy") as handle:
            names = json.loads((handle.metadata() or {})["config"])["class_names"]
    except (SafetensorError, OSError, ValueError, KeyError, TypeError) as error:
        raise TeethsegError(path, f"not a teethseg model (unreadable header: {error})") from None
    if not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        raise TeethsegError(path, "not a teethseg model (its header names no classes)")
    return names
