"""OpenVINO on the CPU: the bundled networks' INT8 twins, softmax, mirror and ensemble folded into one graph.

The INT8 twins (``tools/quantise_model.py``) run 2-3x faster than the float networks in ONNX
Runtime on CPUs with VNNI or AMX. Each model is one compiled graph: the image and its mirror as a
batch of two, every member network, softmax, the mirror's classes renamed and flipped back and the
mean of all, so Python gets the probabilities in one call. Compiled graphs are kept in the
user's cache folder (skipped when it is not writable) and imported from there. The thread that
compiles a graph first checks the files against their checksums and, once compiled, makes its first
calls, before any worker thread gets it (two threads' first calls at the same moment could
deadlock). Compiling runs beside the loading thread, so a caller that knows early what it will run
has its graphs ready while it imports the rest (``start_early``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError
from teethseg.nn.checksums import verified_sha256

# OpenVINO's model reading, writing and compiling, one at a time: run in two threads at once they can
# leave the process's locale at "C" (Python's default encoding then ASCII); compiling both graphs at
# once was no faster on 2 cores anyway (0.28 against 0.30 s from the cache).
_OPENVINO_IO = threading.Lock()
# Changes with the code that builds the folded graph, so that a cached graph of older code is not used.
GRAPH_VERSION = 2
# Compiled graphs not used for this many days leave the cache when a new one is written.
PRUNE_DAYS = 30
# Float operations outside the INT8 convolutions run in float32: AMX CPUs would otherwise pick bfloat16.
PRECISION = "f32"


class OpenVinoFailed(TeethsegError):
    """OpenVINO could not be imported or could not compile a graph (a broken install, an unsupported
    CPU): ``auto`` then falls back to the float networks."""


def available() -> bool:
    """Whether OpenVINO is installed (it is a dependency, but installs may lack it on some platforms);
    found without importing it, which the compiling thread does."""
    return importlib.util.find_spec("openvino") is not None


def cache_folder() -> Path | None:
    """Where compiled graphs are kept between runs: a writable user cache folder, or None (no cache)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "teethseg" / "openvino"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return root if os.access(root, os.W_OK | os.X_OK) else None


def _core() -> Any:
    import openvino as ov

    return ov.Core()


# Classes from which the softmax, flips and means run channels-last, the layout the CPU plugin gives
# such outputs in (the 33-class numbering network: 37 against 45 ms a mirrored pass on one core);
# with few classes (the 3-class mask network) channels-first is faster (38 against 61 ms).
CHANNELS_LAST_FROM = 16


def folded_graph(members: list[Path], flip_table: np.ndarray | None, batch_size: int = 1) -> Any:
    """One graph: each member network on the image (and on its mirror when ``flip_table`` is given),
    softmax over classes, the mirror's probabilities renamed by ``flip_table`` and flipped back, all averaged.

    ``flip_table[c]``: the class that class c of a mirror image is in the radiograph itself. The
    batch size is fixed: OpenVINO runs a static graph about 1.7x faster than one with a dynamic batch.
    The output is N x C x H x W.
    """
    import openvino as ov
    import openvino.opset13 as ops

    core = _core()
    networks = [core.read_model(str(path)) for path in members]
    shape = networks[0].inputs[0].get_partial_shape()
    classes = networks[0].outputs[0].get_partial_shape()[1].get_length()
    channels_last = classes >= CHANNELS_LAST_FROM
    class_axis, width_axis = (3, 2) if channels_last else (1, 3)
    width = shape[3].get_length()
    image = ops.parameter(ov.PartialShape([batch_size, 1, shape[2], shape[3]]), ov.Type.f32, name="image")
    batch = image.output(0)
    if flip_table is not None:
        batch = ops.concat([image, _flipped(image, 3, width)], 0).output(0)
    outputs = []
    for network in networks:
        parameter = network.get_parameters()[0]
        for target in list(parameter.output(0).get_target_inputs()):
            target.replace_source_output(batch)
        logits = network.get_results()[0].input_value(0)
        if channels_last:
            logits = ops.transpose(logits, ops.constant(np.array([0, 2, 3, 1], np.int64)))
        probabilities = ops.softmax(logits, class_axis)
        if flip_table is not None:
            direct, seen_mirrored = ops.split(probabilities, 0, 2).outputs()
            renamed = ops.gather(seen_mirrored, np.argsort(flip_table).astype(np.int64), class_axis)
            probabilities = ops.add(direct, _flipped(renamed, width_axis, width))
        outputs.append(probabilities)
    total = outputs[0]
    for output in outputs[1:]:
        total = ops.add(total, output)
    scale = np.float32(1 / (len(outputs) * (2 if flip_table is not None else 1)))
    mean = ops.multiply(total, ops.constant(scale))
    if channels_last:
        mean = ops.transpose(mean, ops.constant(np.array([0, 3, 1, 2], np.int64)))
    mean.output(0).set_names({"probabilities"})
    return ov.Model([ops.result(mean)], [image], "teethseg")


def _flipped(node: Any, axis: int, length: int) -> Any:
    """The node's output mirrored along ``axis`` of ``length``: a gather of its columns backwards (the CPU
    plugin runs a gather vectorised, a slice with a negative step element by element: 29 against 32 ms
    for the mask network with its mirror on one core)."""
    import openvino.opset13 as ops

    return ops.gather(node, ops.constant(np.arange(length - 1, -1, -1, dtype=np.int64)), ops.constant(np.int64(axis)))


def first_calls(compiled: Any, streams: int) -> None:
    """Each stream's first inference, made by the thread that compiled the graph before any other thread
    gets it: two worker threads' first calls at the same moment could deadlock."""
    shape = list(compiled.inputs[0].get_shape())
    requests = [compiled.create_infer_request() for _ in range(streams)]
    for request in requests:  # at once: each runs on a stream of its own
        request.start_async({0: np.zeros(shape, np.float32)})
    for request in requests:
        request.wait()


def compiled_key(members: list[Path], flip_table: np.ndarray | None, batch_size: int, config: dict[str, Any],
                 checksums: list[str] | None, core: Any) -> str:
    """The name of a compiled graph in the cache: everything it is made of and compiled for.

    ``checksums``: the members' files' checksums when they have been verified already, so that the
    files are not read and hashed a second time at start-up; else their bytes are hashed. The CPU's
    instruction sets are in it too, so that a home folder shared by several machines holds a graph
    compiled for each.
    """
    import openvino as ov

    digest = hashlib.sha256(f"{GRAPH_VERSION} {ov.__version__} {batch_size} {CHANNELS_LAST_FROM}".encode())
    digest.update(b"-" if flip_table is None else np.asarray(flip_table, np.int64).tobytes())
    digest.update(repr(sorted(config.items())).encode() + _cpu_signature(core).encode())
    if checksums is not None:
        digest.update(" ".join(checksums).encode())
    else:
        for member in members:
            for path in (member, member.with_suffix(".bin")):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _cpu_signature(core: Any) -> str:
    """The CPU as compiled code depends on it: its name, what OpenVINO can do on it and its instruction sets."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    return " | ".join([platform.machine(), str(core.get_property("CPU", "FULL_DEVICE_NAME")),
                       " ".join(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")), flags.strip()])


def imported(core: Any, blob: Path, config: dict[str, Any]) -> Any:
    """The compiled graph exported to ``blob`` before, or None when there is none or it cannot be read
    (then it is compiled and written again). Importing is 4-5 times faster than compiling from
    OpenVINO's own cache (the mask graph 0.04 against 0.16 s, measured alone)."""
    try:
        data = blob.read_bytes()
        compiled = core.import_model(data, "CPU", config)
    except (OSError, RuntimeError):
        return None
    try:
        os.utime(blob)  # in use: not pruned
    except OSError:
        pass
    return compiled


def export(compiled: Any, blob: Path) -> None:
    """Keep a compiled graph in the cache (written whole or not at all), and prune what was not used for
    ``PRUNE_DAYS`` (graphs of older versions or settings). A cache that cannot be written is no error."""
    staging = blob.with_name(f".{blob.name}-{os.getpid()}-{threading.get_ident()}")
    try:
        exported = compiled.export_model()
        staging.write_bytes(exported if isinstance(exported, bytes) else exported.getvalue())
        staging.replace(blob)
        oldest = time.time() - PRUNE_DAYS * 86400
        for entry in blob.parent.iterdir():
            if entry != blob and entry.is_file() and entry.stat().st_mtime < oldest:
                entry.unlink(missing_ok=True)
    except (OSError, RuntimeError):
        staging.unlink(missing_ok=True)


class OpenVinoBackend:
    """INT8 networks whose mean probabilities (with the mirror image or without) come in one call.

    Work starts in a thread when the backend is made, while the loading thread goes on: the files are
    checked against ``checksums`` (``verified`` waits for that), then the graph compiles (graphs compile
    one at a time: ``_OPENVINO_IO``); ``warm_up`` waits for it and its first inferences.
    """

    name = "openvino"
    gives_probabilities = True

    def __init__(
        self, members: list[Path], flip_table: np.ndarray, mirror: bool, threads: int | None = None,
        checksums: list[str] | None = None, callers: int | None = None,
    ) -> None:
        self.members = [Path(path) for path in members]
        # Each member's graph and weights checksums, in that order: checked before the files are used, and
        # the compiled graph in the cache is named by them (``compiled_key``).
        self.checksums = checksums
        self.flip_table = np.asarray(flip_table)
        cores = os.cpu_count() or 1
        self.threads = max(1, min(threads or cores, cores))
        # One stream per caller thread (by default as many as ``threads`` per call leaves cores for), so
        # several threads' calls run at once: a single stream runs them one after the other.
        self.streams = max(1, callers or cores // self.threads)
        self._compiled: dict[tuple[bool, int], Future] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(1)  # one job at a time: the files are checked before any compiling
        self._verified = self._pool.submit(self._verify)
        self._start(mirror, 1)

    def _verify(self) -> None:
        if self.checksums is None:
            return
        files = [path for member in self.members for path in (member, member.with_suffix(".bin"))]
        for path, expected in zip(files, self.checksums, strict=True):
            verified_sha256(path, expected)

    def verified(self) -> None:
        """Wait until the files are checked; raise the error of one that is not what its checksum says."""
        self._verified.result()

    def _start(self, mirror: bool, batch_size: int) -> Future:
        with self._lock:
            key = (mirror, batch_size)
            if key not in self._compiled:
                self._compiled[key] = self._pool.submit(self._compile, mirror, batch_size)
            return self._compiled[key]

    def _compile(self, mirror: bool, batch_size: int) -> Any:
        """The compiled graph: imported from the cache when it holds it, else compiled and kept there.
        Never from files that failed their check."""
        self._verified.result()
        table = self.flip_table if mirror else None
        config = {"INFERENCE_NUM_THREADS": self.threads * self.streams, "NUM_STREAMS": self.streams,
                  "INFERENCE_PRECISION_HINT": PRECISION}
        with _OPENVINO_IO:
            core, cache = _core(), cache_folder()
            blob = None if cache is None else \
                cache / f"compiled-{compiled_key(self.members, table, batch_size, config, self.checksums, core)}.blob"
            compiled = None if blob is None else imported(core, blob, config)
            if compiled is None:
                compiled = core.compile_model(folded_graph(self.members, table, batch_size), "CPU", config)
                if blob is not None:
                    export(compiled, blob)
        first_calls(compiled, self.streams)
        return compiled

    def compiled(self, mirror: bool, batch_size: int) -> Any:
        """The compiled graph with the mirror image or without, for a batch size; compiled now if it was not yet."""
        try:
            return self._start(mirror, batch_size).result()
        except (RuntimeError, ImportError, OSError) as error:
            first_line = (str(error).splitlines() or [type(error).__name__])[0][:200]
            raise OpenVinoFailed(self.members[0], f"OpenVINO cannot compile the INT8 network ({first_line})") from None

    def warm_up(self, mirror: bool) -> None:
        """Wait until the graph for single images is compiled and has made its first calls."""
        self.compiled(mirror, 1)

    def probabilities(self, batch: np.ndarray, mirror: bool) -> np.ndarray:
        """Mean class probabilities (N x C x H x W) for a normalised batch (N x 1 x H x W)."""
        key = (mirror, len(batch))
        compiled = self.compiled(*key)
        requests = self._local.__dict__.setdefault("requests", {})
        request = requests.get(key)
        if request is None:  # an infer request serves one thread at a time: one per thread
            request = requests[key] = compiled.create_infer_request()
        # Asynchronous, so that the call runs on a stream of its own (a synchronous one runs on the first).
        request.start_async({0: np.ascontiguousarray(batch, dtype=np.float32)})
        request.wait()
        return request.get_output_tensor(0).data.copy()


# Backends begun by ``start_early``, by everything that makes them, until loading takes them (``early_or_new``).
_EARLY: dict[tuple, OpenVinoBackend] = {}
_EARLY_LOCK = threading.Lock()


def _key(members: list[Path], flip_table: np.ndarray, threads: int | None, checksums: list[str] | None,
         callers: int | None) -> tuple:
    cores = os.cpu_count() or 1
    return (tuple(str(Path(member).resolve()) for member in members), np.asarray(flip_table).tobytes(),
            max(1, min(threads or cores, cores)), tuple(checksums or ()), callers)


def start_early(
    members: list[Path], flip_table: np.ndarray, mirror: bool, threads: int | None, checksums: list[str],
) -> None:
    """Begin checking and compiling these INT8 files now, for the loading that ``early_or_new`` will do:
    so ``teethseg predict`` compiles while it imports the rest of teethseg."""
    backend = OpenVinoBackend(members, flip_table, mirror, threads, checksums)
    with _EARLY_LOCK:
        _EARLY[_key(members, flip_table, threads, checksums, None)] = backend


def early_or_new(
    members: list[Path], flip_table: np.ndarray, mirror: bool, threads: int | None, checksums: list[str] | None,
    callers: int | None = None,
) -> OpenVinoBackend:
    """The backend ``start_early`` began for these files and settings (taken: the next loading makes its
    own), else a new one."""
    with _EARLY_LOCK:
        backend = _EARLY.pop(_key(members, flip_table, threads, checksums, callers), None)
    if backend is None:
        return OpenVinoBackend(members, flip_table, mirror, threads, checksums, callers)
    backend._start(mirror, 1)
    return backend
