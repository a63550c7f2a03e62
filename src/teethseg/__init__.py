"""teethseg: find the teeth in dental X-rays.

The public names load when first used (PEP 562), so that ``teethseg --help`` and commands that need
no network do not pay for importing the inference stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from teethseg.version import __version__

if TYPE_CHECKING:
    from teethseg.inference.load import load_model
    from teethseg.inference.result import Result
    from teethseg.inference.segmenter import Segmenter
    from teethseg.teeth.fdi import fdi_numbers, labels_to_fdi

# Each public name and the module that holds it.
_HOME = {"load_model": "teethseg.inference.load", "Result": "teethseg.inference.result",
         "Segmenter": "teethseg.inference.segmenter", "fdi_numbers": "teethseg.teeth.fdi",
         "labels_to_fdi": "teethseg.teeth.fdi"}

__all__ = ["Result", "Segmenter", "fdi_numbers", "labels_to_fdi", "load_model", "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'teethseg' has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
