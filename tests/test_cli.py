"""End to end, as a user types it: train a tiny model, evaluate it, predict with it."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from teethseg.cli import main
from teethseg.nn.network import load_network, save_model
from tests.conftest import synthetic_pair, tiny_config, write_images_masks, write_separate_folders
from tests.io.test_images import png_claiming_size


def write_config(path: Path, **overrides) -> Path:
    path.write_text(yaml.safe_dump(tiny_config(**overrides).to_dict()))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run trained for 2 epochs on 8 synthetic radiographs."""
    root = tmp_path_factory.mktemp("e2e")
    data = write_images_masks(root / "data", n=8)
    config = write_config(root / "tiny.yaml", epochs=2)
    assert main(["train", "--data", str(data), "--out", str(root / "run"), "--config", str(config)]) == 0
    return root, data, root / "run"


def test_train_writes_the_run(trained):
    _, _, run = trained
    for name in ("last.pt", "model.safetensors", "config.yaml", "history.csv", "curves.png"):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "history.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert all(0 <= float(r["val_dice"]) <= 1 for r in rows)


def test_train_refuses_to_overwrite_a_run(trained, capsys):
    _, data, run = trained
    assert main(["train", "--data", str(data), "--out", str(run)]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_evaluate_prints_and_writes_metrics(trained, capsys):
    root, data, run = trained
    out = root / "eval"
    assert main(["evaluate", "--data", str(data), "--model", str(run / "model.safetensors"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "dice" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["images"] == 2  # the val split
    assert set(metrics["mean_over_images"]) == {"accuracy", "dice", "iou", "precision", "recall"}
    assert len(list(csv.DictReader((out / "per_image.csv").open()))) == 2
    assert (out / "grid.png").is_file()
    assert metrics["mirror"] is True and "with mirror averaging" in printed


def test_evaluate_writes_a_file_name_that_is_not_utf8_as_its_own_bytes(trained, tmp_path):
    import shutil

    root, data, run = trained
    copy = Path(shutil.copytree(data, tmp_path / "data"))
    splits = json.loads((copy / "splits.json").read_text())
    stem = os.fsdecode(b"radiografia-jo\xe3o")
    (copy / "images" / f"{splits['val'][0]}.jpg").rename(copy / "images" / f"{stem}.jpg")
    (copy / "masks" / f"{splits['val'][0]}.png").rename(copy / "masks" / f"{stem}.png")
    splits["val"][0] = stem
    (copy / "splits.json").write_text(json.dumps(splits))
    out = tmp_path / "eval"
    assert main(["evaluate", "--data", str(copy), "--model", str(run / "model.safetensors"), "--out", str(out),
                 "--report"]) == 0
    assert b"radiografia-jo\xe3o" in (out / "per_image.csv").read_bytes()
    assert "radiografia-jo\ufffdo" in (out / "report.html").read_text(encoding="utf-8")


def test_evaluate_without_mirror_averaging_says_so(trained, capsys):
    root, data, run = trained
    out = root / "eval-single"
    args = ["evaluate", "--data", str(data), "--model", str(run / "model.safetensors"), "--out", str(out), "--no-mirror"]
    assert main(args) == 0
    assert "without mirror averaging" in capsys.readouterr().out
    assert json.loads((out / "metrics.json").read_text())["mirror"] is False


def test_predict_folder_with_good_and_bad_images(trained, tmp_path, capsys):
    _, data, run = trained
    inputs = tmp_path / "in"
    inputs.mkdir()
    image, _ = synthetic_pair(99, (90, 200))
    Image.fromarray(image).save(inputs / "good.jpg")
    Image.fromarray(image.astype(np.uint16) * 257).save(inputs / "deep16.png")
    (inputs / "broken.png").write_bytes(b"not an image")
    (inputs / "empty.jpg").write_bytes(b"")
    png_claiming_size(inputs / "bomb.png", 50_000, 50_000)
    Image.fromarray(image[:10]).save(inputs / "sliver.png")  # 200 x 10: too thin to hold teeth
    out = tmp_path / "out"
    code = main(["predict", str(inputs), "--model", str(run / "model.safetensors"), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    for bad in ("broken.png", "empty.jpg", "bomb.png", "sliver.png"):
        assert sum(bad in line for line in captured.err.splitlines()) == 1
    assert "sliver.png: image too small to segment: 200 x 10 pixels" in captured.err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}{suffix}" for stem in ("good", "deep16") for suffix in ("_mask.png", "_overlay.png", ".json")
    )
    mask = Image.open(out / "good_mask.png")
    assert mask.size == (200, 90) and mask.mode == "L"


def test_predict_with_a_file_that_is_not_a_model(tmp_path, capsys):
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(os.urandom(256))
    image, _ = synthetic_pair(1)
    Image.fromarray(image).save(tmp_path / "x.png")
    assert main(["predict", str(tmp_path / "x.png"), "--model", str(fake), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("teethseg: error:") and "not a teethseg model" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_train_on_empty_folder_fails_cleanly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run")]) == 2
    assert "empty data folder" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_train_skips_a_mask_of_the_wrong_size(tmp_path, capsys):
    data = write_separate_folders(tmp_path / "d", n_train=4, n_val=2)
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(data / "train_masks" / "p0_mask.png")
    config = write_config(tmp_path / "c.yaml", epochs=1)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "run"), "--config", str(config)]) == 0
    assert "p0_mask.png: mask is 5x5 but its image is 96x64" in capsys.readouterr().out


def _run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "teethseg.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_resume_after_a_kill_in_epoch_two_matches_an_uninterrupted_run(tmp_path):
    data = write_images_masks(tmp_path / "data", n=6)
    config = write_config(tmp_path / "c.yaml", epochs=3, samples_per_image=40, batch_size=4)
    reference = _run_cli("train", "--data", str(data), "--out", str(tmp_path / "ref"), "--config", str(config))
    assert reference.wait(timeout=300) == 0

    run = tmp_path / "run"
    process = _run_cli("train", "--data", str(data), "--out", str(run), "--config", str(config))
    deadline = time.time() + 300
    while not (run / "last.pt").exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "training ended before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_history = list(csv.DictReader((run / "history.csv").open()))
    assert [r["epoch"] for r in killed_history] == ["1"]

    assert main(["train", "--data", str(data), "--out", str(run), "--resume"]) == 0
    resumed = list(csv.DictReader((run / "history.csv").open()))
    uninterrupted = list(csv.DictReader((tmp_path / "ref" / "history.csv").open()))
    assert [r["epoch"] for r in resumed] == ["1", "2", "3"]
    for ours, theirs in zip(resumed, uninterrupted):
        assert float(ours["train_loss"]) == pytest.approx(float(theirs["train_loss"]), abs=1e-3)
        assert float(ours["val_dice"]) == pytest.approx(float(theirs["val_dice"]), abs=1e-3)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("predict", "evaluate", "train", "data"):
        assert command in out


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_explain_every_model_option(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for option, words in [("--model", "bundled model"), ("--numbering", "names the teeth"),
                          ("--device", "CUDA GPU"), ("--backend", "ONNX Runtime"), ("--mirror", "mirror image")]:
        assert option in out and words in out, (option, words)


def train_numbering(root: Path) -> tuple[Path, Path]:
    """A folder of synthetic radiographs with FDI-numbered masks, and a tiny numbering model trained on it for an epoch."""
    names = ["background"] + [f"{q}{t}" for q in (1, 2, 3, 4) for t in range(1, 9)]
    data = root / "data"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    for i in range(6):
        image, mask = synthetic_pair(i, classes=3)
        Image.fromarray(image).save(data / "images" / f"n{i}.png")
        Image.fromarray(mask).save(data / "masks" / f"n{i}.png")
    (data / "classes.json").write_text(json.dumps({str(i): n for i, n in enumerate(names)}))
    model = tiny_config().model
    model.num_classes = 33
    config = write_config(root / "c.yaml", epochs=1, model=model, hflip=True, augment=True)
    assert main(["train", "--data", str(data), "--out", str(root / "run"), "--config", str(config)]) == 0
    return data, root / "run" / "model.safetensors"


def test_numbered_training_evaluation_and_prediction(tmp_path, capsys):
    data, model_path = train_numbering(tmp_path)
    assert "val_tooth_dice" in (tmp_path / "run" / "history.csv").read_text()
    model_path = str(model_path)
    assert main(["evaluate", "--data", str(data), "--model", model_path, "--out", str(tmp_path / "eval")]) == 0
    numbering = json.loads((tmp_path / "eval" / "metrics.json").read_text())["numbering"]
    assert set(numbering) >= {"mean_tooth_dice", "group_dice", "tooth_count_accuracy", "per_tooth_dice"}
    assert "mean per-tooth Dice" in capsys.readouterr().out
    assert main(["predict", str(data / "images" / "n0.png"), "--model", model_path, "--out", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "n0_teeth.png").is_file()


def test_a_mask_model_with_a_numbering_model_of_ones_own(trained, tmp_path, capsys):
    """--numbering names the teeth that --model's mask finds: predict writes numbered teeth, evaluate scores them."""
    _, _, run = trained
    data, numbering = train_numbering(tmp_path)
    mask_model = str(run / "model.safetensors")
    image = str(data / "images" / "n0.png")
    assert main(["predict", image, "--model", mask_model, "--numbering", str(numbering), "--out", str(tmp_path / "p")]) == 0
    record = json.loads((tmp_path / "p" / "n0.json").read_text())
    assert record["teeth_count_kind"] == "numbered teeth"
    assert record["teeth"] and all(tooth["fdi"] in {10 * q + t for q in (1, 2, 3, 4) for t in range(1, 9)} for tooth in record["teeth"])
    alone = tmp_path / "alone"
    assert main(["predict", image, "--model", mask_model, "--out", str(alone)]) == 0
    assert json.loads((alone / "n0.json").read_text())["teeth_count_kind"] != "numbered teeth"
    with Image.open(tmp_path / "p" / "n0_mask.png") as numbered, Image.open(alone / "n0_mask.png") as binary:
        numbered_teeth, mask_teeth = np.asarray(numbered) > 0, np.asarray(binary) > 0
    assert numbered_teeth.any() and not (numbered_teeth & ~mask_teeth).any()  # numbered teeth lie in the mask model's mask
    capsys.readouterr()
    out = tmp_path / "eval"
    assert main(["evaluate", "--data", str(data), "--model", mask_model, "--numbering", str(numbering), "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "mean_tooth_dice" in metrics["numbering"] and metrics["numbering_model"] == "run"
    assert ", numbering run" in capsys.readouterr().out
    # Several numbering models are averaged: the same one twice numbers as it does alone.
    twice = tmp_path / "twice"
    assert main(["predict", image, "--model", mask_model, "--numbering", str(numbering), "--numbering", str(numbering),
                 "--out", str(twice)]) == 0
    assert json.loads((twice / "n0.json").read_text())["teeth"] == record["teeth"]


def test_numbering_models_of_other_recipes_are_not_averaged(tmp_path, capsys):
    data, numbering = train_numbering(tmp_path)
    network, config, info = load_network(numbering)
    config.input_size = [config.input_size[0] * 2, config.input_size[1] * 2]
    other = tmp_path / "other.safetensors"
    save_model(other, network, config, info)
    out = tmp_path / "p"
    assert main(["predict", str(data / "images" / "n0.png"), "--numbering", str(numbering), "--numbering", str(other),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(other) in err and "share one recipe" in err
    assert not out.exists()


def test_a_numbering_model_that_does_not_number_is_refused(trained, tmp_path, capsys):
    _, data, run = trained
    mask_model = str(run / "model.safetensors")
    out = tmp_path / "p"
    argv = ["predict", str(next((data / "images").iterdir())), "--model", mask_model, "--numbering", mask_model, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and mask_model in err and "is not a numbering model" in err
    assert not out.exists()


def test_resume_without_checkpoint_or_with_fewer_epochs_is_refused(trained, tmp_path, capsys):
    _, data, run = trained
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "no checkpoint to resume from" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--out", str(run), "--resume", "--epochs", "1"]) == 2
    assert "must be more than the 2 epochs done" in capsys.readouterr().err


def test_fine_tuning_starts_from_the_given_model_at_another_input_size(trained, tmp_path, capsys):
    from safetensors.numpy import load_file

    from teethseg.nn.model_file import read_model_metadata

    _, data, run = trained
    source = run / "model.safetensors"
    model = tiny_config().model
    model.input_size = [96, 128]
    # lr 0: the copied weights must come out unchanged (batch-norm statistics still move).
    config = write_config(tmp_path / "ft.yaml", epochs=1, lr=0.0, model=model)
    out = tmp_path / "ft"
    assert main(["train", "--data", str(data), "--out", str(out), "--config", str(config), "--init", str(source)]) == 0
    before, after = load_file(str(source)), load_file(str(out / "model.safetensors"))
    convs = [k for k in before if k.endswith("conv.weight")]
    assert convs and all(np.array_equal(before[k], after[k]) for k in convs)
    assert read_model_metadata(out / "model.safetensors")[1]["init"] == "model.safetensors"

    wider = tiny_config().model
    wider.channels = [8, 16, 32]
    config = write_config(tmp_path / "wide.yaml", epochs=1, model=wider)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "w"), "--config", str(config), "--init", str(source)]) == 2
    assert "cannot fine-tune from this model: its channels differ" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


def test_fine_tuning_a_binary_model_into_a_numbering_one_keeps_its_body(trained, tmp_path, capsys):
    from safetensors.numpy import load_file

    _, data, run = trained
    source = run / "model.safetensors"
    model = tiny_config().model
    model.num_classes = 5
    config = write_config(tmp_path / "n.yaml", epochs=1, lr=0.0, model=model)
    out = tmp_path / "n"
    assert main(["train", "--data", str(data), "--out", str(out), "--config", str(config), "--init", str(source)]) == 0
    assert "start afresh" in capsys.readouterr().out
    before, after = load_file(str(source)), load_file(str(out / "model.safetensors"))
    same = [k for k in before if k in after and before[k].shape == after[k].shape and k.endswith("conv.weight")]
    assert len(same) >= 4 and all(np.array_equal(before[k], after[k]) for k in same)
    assert after["unet.model.2.1.conv.unit0.conv.weight"].shape[:2] == (5, 5)  # the last layer, afresh for 5 classes


def test_fine_tuning_from_the_bundled_mask_network(trained, tmp_path, capsys):
    from safetensors.numpy import load_file

    from teethseg.config import ModelConfig
    from teethseg.nn.bundled import default_model_path

    _, binary_data, _ = trained
    contacts = ModelConfig(input_size=[64, 64], num_classes=3, contact_width=2)  # as the bundled mask network
    config = write_config(tmp_path / "d.yaml", epochs=1, lr=0.0, model=contacts)
    out = tmp_path / "clinic"
    # contacts need a value per tooth: one value for all teeth is refused before anything is written
    assert main(["train", "--data", str(binary_data), "--out", str(out), "--config", str(config), "--init", "default"]) == 2
    assert "needs a mask value per tooth" in capsys.readouterr().err and not out.exists()
    data = write_images_masks(tmp_path / "numbered", n=8, classes=3)
    assert main(["train", "--data", str(data), "--out", str(out), "--config", str(config), "--init", "default"]) == 0
    import re

    assert re.search(r"(\d+) of \1 tensors copied", capsys.readouterr().out)  # every tensor
    bundled, tuned = load_file(str(default_model_path())), load_file(str(out / "model.safetensors"))
    first = "unet.model.0.conv.unit0.conv.weight"
    assert np.array_equal(bundled[first].astype(np.float32), tuned[first])


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    data = write_images_masks(tmp_path / "data")
    command = [sys.executable, "-m", "teethseg.cli", "data", "check", str(data)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head -0` does, long before the command writes
    stderr = process.communicate(timeout=120)[1].decode()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert process.returncode == 141
