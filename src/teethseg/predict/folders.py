"""``teethseg predict``: expand files and folders, segment them in batches, write each one's files.

For ``<stem>`` it writes the files of ``teethseg.predict.outputs``. On a CPU each core segments its own
image, so decoding and writing overlap with the network. A bad file is reported in one line
and the others are still processed; the exit code is non-zero when any input failed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from teethseg.errors import TeethsegError, one_line
from teethseg.inference.dental import NotDentalError, facts_verdict, refuse_unless_dental
from teethseg.inference.load import load_model
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.inference.result import Result
from teethseg.io.dicom import with_areas_mm2
from teethseg.io.facts import SourceFacts
from teethseg.io.images import check_segmentable, is_image_file, read_frames_with_facts
from teethseg.nn.device import wants_cuda
from teethseg.predict.names import distinct, is_output_file, output_stems, outputs_complete
from teethseg.predict.outputs import write_result

# Images segmented at once on a CPU, each by its own thread.
MAX_WORKERS = 4

T = TypeVar("T")
R = TypeVar("R")


def sample_paths() -> list[Path]:
    """The radiographs shipped with teethseg for a first try."""
    folder = Path(str(resources.files("teethseg") / "samples"))
    return sorted(p for p in folder.iterdir() if is_image_file(p))


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as their image files (sorted, without teethseg's own outputs); problems for the rest."""
    files, problems = [], []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and is_image_file(p) and not is_output_file(p))
            if not found:
                problems.append(f"{path}: folder holds no images")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            problems.append(f"{path}: not a regular file (a pipe, socket or device), expected an image file")
        else:
            problems.append(f"{path}: file not found")
    return files, problems


def check_writable(out_dir: Path) -> None:
    """Make ``out_dir`` and write a file in it, before any image is segmented; one clear error when that fails."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".teethseg-check-"):
            pass
    except OSError as error:
        raise TeethsegError(out_dir, f"cannot write outputs there ({error.strerror or error})") from None


def prefetch(pool: ThreadPoolExecutor, function: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[tuple[T, Future]]:
    """Run ``function`` on items in the pool, at most ``ahead`` in flight, yielding in order."""
    pending: deque[tuple[T, Future]] = deque()
    for item in items:
        pending.append((item, pool.submit(function, item)))
        if len(pending) >= ahead:
            yield pending.popleft()
    while pending:
        yield pending.popleft()


def default_batch_size(device: str) -> int:
    """8 images per call on a GPU; 1 on a CPU, where batching gains nothing (measured) and costs memory."""
    return 8 if wants_cuda(device) else 1


def read_input(job: tuple[Path, str]) -> list[tuple[str, np.ndarray, dict[str, Any], SourceFacts]]:
    """Every frame of one input with its output stem, JSON extras (DICOM facts, frame index) and what
    reading saw that the grey frame no longer shows (``teethseg.io.facts``: for the dental check)."""
    frames, info, facts = read_frames_with_facts(job[0])
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


def predict_command(
    inputs: list[str], out: str, model: str | None, device: str = "auto", sample: bool = False,
    backend: str = "auto", batch_size: int | None = None, skip_existing: bool = False, mirror: bool = MIRROR_BY_DEFAULT,
    numbering: str | Path | list[str | Path] | None = None, dicom_seg: bool = False, dicom_sr: bool = False,
    force: bool = False,
) -> int:
    """Segment every input; print what was written; return the exit code.

    An input that does not look like a dental radiograph (``teethseg.inference.dental``) is a
    failed input with its reason, unless ``force``: then it is segmented and its JSON says so.
    """
    if batch_size is not None and batch_size < 1:
        raise TeethsegError(None, f"--batch-size must be at least 1, got {batch_size}")
    files, problems = expand_inputs(inputs)
    for problem in problems:
        print(f"teethseg: error: {problem}", file=sys.stderr)
    if sample:
        files = sample_paths() + files
    if not files and not problems:
        raise TeethsegError(None, "no input given: pass image files or folders, or --sample")
    out_dir = Path(out)
    files = distinct(files)
    jobs = list(zip(files, output_stems(files)))
    skipped = [job for job in jobs if skip_existing and outputs_complete(out_dir, job[1], job[0])]
    jobs = [job for job in jobs if job not in skipped]
    if skipped:
        print(f"skipping {len(skipped)} images already done in {out_dir}")
    if jobs:
        check_writable(out_dir)
    batch_size = batch_size or default_batch_size(device)
    # On a CPU, several images at once with one thread each beat one image on every core
    # (12 radiographs: 0.85 s against 1.24 s on 2 cores); at most MAX_WORKERS images are in
    # memory at once (a 3300x1500 panoramic needs about 300 MB). On a GPU, one batch at a time.
    cores = os.cpu_count() or 1
    workers = 1 if wants_cuda(device) else max(1, min(cores, len(jobs), MAX_WORKERS))
    threads = max(1, cores // workers) if workers > 1 else None
    segmenter = load_model(model, device, backend, threads=threads, mirror=mirror, numbering=numbering) if jobs else None
    done, total = _run(jobs, out_dir, segmenter, batch_size, workers, problems, dicom=(dicom_seg, dicom_sr), force=force)
    print(f"{done} of {total} images written to {out_dir}" + (f"; {len(problems)} failed" if problems else ""))
    return 0 if not problems else 1


def _segment(
    jobs: list[tuple[Path, str]], segmenter: Any, batch_size: int, out_dir: Path, dicom: tuple[bool, bool] = (False, False),
    force: bool = False,
) -> list[tuple[int, list[tuple[bool, str]]]]:
    """Read, segment and write a group of inputs (every frame).

    Per input: its number of frames and a (failed, line) pair per frame written or problem
    met. A bad input gives its problem and does not stop the others of the group; one that is
    no dental radiograph too, unless ``force`` (its tags or colour say so before any network runs).
    """
    frames, outcome = [], []
    for job in jobs:
        try:
            items = read_input(job)
            verdict = facts_verdict(items[0][3]) if items and not force else None
            if verdict is not None and not verdict.looks_dental:
                raise NotDentalError(str(job[0]), verdict.reason)
        except TeethsegError as error:
            outcome.append((0, [(True, str(error))]))
            continue
        except Exception as error:  # noqa: BLE001 - a decoder's own failure is this file's problem only
            outcome.append((0, [(True, f"{job[0]}: could not read ({type(error).__name__}: {one_line(error)})")]))
            continue
        frames.extend((len(outcome), job[0], item) for item in items)
        outcome.append((len(items), []))
    for start in range(0, len(frames), batch_size):
        chunk = frames[start : start + batch_size]
        for (index, path, (stem, _, extra, _)), result in zip(chunk, _predict_each(segmenter, chunk)):
            if isinstance(result, str):
                outcome[index][1].append((True, f"{path}: {result}"))
                continue
            try:
                refuse_unless_dental(result.extra, str(path)) if not force else None
            except NotDentalError as error:
                outcome[index][1].append((True, str(error)))
                continue
            result = with_source_facts(result, extra)
            try:
                names = ", ".join(p.name for p in write_result(result, out_dir, stem, *dicom))
            except Exception as error:  # noqa: BLE001 - nothing of this image is left half-written
                outcome[index][1].append((True, f"{path}: could not write outputs ({one_line(error)})"))
                continue
            outcome[index][1].append((False, f"{path}: {100 * result.mask.mean():.1f}% teeth, {len(result.teeth)} "
                                             f"{result.teeth_count_kind}{_numbers_note(result)}{_look_notes(result)} -> {out_dir}/ {names}"))
    return outcome


def _predict_each(segmenter: Any, chunk: list[tuple[int, Path, tuple[str, np.ndarray, dict, SourceFacts]]]) -> list[Result | str]:
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


def _run(
    jobs: list[tuple[Path, str]], out_dir: Path, segmenter: Any, batch_size: int, workers: int, problems: list[str],
    dicom: tuple[bool, bool] = (False, False), force: bool = False,
) -> tuple[int, int]:
    """Segment groups of ``batch_size`` inputs in ``workers`` threads, reporting in input order.

    Each thread reads, segments and writes its own images, so decoding and writing overlap
    with the network of the other threads. Returns (images written, images incl. frames).
    """
    done = 0
    bar = tqdm(total=len(jobs), desc="predicting", unit="image", disable=True if len(jobs) < 2 else None)
    groups = [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]
    with ThreadPoolExecutor(workers) as pool:
        segment = partial(_segment, segmenter=segmenter, batch_size=batch_size, out_dir=out_dir, dicom=dicom, force=force)
        for _, future in prefetch(pool, segment, groups, workers + 1):
            for frames, lines in future.result():
                bar.total += max(frames, 1) - 1
                for failed, line in lines:
                    if failed:
                        problems.append(line)
                        tqdm.write(f"teethseg: error: {line}", file=sys.stderr)
                    else:
                        done += 1
                        tqdm.write(line)
                bar.update(max(frames, 1))
    bar.close()
    return done, bar.total
