"""teethseg: find the teeth in dental X-rays."""

__version__ = "0.1.0"

from teethseg.inference.load import load_model  # noqa: E402
from teethseg.inference.result import Result  # noqa: E402
from teethseg.inference.segmenter import Segmenter  # noqa: E402

__all__ = ["Result", "Segmenter", "load_model", "__version__"]
