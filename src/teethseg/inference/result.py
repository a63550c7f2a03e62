"""The result of segmenting one radiograph, and the JSON record it is written as."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.inference.working_size import preview
from teethseg.teeth.fdi import labels_to_fdi
from teethseg.teeth.records import missing_teeth, numbers_to_check

# The files of a result ``save`` may write (DICOM outputs have their own options); all by default.
OUTPUT_KINDS = ("mask", "overlay", "teeth", "json")


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

        labels, teeth = self.labels, self.teeth
        if self.image.shape != labels.shape:  # segmented at the working size: the overlay is drawn at it
            labels, teeth = preview(labels, teeth, self.image.shape)
        if self.shows_numbers:
            return numbered_overlay(self.image, labels, teeth, self.class_names)
        # binary models, and close views: each tooth in its own colour, without its unsure number
        return overlay(self.image, labels, class_names=self.class_names)

    def save(
        self, folder: str | Path, stem: str | None = None, outputs: tuple[str, ...] | None = None,
        dicom_seg: bool = False, dicom_sr: bool = False, source_path: str | Path | None = None,
    ) -> list[Path]:
        """Write the files ``teethseg predict`` writes for this radiograph into ``folder``, the JSON last
        (its presence means the set is complete: ``--skip-existing`` relies on it); the paths written.

        ``stem``: the files' common name (default: the source file's stem, else ``result``);
        ``outputs``: some of ``OUTPUT_KINDS`` (default: all). A DICOM input also gets its Segmentation,
        any input with ``dicom_seg``, and a report with ``dicom_sr`` (``teethseg.dicom_out``);
        ``source_path``: the input file when it is not at ``source`` (the service keeps uploads privately).
        Masks and the label map have the input's exact size; an image segmented at the working size
        has its overlay drawn at that size.
        """
        from teethseg.io.files import write_json, write_png

        chosen = set(OUTPUT_KINDS if outputs is None else outputs)
        if chosen - set(OUTPUT_KINDS):
            raise ValueError(f"unknown outputs {sorted(chosen - set(OUTPUT_KINDS))}; choose from {', '.join(OUTPUT_KINDS)}")
        out, stem = Path(folder), stem or (Path(self.source).stem if self.source else "result")
        written = []
        if "mask" in chosen:
            written.append(out / f"{stem}_mask.png")
            write_png(written[-1], np.where(self.mask, np.uint8(255), np.uint8(0)))
        if "overlay" in chosen:
            written.append(out / f"{stem}_overlay.png")
            write_png(written[-1], self.overlay())
        if self.numbered and "teeth" in chosen:
            written.append(out / f"{stem}_teeth.png")
            write_png(written[-1], self.labels)
        if dicom_seg or dicom_sr or "dicom" in self.extra:  # pydicom and highdicom load only when needed (0.2 s)
            from teethseg.dicom_out.files import write_dicom_outputs

            written.extend(write_dicom_outputs(self, out, stem, seg=dicom_seg, sr=dicom_sr, source_path=source_path))
        if "json" in chosen:
            written.append(out / f"{stem}.json")
            write_json(written[-1], self.summary())
        return written

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
