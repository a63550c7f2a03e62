"""The files a result becomes: ``<stem>_mask.png``, ``_overlay.png``, ``_teeth.png`` and ``<stem>.json``.

The JSON is written last, so its presence means the set is complete (``--skip-existing`` relies on it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from teethseg.dicom_out.files import write_dicom_outputs
from teethseg.inference.result import Result
from teethseg.io.files import write_json, write_png

# The files ``--outputs`` may choose from (DICOM outputs have their own options); all by default.
OUTPUT_KINDS = ("mask", "overlay", "teeth", "json")


def write_result(
    result: Result, out: Path, stem: str, dicom_seg: bool = False, dicom_sr: bool = False,
    source_path: str | Path | None = None, outputs: tuple[str, ...] | None = None,
) -> list[Path]:
    """Write the outputs of one radiograph (``outputs``: some of ``OUTPUT_KINDS``, default all), the JSON
    last; return the paths written.

    ``source_path``: the input file when it is not at ``result.source`` (see ``write_dicom_outputs``).
    """
    chosen = set(OUTPUT_KINDS if outputs is None else outputs)
    unknown = chosen - set(OUTPUT_KINDS)
    if unknown:
        raise ValueError(f"unknown outputs {sorted(unknown)}; choose from {', '.join(OUTPUT_KINDS)}")
    written = []
    if "mask" in chosen:
        written.append(out / f"{stem}_mask.png")
        write_png(written[-1], np.where(result.mask, 255, 0).astype(np.uint8))
    if "overlay" in chosen:
        written.append(out / f"{stem}_overlay.png")
        write_png(written[-1], result.overlay())
    if result.numbered and "teeth" in chosen:
        written.append(out / f"{stem}_teeth.png")
        write_png(written[-1], result.labels)
    # DICOM outputs (teethseg.dicom_out): a SEG for DICOM inputs or with --dicom-seg, an SR with --dicom-sr.
    written.extend(write_dicom_outputs(result, out, stem, seg=dicom_seg, sr=dicom_sr, source_path=source_path))
    if "json" in chosen:
        written.append(out / f"{stem}.json")
        write_json(written[-1], result.summary())
    return written
