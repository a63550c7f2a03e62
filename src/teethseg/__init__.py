"""teethseg: find the teeth in dental X-rays."""

__version__ = "0.1.0"

from teethseg.predict import Result, Segmenter  # noqa: E402
from teethseg.api import load_model  # noqa: E402

__all__ = ["Result", "Segmenter", "load_model", "__version__"]
