"""JSON from files we did not write (COCO exports, splits, model headers), parsed with bounds.

Python's parser turns a document nested thousands deep into a RecursionError and reads integers
of thousands of digits that no size or id can be; both become a ValueError here, which readers
already report in one line naming the file.
"""

from __future__ import annotations

import json
from typing import Any

MAX_INTEGER_DIGITS = 19  # a signed 64-bit integer: beyond it no width, height or id is real


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"integer of {len(text.lstrip('-'))} digits, more than any size or id can have")
    return int(text)


def load_json(text: str | bytes) -> Any:
    """``json.loads`` refusing absurd integers and deep nesting with a ValueError."""
    try:
        return json.loads(text, parse_int=_integer)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
