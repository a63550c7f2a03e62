"""The one error type of the HTTP API: a status and the one-line message the CLI would print."""

from __future__ import annotations


class ApiError(Exception):
    """A refused request, answered as JSON ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
