"""File names as pictures and pages can show them.

A name whose bytes are not UTF-8 (a Latin-1 name from another system's share) reaches Python with
those bytes kept as surrogates, which fonts, Matplotlib and UTF-8 writers refuse; shown, each such
byte becomes U+FFFD. Tables (CSV) keep the name's own bytes instead, so that it finds the file.
"""

from __future__ import annotations


def shown_name(name: str) -> str:
    """``name`` with every byte that is not UTF-8 shown as U+FFFD."""
    return name.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace") if _has_surrogates(name) else name


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= character <= "\udcff" for character in text)
