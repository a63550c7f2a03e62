"""Where the server keeps results: its own private temporary folder, bounded in size and age.

Each result is a folder named by a random, unguessable id (``secrets.token_urlsafe``); files are
found only through the in-memory index by id and a fixed file name, so nothing the client sends
becomes a path. Results expire after ``max_age_s``, and the oldest go first when the folder
would hold more than ``max_bytes``.
"""

from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# URL name -> file name, as ``Result.save`` writes them for the stem "r".
STEM = "r"
FILES = {
    "mask.png": f"{STEM}_mask.png",
    "teeth.png": f"{STEM}_teeth.png",
    "overlay.png": f"{STEM}_overlay.png",
    "record.json": f"{STEM}.json",
    "image.jpg": "image.jpg",
    "seg.dcm": f"{STEM}_seg.dcm",
}
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")  # token_urlsafe(16)


@dataclass
class _Entry:
    folder: Path
    created: float
    size: int


class ResultStore:
    """Results on disk under one private folder, found by random id, expired by age and total size."""

    def __init__(self, root: Path, max_bytes: int, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        root.mkdir(mode=0o700, exist_ok=True)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def new_folder(self) -> tuple[str, Path]:
        """A fresh id and its empty folder, to write a result into before :meth:`add`."""
        result_id = secrets.token_urlsafe(16)
        folder = self.root / result_id
        folder.mkdir(mode=0o700)
        return result_id, folder

    def add(self, result_id: str, folder: Path) -> None:
        """Index a written result; older ones expire or go to keep within the limits."""
        size = sum(p.stat().st_size for p in folder.iterdir())
        with self._lock:
            self._entries[result_id] = _Entry(folder, self.clock(), size)
            self._expire()

    def file(self, result_id: str, name: str) -> Path | None:
        """The path of a result's file, or None when the id, the name or the file is unknown or expired."""
        if name not in FILES or not _ID.match(result_id):
            return None
        with self._lock:
            self._expire()
            entry = self._entries.get(result_id)
        if entry is None:
            return None
        path = entry.folder / FILES[name]
        return path if path.is_file() else None

    def discard(self, folder: Path) -> None:
        """Remove a folder that was never added (its result failed half-way)."""
        shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Remove every result and the folder itself."""
        with self._lock:
            self._entries.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(entry.size for entry in self._entries.values())

    def _expire(self) -> None:
        """Drop results older than the age limit, then the oldest until within the size limit,
        always keeping the newest (a result alone over the limit stays until the next). Lock held."""
        now = self.clock()
        for result_id, entry in list(self._entries.items()):
            if now - entry.created > self.max_age_s:
                self._drop(result_id)
        total = sum(entry.size for entry in self._entries.values())
        for result_id in sorted(self._entries, key=lambda k: self._entries[k].created)[:-1]:
            if total <= self.max_bytes:
                break
            total -= self._entries[result_id].size
            self._drop(result_id)

    def _drop(self, result_id: str) -> None:
        shutil.rmtree(self._entries.pop(result_id).folder, ignore_errors=True)
