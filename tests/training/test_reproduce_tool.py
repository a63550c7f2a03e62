"""tools/reproduce_default_model.py: the one command that rebuilds the whole bundled model (dry run tested),
and its last step, tools/bundle_model.py --into, giving a model folder that predicts as the bundled model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "reproduce_default_model.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)


def test_help_and_dry_run_list_the_four_trainings_and_the_bundling(tmp_path):
    assert "--dry-run" in _run(str(TOOL), "--help").stdout
    done = _run(str(TOOL), "--data", "data", "--runs", str(tmp_path / "runs"), "--dry-run")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 5 and not (tmp_path / "runs").exists()
    from teethseg.cli import _parser

    recipes = []
    for line in lines[:4]:
        args = _parser().parse_args(line.split()[3:])
        assert args.command == "train" and Path(args.config).is_file()
        recipes.append((Path(args.config).name, args.seed))
    assert recipes == [("contacts.yaml", None), ("numbering.yaml", None), ("numbering.yaml", 1), ("close-up.yaml", None)]
    assert "bundle_model.py" in lines[4] and f"--into {tmp_path / 'runs' / 'model'}" in lines[4]


def test_a_begun_run_is_resumed(tmp_path):
    (tmp_path / "runs" / "numbering").mkdir(parents=True)
    (tmp_path / "runs" / "numbering" / "last.pt").write_bytes(b"")
    lines = _run(str(TOOL), "--data", "d", "--runs", str(tmp_path / "runs"), "--dry-run").stdout.splitlines()
    assert [line.endswith("--resume") for line in lines[:4]] == [False, True, False, False]


def test_bundling_into_a_folder_gives_a_model_that_predicts_as_the_bundled_one(tmp_path):
    import teethseg
    from teethseg.nn.bundled import default_card, numbering_entries, weights_folder
    from teethseg.predict.folders import sample_paths

    card, weights = default_card(), weights_folder()
    numbering = [str(weights / entry["file"]) for entry in numbering_entries(card)]
    # The close-up network is left out (a panoramic never needs it), to keep the test short.
    done = _run(str(ROOT / "tools" / "bundle_model.py"), str(weights / card["file"]), "--numbering", *numbering,
                "--into", str(tmp_path / "model"))
    assert done.returncode == 0, done.stderr
    sample = sample_paths()[0]
    ours = teethseg.load_model(tmp_path / "model", device="cpu").predict(sample)
    assert np.array_equal(ours.labels, teethseg.load_model(device="cpu").predict(sample).labels)
