"""Dataset layouts, the training dataset and its augmentations."""

from teethseg.data.index import DatasetIndex, Sample
from teethseg.data.layouts import find_layout, index_dataset

__all__ = ["DatasetIndex", "Sample", "find_layout", "index_dataset"]
