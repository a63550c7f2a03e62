"""Training runs that stop and go on: extend a finished run, interrupt and resume mid-epoch, checkpoints by time."""

from __future__ import annotations

import csv
import os
import signal

import pytest
import torch
import yaml

from teethseg.cli import main
from tests.conftest import tiny_config, write_images_masks


def _config(path, **overrides):
    path.write_text(yaml.safe_dump(tiny_config(**overrides).to_dict()))
    return str(path)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_images_masks(tmp_path_factory.mktemp("resume") / "data", n=6)


def _history(run) -> list[dict]:
    return list(csv.DictReader((run / "history.csv").open()))


def _train(data, run, *extra) -> int:
    return main(["train", "--data", str(data), "--out", str(run), "--no-report", *extra])


def test_a_finished_run_is_extended_with_a_new_schedule(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(data, run, "--config", _config(tmp_path / "c.yaml", epochs=1)) == 0
    capsys.readouterr()
    assert _train(data, run, "--resume") == 0
    out = capsys.readouterr().out
    assert "finished all 1 epochs" in out and "--resume --epochs 2" in out
    assert len(_history(run)) == 1
    assert _train(data, run, "--resume", "--epochs", "3") == 0
    out = capsys.readouterr().out
    assert "extending" in out and "new learning-rate schedule" in out
    assert [row["epoch"] for row in _history(run)] == ["1", "2", "3"]
    assert yaml.safe_load((run / "config.yaml").read_text())["epochs"] == 3
    assert _train(data, run, "--resume", "--epochs", "2") == 2
    assert "must be more than the 3 epochs done" in capsys.readouterr().err


class _InterruptingLoss:
    """The training loss, pressing Ctrl-C (SIGINT to this process) in its ``at``-th call: mid-step."""

    def __init__(self, at: int):
        from monai.losses import DiceCELoss

        self.loss, self.calls, self.at = DiceCELoss(to_onehot_y=True, softmax=True), 0, at

    def __call__(self, *args):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.loss(*args)


def test_an_interrupt_mid_epoch_saves_a_checkpoint_that_resumes_as_if_never_stopped(data, tmp_path, capsys, monkeypatch):
    import teethseg.training.train as training

    config = _config(tmp_path / "c.yaml", epochs=2, samples_per_image=4)  # 8 steps an epoch
    assert _train(data, tmp_path / "ref", "--config", config) == 0
    monkeypatch.setattr(training, "DiceCELoss", lambda **_: _InterruptingLoss(at=4))
    run = tmp_path / "run"
    assert _train(data, run, "--config", config) == 130
    captured = capsys.readouterr()
    assert "interrupted in epoch 1/2 after step 4/8" in captured.out  # the step under way ends first
    assert f"Continue with: teethseg train --data {data} --out {run} --resume" in captured.out
    state = torch.load(run / "last.pt", weights_only=True)
    assert (state["epoch"], state["step"], len(state["losses"])) == (0, 4, 4)
    monkeypatch.undo()
    assert _train(data, run, "--resume") == 0
    assert "resuming" in capsys.readouterr().out
    ours, theirs = _history(run), _history(tmp_path / "ref")
    assert [row["epoch"] for row in ours] == ["1", "2"]
    for a, b in zip(ours, theirs):
        assert float(a["train_loss"]) == pytest.approx(float(b["train_loss"]), abs=1e-3)
        assert float(a["val_dice"]) == pytest.approx(float(b["val_dice"]), abs=1e-3)


@pytest.mark.parametrize(("minutes", "saves_per_epoch"), [("0", 8), (None, 1)])
def test_checkpoints_come_by_time_within_an_epoch(data, tmp_path, monkeypatch, minutes, saves_per_epoch):
    saves = []
    real_save = torch.save
    monkeypatch.setattr(torch, "save", lambda state, path: (saves.append(state["step"]), real_save(state, path)))
    extra = ["--checkpoint-every", minutes] if minutes is not None else []
    assert _train(data, tmp_path / "run", "--config", _config(tmp_path / "c.yaml", epochs=2, samples_per_image=4), *extra) == 0
    assert len(saves) == 2 * saves_per_epoch
    if minutes == "0":
        assert saves[:8] == [1, 2, 3, 4, 5, 6, 7, 0]


def test_batch_size_and_lr_override_the_recipe_and_cannot_change_on_resume(data, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(data, run, "--config", _config(tmp_path / "c.yaml", epochs=1), "--batch-size", "3", "--lr", "0.002") == 0
    recorded = yaml.safe_load((run / "config.yaml").read_text())
    assert (recorded["batch_size"], recorded["lr"]) == (3, 0.002)
    assert _train(data, run, "--resume", "--epochs", "2", "--lr", "0.01") == 2
    assert "--lr cannot change on --resume" in capsys.readouterr().err
    assert _train(data, tmp_path / "other", "--config", _config(tmp_path / "c.yaml"), "--batch-size", "0") == 2
    assert "--batch-size 0: batch_size: Input should be greater than or equal to 1" in capsys.readouterr().err
