"""The files a result becomes: ``<stem>_mask.png``, ``_overlay.png``, ``_teeth.png`` and ``<stem>.json``.

The JSON is written last, so its presence means the set is complete (``--skip-existing`` relies on it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from teethseg.dicom_out.files import write_dicom_outputs
from teethseg.inference.result import Result
from teethseg.io.files import write_json, write_png
from teethseg.io.overlay import numbered_overlay, overlay


def write_result(
    result: Result, out: Path, stem: str, dicom_seg: bool = False, dicom_sr: bool = False,
    source_path: str | Path | None = None,
) -> list[Path]:
    """Write every output of one radiograph, the JSON last; return the paths written.

    ``source_path``: the input file when it is not at ``result.source`` (see ``write_dicom_outputs``).
    """
    written = [out / f"{stem}_mask.png", out / f"{stem}_overlay.png"]
    write_png(written[0], np.where(result.mask, 255, 0).astype(np.uint8))
    if result.shows_numbers:
        picture = numbered_overlay(result.image, result.labels, result.teeth, result.class_names)
    else:  # binary models, and close views: each tooth in its own colour, without its unsure number
        picture = overlay(result.image, result.labels, class_names=result.class_names)
    write_png(written[1], picture)
    if result.numbered:
        written.append(out / f"{stem}_teeth.png")
        write_png(written[-1], result.labels)
    # DICOM outputs (teethseg.dicom_out): a SEG for DICOM inputs or with --dicom-seg, an SR with --dicom-sr.
    written.extend(write_dicom_outputs(result, out, stem, seg=dicom_seg, sr=dicom_sr, source_path=source_path))
    written.append(out / f"{stem}.json")
    write_json(written[-1], result.summary())
    return written
