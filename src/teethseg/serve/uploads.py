"""Receiving one radiograph over HTTP: streamed to a server-chosen file, its type told from its bytes.

The multipart body is parsed as it arrives (python-multipart), so an upload over the limit is
refused after ``limit`` bytes, not after the whole of it was spooled somewhere; the file part is
written only into the server's private folder, under a random name with the extension of the
type found in its first bytes. The client's file name is kept only to name the file in messages
and records: it never reaches the file system.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from teethseg.errors import one_line
from teethseg.serve.errors import ApiError

# First bytes of each format teethseg reads, and the extension its readers expect.
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"II+\x00", ".tif"),  # BigTIFF
    (b"MM\x00+", ".tif"),
    (b"BM", ".bmp"),
]
SNIFF_BYTES = 132  # DICOM: 128-byte preamble, then "DICM"
FORMATS = "JPEG, PNG, TIFF, BMP or DICOM"
NOT_AN_IMAGE = "not a readable image (unrecognised or corrupt content)"  # the CLI's words
# Room for the multipart framing and small form fields around the file.
_FRAMING_BYTES = 64 * 1024


@dataclass
class Upload:
    """An uploaded radiograph on disk: its private path and the name to show for it."""

    path: Path
    name: str
    size: int


def sniff_suffix(head: bytes) -> str | None:
    """The extension for the type these first bytes announce, or None when no format we read starts so."""
    if len(head) >= SNIFF_BYTES and head[128:132] == b"DICM":
        return ".dcm"
    for signature, suffix in _SIGNATURES:
        if head.startswith(signature):
            return suffix
    return None


def display_name(raw: str | None) -> str:
    """The client's file name fit to show in one line: last path part, printable, at most 120 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name in ("", ".", ".."):
        name = "upload"
    return name[:120]


class _FilePart:
    """Collects the multipart ``file`` field into a private file, counting its bytes."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder, self.limit = folder, limit
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.in_file = False
        self.found = False
        self.name: str | None = None
        self.head = b""
        self.size = 0
        self.handle = None
        self.temporary: Path | None = None

    def on_part_begin(self) -> None:
        self.disposition, self.in_file = b"", False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if options.get(b"name") == b"file" and not self.found:
            self.in_file = self.found = True
            self.name = options.get(b"filename", b"").decode("utf-8", "replace")
            handle, temporary = _private_file(self.folder)
            self.handle, self.temporary = os.fdopen(handle, "wb"), Path(temporary)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise _TooLarge()
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self.handle.write(chunk)

    def on_part_end(self) -> None:
        self.in_file = False

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def discard(self) -> None:
        self.close()
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


class _TooLarge(Exception):
    pass


def _private_file(folder: Path) -> tuple[int, str]:
    """A new file only this process can read, under a random name."""
    path = folder / f"upload-{secrets.token_hex(16)}"
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), str(path)


def too_large(name: str | None, limit: int) -> ApiError:
    """The 413 error for an upload over ``limit`` bytes (named when its name was already read)."""
    return ApiError(413, f"{name + ': ' if name else ''}upload over the {limit / 1e6:g} MB limit")


async def receive_upload(
    content_type: str | None, content_length: str | None, body: AsyncIterator[bytes], folder: Path, limit: int
) -> Upload:
    """Stream the multipart field ``file`` into ``folder``; refuse what is too large or not an image.

    Raises :class:`ApiError`: 413 over ``limit`` bytes, 415 for an empty file or bytes that start
    like no format teethseg reads, 400 for a request that is not a multipart form with a ``file``.
    """
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(400, "expected a multipart/form-data upload with the radiograph in the field 'file'")
    if content_length and content_length.isdigit() and int(content_length) > limit + _FRAMING_BYTES:
        raise too_large(None, limit)  # refused before reading a byte
    part = _FilePart(folder, limit)
    callbacks = {name: getattr(part, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
        "on_part_data", "on_part_end")}
    parser = MultipartParser(options[b"boundary"], callbacks)
    received = 0
    try:
        async for chunk in body:
            parser.write(chunk)  # the file part stops itself at the limit
            received += len(chunk)
            if received > limit + _FRAMING_BYTES:  # small fields beside the file count too
                raise _TooLarge()
        parser.finalize()
    except _TooLarge:
        part.discard()
        raise too_large(display_name(part.name) if part.found else None, limit) from None
    except (MultipartParseError, ValueError) as error:
        part.discard()
        raise ApiError(400, f"malformed multipart upload ({one_line(error)})") from None
    except BaseException:
        part.discard()
        raise
    part.close()
    if not part.found:
        raise ApiError(400, "no file in the upload: send the radiograph in the multipart field 'file'")
    name = display_name(part.name)
    if part.size == 0:
        part.discard()
        raise ApiError(415, f"{name}: empty file")
    suffix = sniff_suffix(part.head)
    if suffix is None:
        part.discard()
        raise ApiError(415, f"{name}: {NOT_AN_IMAGE}; expected {FORMATS}")
    path = part.temporary.with_name(part.temporary.name + suffix)
    os.replace(part.temporary, path)
    return Upload(path, name, part.size)
