"""The result of segmenting one radiograph, and the JSON record it is written as."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teethseg.teeth.records import missing_teeth, numbers_to_check


@dataclass
class Result:
    """What a radiograph's prediction holds, at the radiograph's own size."""

    image: np.ndarray
    labels: np.ndarray
    confidence: np.ndarray
    teeth: list[dict[str, Any]]
    class_names: list[str]
    model_name: str
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> np.ndarray:
        """Boolean teeth mask: every pixel of any tooth class."""
        return self.labels > 0

    @property
    def numbered(self) -> bool:
        return len(self.class_names) > 2

    @property
    def shows_numbers(self) -> bool:
        """Whether the overlay writes the teeth's FDI numbers and the record lists missing teeth and
        numbers to check: numbered, and no close view (a close view shows a few teeth: the others
        are out of view, not missing, and every number is unsure)."""
        return self.numbered and not self.extra.get("close_view")

    @property
    def numbers_to_check(self) -> list[int]:
        """FDI numbers named with low confidence (``teethseg.teeth.records.numbers_to_check``); none where none are listed."""
        return numbers_to_check(self.teeth) if self.shows_numbers else []

    @property
    def teeth_count_kind(self) -> str:
        """What ``teeth`` counts: numbered teeth, or connected regions for binary models."""
        return "numbered teeth" if self.numbered else "connected tooth regions"

    def summary(self) -> dict[str, Any]:
        """The JSON record written beside the masks."""
        height, width = self.labels.shape
        return {
            "source": self.source,
            "width": width,
            "height": height,
            "model": self.model_name,
            "teeth_fraction": round(float(self.mask.mean()), 6),
            "teeth_count": len(self.teeth),
            "teeth_count_kind": self.teeth_count_kind,
            **({"missing_fdi": missing_teeth(self.teeth, self.class_names), "numbers_to_check": self.numbers_to_check}
               if self.shows_numbers else {}),
            "teeth": self.teeth,
            **self.extra,
        }
