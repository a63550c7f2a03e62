"""The bundled networks' INT8 twins in OpenVINO: one graph gives what the Python mirror and ensemble gave,
compiled graphs are cached (and a cache that cannot be written is no error), and many predictions
started at once from several threads finish."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import teethseg
from teethseg.errors import TeethsegError
from teethseg.inference.mirror import mirror_average
from teethseg.inference.network import softmax
from teethseg.nn.bundled import default_card, numbering_entries, weights_folder
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.openvino_backend import PRECISION, OpenVinoBackend, available, cache_folder
from teethseg.predict.folders import sample_paths
from teethseg.teeth.fdi import fdi_flip_table

pytestmark = pytest.mark.skipif(not available(), reason="OpenVINO is not installed")


def _one_network(xml: Path):
    """The network alone, softmax in Python; static shapes, as the folded graph (dynamic ones round otherwise)."""
    import openvino as ov

    def scores(images: list[np.ndarray]) -> np.ndarray:
        model = ov.Core().read_model(str(xml))
        model.reshape([len(images), 1, *images[0].shape])
        compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": 1, "INFERENCE_PRECISION_HINT": PRECISION})
        return softmax(compiled(np.stack(images)[:, None])[0])

    return scores


def test_one_graph_gives_the_mean_of_the_mirror_averaged_probabilities_of_each_network():
    card, folder = default_card(), weights_folder()
    entries = numbering_entries(card)
    config, _ = read_model_metadata(folder / entries[0]["file"])
    table = fdi_flip_table(config.class_names, len(config.class_names))[: len(config.class_names)]
    assert (table != np.arange(len(table))).any()  # FDI numbers swap sides in the mirror image
    images = [np.random.default_rng(seed).random(config.input_size, dtype=np.float32) for seed in (0, 1)]
    members = [folder / entry["int8_file"] for entry in entries]
    folded = OpenVinoBackend(members, table, mirror=True, threads=1).probabilities(np.stack(images)[:, None], True)
    expected = np.mean([mirror_average(_one_network(xml), images, config.class_names) for xml in members], axis=0)
    assert folded.shape == expected.shape and np.abs(folded - expected).max() < 1e-4
    single = OpenVinoBackend(members[:1], table, mirror=False, threads=1).probabilities(np.stack(images)[:, None], False)
    assert np.abs(single - _one_network(members[0])(images)).max() < 1e-4


def test_the_default_on_a_cpu_is_the_int8_twins_and_onnx_keeps_the_float_networks():
    assert teethseg.load_model(device="cpu").backend_name == "openvino"
    floats = teethseg.load_model(device="cpu", backend="onnx")
    assert floats.backend_name == "onnx" and floats.numbering.members[0].backend_name == "onnx"
    assert teethseg.load_model(device="cpu", backend="openvino").numbering.backend_name == "openvino"


def test_openvino_is_refused_with_one_line_for_a_model_file_and_for_missing_twins(monkeypatch, tmp_path):
    with pytest.raises(TeethsegError, match="a model file runs with --backend onnx or auto"):
        teethseg.load_model(weights_folder() / default_card()["file"], device="cpu", backend="openvino")
    card = json.loads(json.dumps(default_card()))
    del card["int8_file"]
    monkeypatch.setattr(teethseg.inference.load, "default_card", lambda: card)
    with pytest.raises(TeethsegError, match="needs the model's INT8 twins"):
        teethseg.load_model(device="cpu", backend="openvino")
    assert teethseg.load_model(device="cpu").backend_name == "onnx"  # auto: the float networks


def test_a_corrupted_int8_twin_is_refused(monkeypatch):
    card = json.loads(json.dumps(default_card()))
    card["int8_sha256"] = "0" * 64
    monkeypatch.setattr(teethseg.inference.load, "default_card", lambda: card)
    with pytest.raises(TeethsegError, match="teethseg-default-int8.xml.*corrupted"):
        teethseg.load_model(device="cpu")


def test_compiled_graphs_are_cached_and_an_unwritable_cache_is_no_error(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    teethseg.load_model(device="cpu")
    assert cache_folder() == tmp_path / "cache" / "teethseg" / "openvino" and any(cache_folder().iterdir())
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file"))
    assert cache_folder() is None
    assert teethseg.load_model(device="cpu").predict(sample_paths()[0]).teeth


# Many predictions from several threads, their first calls at the same moment (a barrier), in a child
# process: a deadlock fails the test by its timeout instead of hanging the suite.
MANY_AT_ONCE = """
import sys, threading
import numpy as np, teethseg
from concurrent.futures import ThreadPoolExecutor
from teethseg.predict.folders import sample_paths
seg = teethseg.load_model(device="cpu", threads=1)
samples = sample_paths()
expected = [seg.predict(path).labels for path in samples]
fresh = teethseg.load_model(device="cpu", threads=1)
barrier = threading.Barrier(6)
def one(i):
    barrier.wait()
    return np.array_equal(fresh.predict(samples[i % len(samples)]).labels, expected[i % len(samples)])
with ThreadPoolExecutor(6) as pool:
    print(all(pool.map(one, range(18))))
"""


@pytest.mark.parametrize("attempt", range(3))
def test_many_predictions_started_at_once_from_several_threads_finish_alike(attempt):
    done = subprocess.run([sys.executable, "-c", MANY_AT_ONCE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True"]


def test_loading_leaves_the_process_locale_as_it_was(tmp_path):
    """OpenVINO reading and compiling graphs in two threads at once could leave the locale at "C" (ASCII files)."""
    code = ("import locale, teethseg; before = locale.setlocale(locale.LC_CTYPE); teethseg.load_model(device='cpu', threads=1); "
            "print(before, locale.setlocale(locale.LC_CTYPE), locale.getpreferredencoding(False))")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in ("empty cache", "filled cache"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["C.UTF-8", "C.UTF-8", "UTF-8"]


def test_compiling_begun_early_is_what_loading_takes():
    from teethseg.inference.early_compile import start_bundled
    from teethseg.nn import openvino_backend

    start_bundled(mirror=True, threads=1)
    begun = list(openvino_backend._EARLY.values())
    assert len(begun) == 2  # the mask network and the averaged numbering networks
    segmenter = teethseg.load_model(device="cpu", threads=1)
    assert {id(segmenter.backend), id(segmenter.numbering.backend)} == {id(backend) for backend in begun}
    assert not openvino_backend._EARLY  # taken: the next loading makes its own
    assert teethseg.load_model(device="cpu", threads=1).backend not in begun


def test_an_int8_twin_changed_on_disk_is_refused_by_name(tmp_path):
    from teethseg.nn.bundled import export_model_folder

    folder = tmp_path / "model"
    export_model_folder(folder)
    weights = folder / numbering_entries(default_card())[1]["int8_weights"]
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(TeethsegError, match=f"{weights.name}.*corrupted"):
        teethseg.load_model(folder, device="cpu")


def test_a_compiled_graph_is_imported_from_the_cache_and_a_damaged_one_compiled_again(monkeypatch, tmp_path):
    import openvino as ov

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    card, folder = default_card(), weights_folder()
    members, table = [folder / card["int8_file"]], np.arange(3)
    checksums = [card["int8_sha256"], card["int8_weights_sha256"]]
    image = np.random.default_rng(0).random((1, 1, *card["input_size"]), dtype=np.float32)
    first = OpenVinoBackend(members, table, mirror=True, threads=1, checksums=checksums).probabilities(image, True)
    blobs = list(cache_folder().glob("compiled-*.blob"))
    assert len(blobs) == 1

    def refused(*args, **kwargs):
        raise AssertionError("compiled again although the cache holds the graph")

    with monkeypatch.context() as patched:
        patched.setattr(ov.Core, "compile_model", refused)
        again = OpenVinoBackend(members, table, mirror=True, threads=1, checksums=checksums).probabilities(image, True)
    assert np.array_equal(first, again)
    blobs[0].write_bytes(b"not a compiled graph")
    mended = OpenVinoBackend(members, table, mirror=True, threads=1, checksums=checksums).probabilities(image, True)
    assert np.array_equal(first, mended) and blobs[0].stat().st_size > 1000  # written again


def test_graphs_unused_for_a_month_leave_the_cache_when_a_new_one_is_written(monkeypatch, tmp_path):
    import time

    from teethseg.nn.openvino_backend import PRUNE_DAYS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = cache_folder()
    old, recent = cache / "compiled-old.blob", cache / "compiled-recent.blob"
    for path, days in ((old, PRUNE_DAYS + 1), (recent, PRUNE_DAYS - 1)):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - days * 86400,) * 2)
    card, folder = default_card(), weights_folder()
    OpenVinoBackend([folder / card["int8_file"]], np.arange(3), mirror=False, threads=1).warm_up(False)
    assert not old.exists() and recent.exists() and len(list(cache.glob("compiled-*.blob"))) == 2


def test_predict_takes_the_graphs_it_began_and_begins_none_it_will_not_run(monkeypatch, tmp_path):
    from teethseg.cli import main
    from teethseg.inference import early_compile
    from teethseg.nn import openvino_backend

    begun = []
    start_early = openvino_backend.start_early
    monkeypatch.setattr(early_compile, "start_early", lambda *args: begun.append(args) or start_early(*args))
    sample = str(sample_paths()[0])
    assert main(["predict", sample, "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert len(begun) == 2 and not openvino_backend._EARLY  # both begun, both taken
    model_file = str(weights_folder() / default_card()["file"])
    for options in (["--backend", "onnx"], ["--model", model_file], ["--device", "cpu", "--no-mirror", "--engine", "ray"]):
        begun.clear()
        if "ray" not in options:
            assert main(["predict", sample, "--out", str(tmp_path / options[0].strip("-")), "--quiet", *options]) == 0
        else:
            from teethseg.cli import _parser, _start_compiling

            _start_compiling(_parser().parse_args(["predict", sample, *options]))
        assert begun == []


def test_a_model_called_from_one_thread_compiles_one_stream(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    shared = teethseg.load_model(device="cpu", threads=1)  # predict's workers: four threads call it at once
    assert shared.backend.streams == 4 and shared.numbering.backend.streams == 4
    alone = teethseg.load_model(device="cpu", threads=1, callers=1)  # a Ray actor: one thread
    assert alone.backend.streams == 1 and alone.numbering.backend.streams == 1
    assert np.array_equal(alone.predict(sample_paths()[0]).labels, shared.predict(sample_paths()[0]).labels)


def test_a_broken_openvino_falls_back_to_the_float_networks_unless_it_was_asked_for(monkeypatch, capsys):
    from teethseg.nn import openvino_backend

    def broken():
        raise ImportError("libopenvino.so: cannot open shared object file")

    monkeypatch.setattr(openvino_backend, "_core", broken)
    segmenter = teethseg.load_model(device="cpu")
    assert segmenter.backend_name == "onnx" and segmenter.numbering.members[0].backend_name == "onnx"
    assert "OpenVINO cannot compile the INT8 network (libopenvino.so" in capsys.readouterr().err
    assert segmenter.predict(sample_paths()[0]).teeth
    with pytest.raises(TeethsegError, match="OpenVINO cannot compile"):
        teethseg.load_model(device="cpu", backend="openvino")
