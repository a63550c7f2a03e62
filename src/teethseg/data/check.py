"""``teethseg data check``: what a dataset folder holds and everything wrong with it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from teethseg.data.index import DatasetIndex, Problem
from teethseg.data.layouts import find_layout
from teethseg.errors import TeethsegError
from teethseg.io.images import read_image


@dataclass
class CheckReport:
    """The findings of a dataset check."""

    index: DatasetIndex
    image_sizes: Counter = field(default_factory=Counter)
    mask_values: set[int] = field(default_factory=set)
    splits: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    good: int = 0


def check_dataset(root: str | Path, progress: bool = True) -> CheckReport:
    """Read every image and mask once; collect sizes, mask values and problems."""
    root = Path(root)
    index = find_layout(root).index(root)
    report = CheckReport(index, problems=list(index.problems))
    for sample in tqdm(index.samples, desc="checking", disable=None if progress else True, leave=False):
        report.splits[sample.split or "unsplit"] += 1
        try:
            image = read_image(sample.image)
        except TeethsegError as error:
            report.problems.append(Problem(sample.image, error.problem))
            continue
        report.image_sizes[(image.shape[1], image.shape[0])] += 1
        try:
            mask = index.read_mask(sample, image.shape)
        except TeethsegError as error:
            report.problems.append(Problem(Path(error.path or sample.image), error.problem))
            continue
        report.mask_values.update(int(v) for v in np.unique(mask))
        report.good += 1
    return report


def format_report(report: CheckReport) -> str:
    """The report as the lines ``teethseg data check`` prints."""
    index = report.index
    masks = sum(1 for s in index.samples if s.mask is not None)
    sizes = ", ".join(f"{w}x{h} ({n})" for (w, h), n in report.image_sizes.most_common(5))
    if len(report.image_sizes) > 5:
        sizes += f", and {len(report.image_sizes) - 5} other sizes"
    values = sorted(report.mask_values)
    value_text = ", ".join(map(str, values)) if len(values) <= 12 else f"{len(values)} values from {values[0]} to {values[-1]}"
    lines = [
        f"data:        {index.root}",
        f"layout:      {index.layout.name} ({index.layout.description})",
        f"images:      {len(index.samples)} with a mask ({masks} masks); {report.good} read cleanly",
        "splits:      " + ", ".join(f"{k} {v}" for k, v in sorted(report.splits.items())),
        f"image sizes: {sizes or 'none readable'}",
        f"mask values: {value_text or 'none readable'}",
    ]
    if index.class_names:
        shown = ", ".join(index.class_names[:8]) + (", ..." if len(index.class_names) > 8 else "")
        lines.append(f"classes:     {len(index.class_names)} ({shown})")
    lines.append(f"problems:    {len(report.problems)}")
    lines.extend(f"  {problem}" for problem in report.problems)
    return "\n".join(lines)


def check_command(root: str) -> int:
    """Print the report; exit code 1 when there are problems or no usable sample."""
    report = check_dataset(root)
    print(format_report(report))
    return 0 if report.good and not report.problems else 1
