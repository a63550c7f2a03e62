"""The result of segmenting one radiograph, and the JSON record it is written as."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.teeth.fdi import labels_to_fdi
from teethseg.teeth.records import missing_teeth, numbers_to_check


@dataclass
class Result:
    """What a radiograph's prediction holds, at the radiograph's own size.

    ``labels`` holds class indices (numbered models: 1..32 = FDI 11..18, 21..28, 31..38, 41..48, in
    ``class_names``' order); ``fdi_labels`` the FDI numbers themselves; ``teeth`` one record per
    tooth with its ``fdi`` number.
    """

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
    def fdi_labels(self) -> np.ndarray:
        """The label map as FDI numbers (uint8 HxW: 0 background, 11..48 a tooth); zeros for a binary model."""
        return labels_to_fdi(self.labels, self.class_names) if self.numbered else np.zeros_like(self.labels)

    def overlay(self) -> np.ndarray:
        """The picture ``teethseg predict`` writes as ``<stem>_overlay.png`` (uint8 RGB HxWx3): each tooth in
        its colour with its FDI number, the numbers to check with '?', and a legend of the missing teeth."""
        from teethseg.io.overlay import numbered_overlay, overlay

        if self.shows_numbers:
            return numbered_overlay(self.image, self.labels, self.teeth, self.class_names)
        # binary models, and close views: each tooth in its own colour, without its unsure number
        return overlay(self.image, self.labels, class_names=self.class_names)

    def save(self, folder: str | Path, stem: str | None = None, outputs: tuple[str, ...] | None = None) -> list[Path]:
        """Write the files ``teethseg predict`` writes for this radiograph into ``folder``; the paths written.

        ``stem``: the files' common name (default: the source file's stem, else ``result``);
        ``outputs``: some of ``mask``, ``overlay``, ``teeth``, ``json`` (default: all).
        """
        from teethseg.predict.outputs import write_result  # the files of a result (predict/ uses this module)

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = stem or (Path(self.source).stem if self.source else "result")
        return write_result(self, folder, stem, outputs=outputs)

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
