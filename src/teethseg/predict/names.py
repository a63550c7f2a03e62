"""Output names: each input its own, never another's, and mapped back to it by the JSON's ``source``.

An input keeps its stem (``<stem>_mask.png``, ``<stem>.json`` ..., the names other tools rely
on) unless it clashes with another input of the run: the same stem (``A/a.jpg`` and
``B/a.jpg``, or ``a.jpg`` and ``A.png`` on a file system that ignores case), or a stem that a
multi-frame input's frames take (``x_frame000.jpg`` beside ``x.tif``). Clashing inputs get the
stem and a short checksum of their path (``a-3f2c91d0``): the same name on every run, and no
other input's.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from teethseg.io.dicom import is_dicom_file

# Files that may hold several frames; their outputs are named <stem>_frame000 ...
MULTI_FRAME_SUFFIXES = (".tif", ".tiff", ".dcm", ".dicom")
# The files of one result beside its <stem>.json (``Result.save``).
OUTPUT_SUFFIXES = ("_mask.png", "_overlay.png", "_teeth.png", "_seg.dcm", "_sr.dcm")
_FRAME = re.compile(r"^(?P<stem>.+)_frame\d{3,}$")


def output_stems(files: list[Path]) -> list[str]:
    """The output stem of each input (inputs given twice should be dropped first: ``distinct``)."""
    multi = {path.stem.casefold() for path in files if _may_hold_frames(path)}
    count: dict[str, int] = {}
    for path in files:
        count[path.stem.casefold()] = count.get(path.stem.casefold(), 0) + 1
    frame_of = {key: match["stem"] for key in count if (match := _FRAME.match(key))}  # x_frame000 -> x
    taken = {stem for stem in frame_of.values() if stem in multi}  # multi-frame inputs whose frame names are taken

    def clashes(stem: str) -> bool:
        key = stem.casefold()
        return count[key] > 1 or key in taken or frame_of.get(key) in taken

    stems = [f"{path.stem}-{_path_digest(path, 8)}" if clashes(path.stem) else path.stem for path in files]
    if len({stem.casefold() for stem in stems}) < len(stems):  # only when a file is named like another's checksum
        stems = [f"{path.stem}-{_path_digest(path, 20)}" if stem != path.stem else stem for path, stem in zip(files, stems)]
    return stems


def distinct(files: list[Path]) -> list[Path]:
    """The inputs without repeats of one file (given twice, or as a file and in its folder)."""
    seen: set[Path] = set()
    kept = []
    for path in files:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            kept.append(path)
    return kept


def outputs_complete(out_dir: Path, stem: str, source: Path) -> bool:
    """True when ``out_dir`` holds every JSON (written last) of ``source``'s outputs under ``stem``.

    The JSON must name ``source`` itself: outputs of another file with the same name are not its.
    """
    record = _record(out_dir / f"{stem}.json")
    if record is not None:
        return _same_file(record.get("source"), source)
    first = _record(out_dir / f"{stem}_frame000.json")
    if first is None or not _same_file(first.get("source"), source):
        return False
    frames = first.get("frames")
    if not isinstance(frames, int) or frames < 1:
        return False
    return all(_record(out_dir / f"{stem}_frame{i:03d}.json") is not None for i in range(frames))


def is_output_file(path: Path) -> bool:
    """Whether a file is one of teethseg's outputs (its ``<stem>.json`` beside it), not a radiograph to segment."""
    name = path.name
    for suffix in OUTPUT_SUFFIXES:
        if name.endswith(suffix) and (path.parent / f"{name[: -len(suffix)]}.json").is_file():
            return True
    return False


def _may_hold_frames(path: Path) -> bool:
    return path.suffix.lower() in MULTI_FRAME_SUFFIXES or is_dicom_file(path)


def _path_digest(path: Path, length: int) -> str:
    return hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:length]


def _record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _same_file(source: object, path: Path) -> bool:
    if not isinstance(source, str):
        return False
    try:
        return Path(source).resolve() == path.resolve()
    except (OSError, RuntimeError, ValueError):
        return False
