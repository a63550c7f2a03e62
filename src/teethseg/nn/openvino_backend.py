"""OpenVINO on the CPU: the bundled networks' INT8 twins, softmax, mirror and ensemble folded into one graph.

The INT8 twins (``tools/quantise_model.py``) run 2-3x faster than the float networks in ONNX
Runtime on CPUs with VNNI or AMX. Each model is one compiled graph: the image and its mirror as a
batch of two, every member network, softmax, the mirror's classes renamed and flipped back and the
mean of all, so Python gets the probabilities in one call. Compiled graphs are cached in the
user's cache folder (skipped when it is not writable); the thread that compiles a graph makes
its first calls, before any worker thread gets it (two threads' first calls at the same moment
could deadlock), and loading waits for that.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from teethseg.errors import TeethsegError

# OpenVINO's model reading, writing and compiling, one at a time: run in two threads at once they can
# leave the process's locale at "C" (Python's default encoding then ASCII); compiling both graphs at
# once was no faster on 2 cores anyway (0.28 against 0.30 s from the cache).
_OPENVINO_IO = threading.Lock()
# Changes with the code that builds the folded graph, so that a cached graph of older code is not used.
GRAPH_VERSION = 1
# Float operations outside the INT8 convolutions run in float32: AMX CPUs would otherwise pick bfloat16.
PRECISION = "f32"


def available() -> bool:
    """Whether OpenVINO is installed (it is a dependency, but installs may lack it on some platforms)."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


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
    image = ops.parameter(ov.PartialShape([batch_size, 1, shape[2], shape[3]]), ov.Type.f32, name="image")
    batch = image.output(0)
    if flip_table is not None:
        batch = ops.concat([image, _flipped(image, 3)], 0).output(0)
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
            probabilities = ops.add(direct, _flipped(renamed, width_axis))
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


def _flipped(node: Any, axis: int) -> Any:
    """The node's output mirrored along ``axis`` (read backwards)."""
    import openvino.opset13 as ops

    return ops.slice(node, np.array([-1], np.int64), np.array([np.iinfo(np.int64).min], np.int64),
                     np.array([-1], np.int64), np.array([axis], np.int64))


def first_calls(compiled: Any, streams: int) -> None:
    """Each stream's first inference, made by the thread that compiled the graph before any other thread
    gets it: two worker threads' first calls at the same moment could deadlock."""
    shape = list(compiled.inputs[0].get_shape())
    requests = [compiled.create_infer_request() for _ in range(streams)]
    for request in requests:  # at once: each runs on a stream of its own
        request.start_async({0: np.zeros(shape, np.float32)})
    for request in requests:
        request.wait()


def cached_graph(
    cache: Path, members: list[Path], flip_table: np.ndarray | None, batch_size: int,
    fingerprints: list[str] | None = None,
) -> Path:
    """The folded graph saved in the cache folder, named by everything it is made of, written once.

    ``fingerprints``: the members' files' checksums when the caller has verified them already, so
    that the files are not read and hashed a second time at start-up; else their bytes are hashed.
    """
    import openvino as ov

    digest = hashlib.sha256(f"{GRAPH_VERSION} {ov.__version__} {batch_size} {CHANNELS_LAST_FROM}".encode())
    digest.update(b"-" if flip_table is None else np.asarray(flip_table, np.int64).tobytes())
    if fingerprints is not None:
        digest.update(" ".join(fingerprints).encode())
    else:
        for member in members:
            for path in (member, member.with_suffix(".bin")):
                digest.update(path.read_bytes())
    graph = cache / f"graph-{digest.hexdigest()[:32]}.xml"
    if not graph.is_file():
        staging = cache / f".{graph.stem}-{os.getpid()}-{threading.get_ident()}.xml"
        ov.save_model(folded_graph(members, flip_table, batch_size), str(staging), compress_to_fp16=False)
        staging.with_suffix(".bin").replace(graph.with_suffix(".bin"))
        staging.replace(graph)  # last: a graph file is always complete
    return graph


class OpenVinoBackend:
    """INT8 networks whose mean probabilities (with the mirror image or without) come in one call.

    Compiling starts in a thread when the backend is made, while the loading thread goes on (graphs
    compile one at a time: ``_OPENVINO_IO``); ``warm_up`` waits for it and makes the first inferences.
    """

    name = "openvino"
    gives_probabilities = True

    def __init__(
        self, members: list[Path], flip_table: np.ndarray, mirror: bool, threads: int | None = None,
        fingerprints: list[str] | None = None,
    ) -> None:
        self.members = [Path(path) for path in members]
        self.fingerprints = fingerprints  # the members' verified checksums (``cached_graph``)
        self.flip_table = np.asarray(flip_table)
        cores = os.cpu_count() or 1
        self.threads = max(1, min(threads or cores, cores))
        # One stream per caller thread (``threads`` per call leaves cores // threads such threads), so
        # several threads' calls run at once: a single stream runs them one after the other.
        self.streams = max(1, cores // self.threads)
        self._compiled: dict[tuple[bool, int], Future] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(1)
        self._start(mirror, 1)

    def _start(self, mirror: bool, batch_size: int) -> Future:
        with self._lock:
            key = (mirror, batch_size)
            if key not in self._compiled:
                self._compiled[key] = self._pool.submit(self._compile, mirror, batch_size)
            return self._compiled[key]

    def _compile(self, mirror: bool, batch_size: int) -> Any:
        """The compiled graph; from the cache when it holds it (its graph is kept there as a file, which
        OpenVINO finds its compiled form of without building or hashing the graph again)."""
        table = self.flip_table if mirror else None
        config = {"INFERENCE_NUM_THREADS": self.threads * self.streams, "NUM_STREAMS": self.streams,
                  "INFERENCE_PRECISION_HINT": PRECISION}
        with _OPENVINO_IO:
            compiled, core, cache = None, _core(), cache_folder()
            if cache is not None:
                try:
                    graph = cached_graph(cache, self.members, table, batch_size, self.fingerprints)
                    compiled = core.compile_model(str(graph), "CPU", {**config, "CACHE_DIR": str(cache)})
                except (OSError, RuntimeError):  # a cache that cannot be written after all (full disk, read-only mount)
                    pass
            if compiled is None:
                compiled = core.compile_model(folded_graph(self.members, table, batch_size), "CPU", config)
        first_calls(compiled, self.streams)
        return compiled

    def compiled(self, mirror: bool, batch_size: int) -> Any:
        """The compiled graph with the mirror image or without, for a batch size; compiled now if it was not yet."""
        try:
            return self._start(mirror, batch_size).result()
        except RuntimeError as error:
            raise TeethsegError(self.members[0], f"OpenVINO cannot compile the INT8 network ({str(error).splitlines()[0][:200]})") from None

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
