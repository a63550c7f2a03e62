"""teethseg: find the teeth in dental X-rays."""

__version__ = "0.1.0"

from teethseg.inference.load import load_model  # noqa: E402
from teethseg.inference.result import Result  # noqa: E402
from teethseg.inference.segmenter import Segmenter  # noqa: E402
from teethseg.teeth.fdi import fdi_numbers, labels_to_fdi  # noqa: E402

__all__ = ["Result", "Segmenter", "fdi_numbers", "labels_to_fdi", "load_model", "__version__"]
