"""``teethseg predict --engine ray``: an archive's radiographs segmented on a Ray cluster.

The list of (input, output stem) pairs becomes a Ray Dataset; ``map_batches`` sends groups of
inputs to a pool of actors, each of which loads the model once and then reads, segments and
writes its inputs with the local engine's own code (``teethseg.predict.groups.segment_group``), so the
outputs and their names are the same file for file. Images travel as paths, not bytes: every
worker reads its inputs from, and writes to, a file system all of them see (so the paths sent,
and the JSON's ``source``, are absolute). The driver prints
each input's line as it comes back and a progress bar.

Ray is an optional extra (``pip install 'teethseg[ray]'``) and imported only here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from teethseg.errors import TeethsegError
from teethseg.predict.groups import report_lines

INSTALL_HINT = "--engine ray needs Ray: pip install 'teethseg[ray]'"
# Inputs an actor takes at once: enough to keep it busy, few enough that the progress moves.
INPUTS_PER_CALL = 4


def require_ray() -> Any:
    """The ``ray`` module with Ray Data; one line on how to install it when it is missing."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise TeethsegError(None, INSTALL_HINT) from None
    return ray


class _Segmenting:
    """One actor: the model loaded once, then each batch of inputs read, segmented and written."""

    def __init__(self, out_dir: str, options: dict[str, Any], dicom: tuple[bool, bool],
                 outputs: tuple[str, ...] | None = None, force: bool = False) -> None:
        from teethseg.inference.load import load_model
        from teethseg.io.images import quiet_decoders

        quiet_decoders()
        self.out_dir, self.dicom, self.outputs, self.force = Path(out_dir), dicom, outputs, force
        self.batch_size = options.pop("batch_size")
        threshold = options.pop("threshold", None)
        self.segmenter = load_model(**options)
        if threshold is not None:
            self.segmenter.threshold = threshold

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        from teethseg.predict.groups import segment_group

        jobs = [(Path(str(path)), str(stem)) for path, stem in zip(batch["path"], batch["stem"])]
        outcome = segment_group(jobs, self.segmenter, self.batch_size, self.out_dir, self.dicom, outputs=self.outputs,
                                force=self.force)
        return {"frames": [frames for frames, _ in outcome], "lines": [json.dumps(lines) for _, lines in outcome]}


def predict_on_ray(
    jobs: list[tuple[Path, str]], out_dir: Path, problems: list[str], *, address: str | None, num_workers: int | None,
    model: str | None, device: str, backend: str, batch_size: int, mirror: bool, numbering: Any,
    dicom: tuple[bool, bool], threshold: float | None = None, outputs: tuple[str, ...] | None = None,
    quiet: bool = False, rows: list[tuple[int, dict[str, Any]]] | None = None, force: bool = False,
) -> tuple[int, int]:
    """Segment ``jobs`` on Ray with ``num_workers`` actors (default: one per CPU of the cluster);
    print each input's line; add failures to ``problems``; return (images written, images incl. frames).

    ``address``: as ``ray.init`` takes it (``auto``: the running cluster, ``local``: a new Ray on this
    machine, ``ray://HOST:PORT``: Ray Client; default: ``RAY_ADDRESS`` or else a new local Ray).
    A Ray this process already started is used as it is, and left running. The caller has loaded
    the model once already, so one that cannot load is one line there, not an actor's traceback.
    """
    ray = require_ray()
    if num_workers is not None and num_workers < 1:
        raise TeethsegError(None, f"--num-workers must be at least 1, got {num_workers}")
    options = dict(path=model, device=device, backend=backend, threads=1, mirror=mirror, numbering=numbering, callers=1)
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, logging_level=logging.WARNING, include_dashboard=False, log_to_driver=False)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours below counts images, not Ray's blocks
        workers = num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        # On GPUs the actors share them (a fraction each), so that reading and post-processing,
        # which stay on the CPU, run in several actors per GPU.
        cluster_gpus = ray.cluster_resources().get("GPU", 0) if device != "cpu" else 0
        gpus = min(1.0, cluster_gpus / workers) if cluster_gpus else 0
        rows = [{"path": str(path.absolute()), "stem": stem} for path, stem in jobs]
        results = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), workers * 4))).map_batches(
            _Segmenting, batch_size=INPUTS_PER_CALL, concurrency=min(workers, len(rows)), num_cpus=1, num_gpus=gpus,
            fn_constructor_args=(str(out_dir.absolute()), {**options, "batch_size": batch_size, "threshold": threshold},
                                 dicom, outputs, force),
        )
        return _report(results.iter_rows(), len(jobs), problems, workers, quiet, rows)
    finally:
        if started:
            ray.shutdown()


def _report(
    results: Any, inputs: int, problems: list[str], workers: int, quiet: bool = False,
    rows: list[tuple[int, dict[str, Any]]] | None = None,
) -> tuple[int, int]:
    """Print each input's lines as its result arrives, and keep its summary rows in ``rows``;
    (images written, images incl. frames)."""
    done, total = 0, 0
    bar = tqdm(total=inputs, desc=f"predicting on {workers} Ray workers", unit="image",
               disable=True if inputs < 2 or quiet else None)
    for index, result in enumerate(results):
        frames = int(result["frames"])
        done += report_lines([tuple(line) for line in json.loads(result["lines"])], index, problems, quiet, rows)
        total += max(frames, 1)
        bar.update(1)
    bar.close()
    return done, total

