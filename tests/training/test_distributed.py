"""Training on 2 CPU processes (gloo), as ``torchrun --nproc_per_node 2 -m teethseg train`` runs it.

One global batch split over 2 processes must train the same model as 1 process: the same
samples (``DistributedSampler`` deals out the one shuffled order), gradients averaged by DDP, and
batch norm over the whole global batch. So the epoch's loss agrees to float rounding: the history
keeps 5 decimals (±5e-6 each) and float32 sums taken in another order (each process sums its
half first) move the loss by ~1e-6 over the epoch's steps; 3e-5 covers both. Batch norm over
each process's half instead (as DDP does without synced batch norm) moves it ~10x more (2.5e-4
measured on this data), as would a sample seen twice or gradients summed instead of averaged.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
import yaml

from teethseg.config import load_config
from teethseg.data.dataset import SegmentationDataset, load_samples
from teethseg.data.layouts import index_dataset
from teethseg.nn.network import load_network
from teethseg.training.train import train, validate
from tests.conftest import tiny_config, write_images_masks

WRITING_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _recipe(path: Path, **overrides) -> Path:
    values = dict(epochs=1, batch_size=4, samples_per_image=4, val_fraction=0.3)
    values.update(overrides)
    path.write_text(yaml.safe_dump(tiny_config(**values).to_dict()))
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_of_two(local_rank: int, port: int, data: str, out: str, recipe: str, log_dir: str) -> None:
    """A process as torchrun starts it (its rank in the environment), recording what it writes under ``out``."""
    os.environ.update(RANK=str(local_rank), LOCAL_RANK=str(local_rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), OMP_NUM_THREADS="1")
    torch.set_num_threads(1)
    written: list[str] = []

    def audit(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], (str, Path)):
            mode, flags = args[1] or "", args[2] or 0
            if any(c in str(mode) for c in "wax+") or flags & WRITING_FLAGS:
                written.append(str(args[0]))
        elif event in ("os.rename", "os.mkdir", "os.remove", "os.chmod"):
            written.append(str(args[1] if event == "os.rename" else args[0]))

    sys.addaudithook(audit)
    train(data, out, recipe, progress=False, report=False)
    ours = sorted({path for path in written if Path(path).resolve().is_relative_to(Path(out).resolve())})
    (Path(log_dir) / f"rank{local_rank}.json").write_text(json.dumps(ours))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One epoch on 10 images (7 train, 3 val): by 2 processes and by 1, the same global batch of 4."""
    root = tmp_path_factory.mktemp("ddp")
    data = write_images_masks(root / "data", n=10, splits=False)
    recipe = _recipe(root / "tiny.yaml")
    mp.start_processes(_one_of_two, args=(_free_port(), str(data), str(root / "two"), str(recipe), str(root)),
                       nprocs=2, start_method="spawn", join=True)
    train(data, root / "one", recipe, progress=False, report=False)
    return root, data


def _history(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run / "history.csv").open()))


def test_rank_0_alone_writes_the_run(runs):
    root, _ = runs
    names = sorted(p.name for p in (root / "two").iterdir())
    assert names == sorted(p.name for p in (root / "one").iterdir()) == [
        "config.yaml", "curves.png", "history.csv", "last.pt", "model.onnx", "model.safetensors"]
    assert json.loads((root / "rank1.json").read_text()) == []
    by_rank_0 = {Path(p).name for p in json.loads((root / "rank0.json").read_text())}
    assert {"last.pt", "model.safetensors", "history.csv", "config.yaml"} <= by_rank_0


def test_two_processes_train_as_one_on_the_same_global_batch(runs):
    root, _ = runs
    [one], [two] = _history(root / "one"), _history(root / "two")
    assert float(two["train_loss"]) == pytest.approx(float(one["train_loss"]), abs=3e-5)
    assert float(two["lr"]) == pytest.approx(float(one["lr"]), rel=1e-9)  # the same number of steps


def test_validation_split_over_the_processes_scores_every_image_once(runs):
    """The 3 val images are shared 2 + 1 and the scores merged: the same Dice as one process gets
    for the model the two processes trained (the two models themselves may differ a little:
    conv biases before batch norm get only rounding noise as gradient, which AdamW scales up)."""
    root, data = runs
    config = load_config(root / "two" / "config.yaml")
    _, val = index_dataset(data).split(config.seed, config.val_fraction)
    network, model_config, _ = load_network(root / "two" / "model.safetensors")
    _, images, masks, _ = load_samples(index_dataset(data), val, model_config, False, "val")
    assert len(images) == 3
    scores = validate(network, SegmentationDataset(images, masks, model_config), torch.device("cpu"), False)
    [two] = _history(root / "two")
    assert float(two["val_dice"]) == pytest.approx(scores["dice"], abs=1e-5)
    assert float(two["val_accuracy"]) == pytest.approx(scores["accuracy"], abs=1e-5)


def _torchrun(*args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "teethseg", "train", *args, "--no-report"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _rank_pid(parent: int, rank: int) -> int | None:
    """The pid of the training process of ``rank`` that torchrun (``parent``) started."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"\nPPid:\t{parent}\n" in status and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds torchrun's processes in /proc")
def test_a_killed_process_stops_the_run_with_one_line_and_resume_continues(tmp_path):
    data = write_images_masks(tmp_path / "data", n=6)
    recipe = _recipe(tmp_path / "tiny.yaml", epochs=4, samples_per_image=20, val_fraction=0.15)
    run = tmp_path / "run"
    process = _torchrun("--data", str(data), "--out", str(run), "--config", str(recipe))
    deadline = time.time() + 240
    while not (run / "last.pt").exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    pid = _rank_pid(process.pid, 1)
    assert process.poll() is None and pid is not None, "training ended before it could be interrupted"
    os.kill(pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    ours = [line for line in output.splitlines() if line.startswith("teethseg: error: training process 0 of 2")]
    assert len(ours) == 1, output
    assert "run the same command with --resume to continue" in ours[0]
    done = [r["epoch"] for r in _history(run)]
    assert done and len(done) < 4

    resumed = _torchrun("--data", str(data), "--out", str(run), "--resume")
    output, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, output
    assert f"resuming {run} after epoch {done[-1]}/4" in output
    assert [r["epoch"] for r in _history(run)] == ["1", "2", "3", "4"]
    assert (run / "model.safetensors").is_file()


def test_train_help_says_the_batch_size_is_the_global_batch(capsys):
    from teethseg.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "torchrun --nproc_per_node N -m teethseg train" in text and "batch_size is then the global batch" in text
