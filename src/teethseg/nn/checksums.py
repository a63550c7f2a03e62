"""Checksums of model files: cheap to import, so that the bundled INT8 twins can be checked while
the rest of teethseg is still being imported (``teethseg.inference.early_compile``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from teethseg.errors import TeethsegError


def file_sha256(path: str | Path) -> str:
    """Checksum of a file, for model cards and integrity checks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_sha256(path: str | Path, expected: str | None = None) -> str:
    """The file's checksum, refusing the file when it differs from ``expected``."""
    digest = file_sha256(path)
    if expected is not None and digest != expected:
        raise TeethsegError(path, "model file is corrupted (checksum mismatch); reinstall teethseg")
    return digest
