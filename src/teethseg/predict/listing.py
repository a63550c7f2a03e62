"""Inputs given as lists: a text file of paths, or a glob pattern, for archives too big for a command line.

``teethseg predict paths.txt`` reads one path per line (blank lines and ``#`` comments skipped,
relative paths taken from the list's folder); ``teethseg predict 'archive/**/*.dcm'`` expands the
pattern (quoted, so the shell does not; ``**`` goes into subfolders). Anything else passes as given.
"""

from __future__ import annotations

import glob
from importlib import resources
from pathlib import Path

from teethseg.io.images import is_image_file

LIST_SUFFIXES = (".txt", ".lst", ".list")
PATTERN_CHARACTERS = set("*?[")


def expand_lists(inputs: list[str]) -> tuple[list[str], list[str]]:
    """The inputs with list files replaced by their paths and patterns by their matches; problems for the rest."""
    expanded, problems = [], []
    for item in inputs:
        path = Path(item)
        if path.suffix.lower() in LIST_SUFFIXES and path.is_file():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                problems.append(f"{path}: cannot read this list of paths ({error})")
                continue
            listed = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
            if not listed:
                problems.append(f"{path}: list of paths holds no path")
            expanded.extend(str(path.parent / entry) if not Path(entry).is_absolute() else entry for entry in listed)
        elif PATTERN_CHARACTERS & set(item) and not path.exists():
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                problems.append(f"{item}: no file matches this pattern")
            expanded.extend(matches)
        else:
            expanded.append(item)
    return expanded, problems


def sample_paths() -> list[Path]:
    """The radiographs shipped with teethseg for a first try (``--sample``)."""
    folder = Path(str(resources.files("teethseg") / "samples"))
    return sorted(p for p in folder.iterdir() if is_image_file(p))
