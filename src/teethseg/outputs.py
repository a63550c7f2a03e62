"""``teethseg predict``: expand inputs, segment each radiograph, write its files atomically.

For ``<stem>`` it writes ``<stem>_mask.png`` (0/255 at the input's size), ``<stem>_overlay.png``,
``<stem>_teeth.png`` (numbering models only) and ``<stem>.json``. A bad file is reported in one
line and the others are still processed; the exit code is non-zero when any input failed.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from teethseg.api import load_model
from teethseg.errors import TeethsegError
from teethseg.io import is_image_file, write_json, write_png
from teethseg.predict import Result
from teethseg.report import overlay


def sample_paths() -> list[Path]:
    """The radiographs shipped with teethseg for a first try."""
    folder = Path(str(resources.files("teethseg") / "samples"))
    return sorted(p for p in folder.iterdir() if is_image_file(p))


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as their image files (sorted); problems for the rest."""
    files, problems = [], []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and is_image_file(p))
            if not found:
                problems.append(f"{path}: folder holds no images")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"{path}: file not found")
    return files, problems


def write_result(result: Result, out: Path, stem: str) -> list[Path]:
    """Write every output of one radiograph; return the paths written."""
    written = [out / f"{stem}_mask.png", out / f"{stem}_overlay.png"]
    write_png(written[0], np.where(result.mask, 255, 0).astype(np.uint8))
    write_png(written[1], overlay(result.image, result.labels))
    if result.numbered:
        written.append(out / f"{stem}_teeth.png")
        write_png(written[-1], result.labels)
    written.append(out / f"{stem}.json")
    write_json(written[-1], result.summary())
    return written


def _unique_stems(files: list[Path]) -> list[str]:
    """Output names: the file stem, made unique when two inputs share one."""
    seen: dict[str, int] = {}
    stems = []
    for path in files:
        count = seen.get(path.stem, 0)
        seen[path.stem] = count + 1
        stems.append(path.stem if count == 0 else f"{path.stem}-{count + 1}")
    return stems


def predict_command(inputs: list[str], out: str, model: str | None, device: str, sample: bool = False) -> int:
    """Segment every input; print what was written; return the exit code."""
    files, problems = expand_inputs(inputs)
    for problem in problems:
        print(f"teethseg: error: {problem}", file=sys.stderr)
    if sample:
        files = sample_paths() + files
    if not files and not problems:
        raise TeethsegError(None, "no input given: pass image files or folders, or --sample")
    segmenter = load_model(model, device) if files else None
    out_dir = Path(out)
    done = 0
    jobs = list(zip(files, _unique_stems(files)))
    for path, stem in tqdm(jobs, desc="predicting", unit="image", disable=len(jobs) < 2, leave=False):
        try:
            result = segmenter.predict(path)
            written = write_result(result, out_dir, stem)
        except TeethsegError as error:
            problems.append(str(error))
            tqdm.write(f"teethseg: error: {error}", file=sys.stderr)
            continue
        done += 1
        names = ", ".join(p.name for p in written)
        tqdm.write(f"{path}: {100 * result.mask.mean():.1f}% teeth, {len(result.teeth)} "
                   f"{result.summary()['teeth_count_kind']} -> {out_dir}/ {names}")
    print(f"{done} of {len(files)} images written to {out_dir}" + (f"; {len(problems)} failed" if problems else ""))
    return 0 if not problems else 1
