"""How ``teethseg predict`` shares the CPU: images segmented at once, and threads per network call.

Several images at once with one thread each beat one image on every core (12 radiographs: 0.85 s
against 1.24 s on 2 cores); at most ``MAX_WORKERS`` images are in memory at once (a 3300x1500
panoramic needs about 300 MB). On a GPU, one batch at a time.
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path

from teethseg.io.images import is_image_file
from teethseg.predict.listing import LIST_SUFFIXES, PATTERN_CHARACTERS

# Images segmented at once on a CPU, each by its own thread.
MAX_WORKERS = 4


def cpu_workers(jobs: int, cuda: bool = False) -> tuple[int, int | None]:
    """Worker threads for ``jobs`` images, and the threads each network call gets (None: every core)."""
    cores = os.cpu_count() or 1
    workers = 1 if cuda else max(1, min(cores, jobs, MAX_WORKERS))
    return workers, (max(1, cores // workers) if workers > 1 else None)


def jobs_guess(inputs: list[str], samples: int) -> int:
    """The images ``inputs`` name, as far as the workers depend on it (up to ``MAX_WORKERS``), found
    without listing whole folders: one per file, the first images of a folder, ``MAX_WORKERS`` for a
    list or pattern, none for a path that does not exist. The real count comes later; this lets
    compiling start before (and not at all when there is nothing to segment)."""
    count = samples
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            try:
                files = (Path(entry.path) for entry in os.scandir(path) if entry.is_file())
                count += sum(1 for _ in islice((file for file in files if is_image_file(file)), MAX_WORKERS))
            except OSError:  # listing reports it in its own words
                count += MAX_WORKERS
        elif path.is_file():
            count += 1 if path.suffix.lower() not in LIST_SUFFIXES else MAX_WORKERS
        elif not path.exists() and PATTERN_CHARACTERS & set(item):
            count += MAX_WORKERS
        if count >= MAX_WORKERS:
            break
    return count
