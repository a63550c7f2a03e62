"""Which group each image belongs to, so that scores can be read per kind of radiograph.

Groups come from the dataset's ``index.json`` when it names a category per image (the shared
UFBA-425 data: ``[{"id": "cate1-00002", "category": 1, ...}, ...]``), or else from the
subfolders the images sit in, when those are not simply the splits.
"""

from __future__ import annotations

import json
from pathlib import Path

from teethseg.data.index import DatasetIndex


def _from_index_json(path: Path, keys: set[str]) -> dict[str, str] | None:
    """``id`` -> ``category N`` (or ``group``) from an index.json; None when it has none for these images."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"{path}: not used for groups: {error}")
        return None
    if not isinstance(rows, list):
        return None
    groups = {}
    for row in rows:
        if isinstance(row, dict) and str(row.get("id")) in keys:
            if "category" in row:
                groups[str(row["id"])] = f"category {row['category']}"
            elif "group" in row:
                groups[str(row["id"])] = str(row["group"])
    return groups or None


def image_groups(index: DatasetIndex) -> dict[str, str]:
    """Sample key -> group name for the images that have one; empty when the data has no groups."""
    keys = {sample.key for sample in index.samples}
    listed = index.root / "index.json"
    if listed.is_file():
        groups = _from_index_json(listed, keys)
        if groups:
            return groups
    folders = {}
    for sample in index.samples:
        try:
            folders[sample.key] = sample.image.parent.relative_to(index.root).as_posix()
        except ValueError:
            return {}
    names = set(folders.values())
    by_split = {(folders[s.key], s.split) for s in index.samples}
    if len(names) < 2 or len(by_split) == len(names) == len({s.split for s in index.samples}):
        return {}  # one folder, or folders that are the splits themselves
    return folders
