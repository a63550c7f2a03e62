"""Reading, segmenting and writing a group of inputs: the work each thread (or Ray actor) does.

A bad input gives its problem in one line and does not stop the others of the group; an image
that fails to segment is tried again alone, so it costs only itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError, one_line
from teethseg.inference.dental import NotDentalError, refuse_by_facts, refuse_unless_dental
from teethseg.inference.result import Result
from teethseg.io.dicom import with_areas_mm2
from teethseg.io.facts import SourceFacts
from teethseg.io.images import check_segmentable, read_frames_with_facts
from teethseg.predict.summary import failed_row, summary_row


def read_input(job: tuple[Path, str]) -> list[tuple[str, np.ndarray, dict[str, Any], SourceFacts]]:
    """Every frame of one input with its output stem, JSON extras (DICOM facts, frame index) and what
    reading saw that the grey frame no longer shows (``teethseg.io.facts``: for the dental check)."""
    frames, info, facts = read_frames_with_facts(job[0], reduce=True)
    for frame in frames:
        check_segmentable(frame, job[0])
    items = []
    for i, frame in enumerate(frames):
        extra: dict[str, Any] = {"dicom": info} if info else {}
        stem = job[1]
        if len(frames) > 1:
            stem = f"{job[1]}_frame{i:03d}"
            extra.update(frame=i, frames=len(frames))
        items.append((stem, frame, extra, facts))
    return items


def with_source_facts(result: Result, extra: dict[str, Any]) -> Result:
    """Attach DICOM facts and areas in mm² (when the pixel spacing is known) to a result."""
    result.extra.update(extra)
    if "dicom" in extra:
        result.teeth = with_areas_mm2(result.teeth, extra["dicom"])
    return result


def segment_group(
    jobs: list[tuple[Path, str]], segmenter: Any, batch_size: int, out_dir: Path, dicom: tuple[bool, bool] = (False, False),
    outputs: tuple[str, ...] | None = None, force: bool = False,
) -> list[tuple[int, list[tuple[bool, str, dict[str, Any]]]]]:
    """Read, segment and write a group of inputs (every frame).

    Per input: its number of frames and a (failed, line, summary row) per frame written or problem
    met. A bad input gives its problem and does not stop the others of the group; one that is no
    dental radiograph too, unless ``force`` (its tags or colour say so before any network runs).
    """
    frames, outcome = [], []
    for job in jobs:
        try:
            items = read_input(job)
            if items and not force:
                refuse_by_facts(items[0][3], str(job[0]))
        except TeethsegError as error:
            outcome.append((0, [(True, str(error), failed_row(str(error), job[0]))]))
            continue
        except Exception as error:  # noqa: BLE001 - a decoder's own failure is this file's problem only
            line = f"{job[0]}: could not read ({type(error).__name__}: {one_line(error)})"
            outcome.append((0, [(True, line, failed_row(line, job[0]))]))
            continue
        frames.extend((len(outcome), job[0], item) for item in items)
        outcome.append((len(items), []))
    for start in range(0, len(frames), batch_size):
        chunk = frames[start : start + batch_size]
        for (index, path, (stem, _, extra, _)), result in zip(chunk, _predict_each(segmenter, chunk)):
            if isinstance(result, str):
                outcome[index][1].append((True, f"{path}: {result}", failed_row(result, path)))
                continue
            try:
                if not force:
                    refuse_unless_dental(result.extra, str(path))
            except NotDentalError as error:
                outcome[index][1].append((True, str(error), failed_row(str(error), path)))
                continue
            result = with_source_facts(result, extra)
            try:
                names = ", ".join(p.name for p in result.save(out_dir, stem, outputs, *dicom))
            except Exception as error:  # noqa: BLE001 - nothing of this image is left half-written
                line = f"{path}: could not write outputs ({one_line(error)})"
                outcome[index][1].append((True, line, failed_row(line, path)))
                continue
            outcome[index][1].append((False, f"{path}: {100 * result.mask.mean():.1f}% teeth, {len(result.teeth)} "
                                             f"{result.teeth_count_kind}{_numbers_note(result)}{_look_notes(result)} "
                                             f"-> {out_dir}: {names}", summary_row(result.summary(), stem)))
    return outcome


def _predict_each(
    segmenter: Any, chunk: list[tuple[int, Path, tuple[str, np.ndarray, dict, SourceFacts]]],
) -> list[Result | str]:
    """The results of a batch, or for an image that could not be segmented the reason in words.

    A batch that fails is segmented again one image at a time, so one bad image costs only itself.
    """
    try:
        return segmenter.predict_batch([item[1] for _, _, item in chunk], [str(path) for _, path, _ in chunk],
                                       [item[3] for _, _, item in chunk])
    except Exception as error:  # noqa: BLE001 - any failure of one image must not stop the folder
        if len(chunk) > 1:
            return [result for one in chunk for result in _predict_each(segmenter, [one])]
        return [f"could not segment ({type(error).__name__}: {one_line(error)})"]


def _numbers_note(result: Result) -> str:
    """The FDI numbers to check, for the line printed per radiograph ('' when there are none)."""
    unsure = result.numbers_to_check
    return f", numbers to check: {', '.join(map(str, unsure))}" if unsure else ""


def _look_notes(result: Result) -> str:
    """How the teeth were seen other than as given, for the line printed per radiograph ('' when they were not)."""
    notes = ["a negative: segmented inverted"] if result.extra.get("inverted") else []
    if result.extra.get("close_view"):
        notes.append("a close view: mask by the close-up network, FDI numbers unsure")
    look = result.extra.get("second_look")
    if look:
        notes.append(f"teeth {look['tooth_scale']:.2f}x typical size: segmented again, framed as in training")
    return f" ({'; '.join(notes)})" if notes else ""


def report_lines(
    lines: list[tuple[bool, str, dict[str, Any]]], index: int, problems: list[str], quiet: bool = False,
    rows: list[tuple[int, dict[str, Any]]] | None = None,
) -> int:
    """Print one input's lines (problems to stderr, added to ``problems``; the rest unless ``quiet``)
    and keep its summary rows under ``index``; how many images it wrote."""
    from tqdm import tqdm

    written = 0
    for failed, line, row in lines:
        if rows is not None:
            rows.append((index, row))
        if failed:
            problems.append(line)
            tqdm.write(f"teethseg: error: {line}", file=sys.stderr)
        else:
            written += 1
            if not quiet:
                tqdm.write(line)
    return written
