"""teethseg: find the teeth in dental X-rays."""

from teethseg.inference.load import load_model
from teethseg.inference.result import Result
from teethseg.inference.segmenter import Segmenter
from teethseg.teeth.fdi import fdi_numbers, labels_to_fdi
from teethseg.version import __version__

__all__ = ["Result", "Segmenter", "fdi_numbers", "labels_to_fdi", "load_model", "__version__"]
