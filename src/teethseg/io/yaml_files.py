"""YAML read with aliases bounded: a recipe or ``data.yaml`` holds plain values, not a graph.

An alias (``*name``) repeats an anchored node; a few levels of lists of aliases ("billion
laughs") make a small file that expands to billions of items wherever the values are walked
(printed, saved, compared). Recipes and ``data.yaml`` never need more than a few aliases, so a
document with more is refused, as is one nested too deeply for the parser.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 16


class UnsafeYAML(yaml.YAMLError):
    """A document refused before it is built: too many aliases, or nested too deeply."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting aliases as the document is composed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise UnsafeYAML(f"more than {MAX_ALIASES} aliases (*name): refused as a possible alias bomb")
        return super().compose_node(parent, index)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with at most ``MAX_ALIASES`` aliases; every failure is a ``yaml.YAMLError``."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise UnsafeYAML("nested too deeply") from None
    finally:
        loader.dispose()
