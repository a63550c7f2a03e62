"""Where a command writes: checked before any work, so a path under a file is one line, not a
traceback after minutes of training or evaluation."""

from __future__ import annotations

import tempfile
from pathlib import Path

from teethseg.errors import TeethsegError


def check_destination(path: str | Path, folder: bool = True) -> None:
    """Refuse an output ``path`` that cannot be created: a folder that is a file, or any part of
    the way to it that is a file. ``folder``: False when ``path`` is a file to write (it may exist)."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise TeethsegError(path, "exists and is not a folder; choose another output folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise TeethsegError(path, f"cannot be created: {parent} is a file, not a folder")
            return


def check_writable(folder: Path) -> None:
    """Make ``folder`` and write a file in it, before any work that writes there; one clear error
    when that fails (a file in the way, no permission, a read-only disk)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".teethseg-check-"):
            pass
    except OSError as error:
        raise TeethsegError(folder, f"cannot write outputs there ({error.strerror or error})") from None
