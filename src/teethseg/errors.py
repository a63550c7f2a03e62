"""The one error type users see: a short message that names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class TeethsegError(Exception):
    """A problem with user input, reported as one line, never as a traceback."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception's whole message on one line (libraries often wrap theirs over several), cut
    at a word near ``limit`` characters; its type's name when it has no message."""
    text = " ".join(str(error).split())
    if not text:
        return type(error).__name__
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " ..."
