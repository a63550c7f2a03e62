"""Which DICOM objects ``predict`` writes beside a radiograph's PNGs and JSON, and writing them.

A single-frame DICOM input always gets ``<stem>_seg.dcm``; any input gets it with
``--dicom-seg``, and ``<stem>_sr.dcm`` (which refers to the SEG) with ``--dicom-sr``. Frames of
a multi-frame DICOM get none: a SEG of such a source must hold every frame at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from teethseg.errors import TeethsegError, one_line


def dicom_objects(result: Any, source: Dataset, sr: bool = False) -> list[tuple[str, Dataset]]:
    """(file suffix, dataset) of the SEG and, when asked, the SR of one prediction over ``source``."""
    from teethseg.dicom_out.seg import build_segmentation
    from teethseg.dicom_out.sr import build_report

    summary = result.summary()
    try:
        segmentation = build_segmentation(result.labels, result.class_names, source, result.model_name)
        objects = [("_seg.dcm", segmentation)]
        if sr:
            report = build_report(result.teeth, summary.get("missing_fdi", []), summary.get("numbers_to_check", []),
                                  segmentation, source, result.model_name)
            objects.append(("_sr.dcm", report))
    except TeethsegError as error:
        raise TeethsegError(result.source, error.problem) from None
    except Exception as error:  # highdicom refuses headers it cannot derive a SEG from, with several types
        raise TeethsegError(result.source, f"cannot build the DICOM outputs ({one_line(error)})") from None
    return objects


def write_dicom_outputs(
    result: Any, out: Path, stem: str, seg: bool = False, sr: bool = False, source_path: str | Path | None = None,
) -> list[Path]:
    """Write ``<stem>_seg.dcm`` (and ``<stem>_sr.dcm``) when due, atomically; the paths written.

    ``source_path``: where the DICOM input is, when not at ``result.source`` (the service keeps an
    upload under a private name and reports the client's).
    """
    from teethseg.dicom_out.seg import write_segmentation
    from teethseg.dicom_out.source import source_for

    dicom = result.extra.get("dicom")
    if result.extra.get("frames", 1) > 1 or not (dicom or seg or sr):
        return []
    source = source_for(source_path or result.source, result.labels, dicom)
    return [write_segmentation(out / f"{stem}{suffix}", dataset)
            for suffix, dataset in dicom_objects(result, source, sr=sr)]
