"""``teethseg predict``: expand files and folders, segment them in batches, write each one's files.

For ``<stem>`` it writes the files of ``Result.save``. On a CPU each core segments its own
image, so decoding and writing overlap with the network. A bad file is reported in one line
and the others are still processed; the exit code is non-zero when any input failed.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from teethseg.errors import TeethsegError
from teethseg.inference.load import load_model
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.inference.result import OUTPUT_KINDS
from teethseg.io.destinations import check_writable
from teethseg.io.images import is_image_file
from teethseg.nn.device import wants_cuda
from teethseg.predict.groups import report_lines, segment_group
from teethseg.predict.listing import expand_lists, sample_paths
from teethseg.predict.names import distinct, is_output_file, output_stems, outputs_complete
from teethseg.predict.summary import SUMMARY_NAME, failed_row, rows_from_records, write_summary
from teethseg.predict.workers import cpu_workers

T = TypeVar("T")
R = TypeVar("R")


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



def predict_command(
    inputs: list[str], out: str, model: str | None, device: str = "auto", sample: bool = False,
    backend: str = "auto", batch_size: int | None = None, skip_existing: bool = False, mirror: bool = MIRROR_BY_DEFAULT,
    numbering: str | Path | list[str | Path] | None = None, dicom_seg: bool = False, dicom_sr: bool = False,
    threshold: float | None = None, outputs: tuple[str, ...] | None = None, quiet: bool = False, summary: bool = False,
    engine: str = "local", ray_address: str | None = None, num_workers: int | None = None, force: bool = False,
) -> int:
    """Segment every input; print what was written; return the exit code.

    ``threshold``: tooth probability from which a pixel is tooth (default 0.5); ``outputs``: which of
    ``OUTPUT_KINDS`` to write (default all); ``quiet``: print problems only; ``summary``: also write
    ``OUT/summary.csv``, one row per radiograph (``teethseg.predict.summary``); ``engine="ray"``:
    segment on a Ray cluster (``teethseg.predict.ray_engine``), with the same outputs. An input that
    does not look like a dental radiograph (``teethseg.inference.dental``) is a failed input with its
    reason, unless ``force``: then it is segmented and its JSON says so.
    """
    if batch_size is not None and batch_size < 1:
        raise TeethsegError(None, f"--batch-size must be at least 1, got {batch_size}")
    if threshold is not None and not 0 < threshold < 1:
        raise TeethsegError(None, f"--threshold must be a probability between 0 and 1 (exclusive), got {threshold}")
    if outputs is not None:
        unknown = sorted(set(outputs) - set(OUTPUT_KINDS))
        if unknown or not outputs:
            raise TeethsegError(None, f"--outputs takes some of {','.join(OUTPUT_KINDS)} (comma-separated), "
                                      f"got {','.join(outputs) or 'nothing'}")
        if skip_existing and "json" not in outputs:
            raise TeethsegError(None, "--skip-existing needs the json output: written last, it marks a complete set")
    say = (lambda *args, **kwargs: None) if quiet else print
    if engine == "ray":  # fail before any work when Ray is not installed
        from teethseg.predict.ray_engine import require_ray

        require_ray()
    inputs, listed_problems = expand_lists(inputs)  # text files of paths and glob patterns
    files, problems = expand_inputs(inputs)
    problems = listed_problems + problems
    for problem in problems:
        print(f"teethseg: error: {problem}", file=sys.stderr)
    if sample:
        files = sample_paths() + files
    if not files and not problems:
        raise TeethsegError(None, "no input given: pass image files or folders, or --sample")
    out_dir = Path(out)
    files = distinct(files)
    jobs = list(zip(files, output_stems(files)))
    complete = {job for job in jobs if skip_existing and outputs_complete(out_dir, job[1], job[0])}
    skipped = [job for job in jobs if job in complete]  # sets, not list scans: archives hold millions of inputs
    jobs = [job for job in jobs if job not in complete]
    if skipped:
        say(f"skipping {len(skipped)} images already done in {out_dir}")
    batch_size = batch_size or default_batch_size(device)
    workers, threads = cpu_workers(len(jobs), wants_cuda(device))
    segmenter = load_model(model, device, backend, threads=threads, mirror=mirror, numbering=numbering) if jobs else None
    created = not out_dir.exists()
    if jobs:  # after the model loads (a bad --model leaves no folder behind), before any image is segmented
        check_writable(out_dir)
    if segmenter is not None and threshold is not None:
        segmenter.threshold = threshold
    rows: list[tuple[int, dict[str, Any]]] = []
    unread = len(problems)  # inputs that were no files to read: missing, empty folders, pipes
    if engine == "ray" and jobs:  # the same jobs, segmented by Ray actors (each loads its own model)
        from teethseg.predict.ray_engine import predict_on_ray

        done, total = predict_on_ray(jobs, out_dir, problems, address=ray_address, num_workers=num_workers, model=model,
                                     device=device, backend=backend, batch_size=batch_size, mirror=mirror,
                                     numbering=numbering, dicom=(dicom_seg, dicom_sr), threshold=threshold,
                                     outputs=outputs, quiet=quiet, rows=rows, force=force)
    else:
        done, total = _run(jobs, out_dir, segmenter, batch_size, workers, problems, dicom=(dicom_seg, dicom_sr),
                           outputs=outputs, quiet=quiet, rows=rows, force=force)
    if summary:
        rows += [(len(jobs) + i, row) for i, (path, stem) in enumerate(skipped)  # after the inputs segmented now
                 for row in rows_from_records(out_dir, stem, path)]
        rows += [(len(rows) + i, failed_row(problem)) for i, problem in enumerate(problems[:unread])]
        write_summary(out_dir / SUMMARY_NAME, [row for _, row in sorted(rows, key=lambda item: item[0])])
    if created and out_dir.is_dir() and not any(out_dir.iterdir()):  # every input failed: no empty folder left
        out_dir.rmdir()
    total += unread
    failed = f"; {len(problems)} failed" if problems else ""
    say(f"{done} of {total} images written to {out_dir}{failed}" + (f"; summary: {out_dir / SUMMARY_NAME}" if summary else ""))
    return 0 if not problems else 1



def _run(
    jobs: list[tuple[Path, str]], out_dir: Path, segmenter: Any, batch_size: int, workers: int, problems: list[str],
    dicom: tuple[bool, bool] = (False, False), outputs: tuple[str, ...] | None = None, quiet: bool = False,
    rows: list[tuple[int, dict[str, Any]]] | None = None, force: bool = False,
) -> tuple[int, int]:
    """Segment groups of ``batch_size`` inputs in ``workers`` threads, reporting in input order.

    Each thread reads, segments and writes its own images, so decoding and writing overlap
    with the network of the other threads. ``rows`` receives (input index, summary row) per
    radiograph. Returns (images written, images incl. frames).
    """
    done = 0
    bar = tqdm(total=len(jobs), desc="predicting", unit="image", disable=True if len(jobs) < 2 or quiet else None)
    groups = [jobs[i : i + batch_size] for i in range(0, len(jobs), batch_size)]
    index = 0
    with ThreadPoolExecutor(workers) as pool:
        segment = partial(segment_group, segmenter=segmenter, batch_size=batch_size, out_dir=out_dir, dicom=dicom,
                          outputs=outputs, force=force)
        for _, future in prefetch(pool, segment, groups, workers + 1):
            for frames, lines in future.result():
                bar.total += max(frames, 1) - 1
                done += report_lines(lines, index, problems, quiet, rows)
                bar.update(max(frames, 1))
                index += 1
    bar.close()
    return done, bar.total
