"""Reproduce the whole bundled model: train its four networks, then bundle them into a model folder.

The bundled model is four networks, each from a recipe in configs/ (the model card, "Recipes"):
the mask network (contacts.yaml), two numbering networks (numbering.yaml, seeds 0 and 1) and the
close-up network (close-up.yaml). This trains each into RUNS/<name> (an interrupted run is resumed
when the command is given again) and bundles them with tools/bundle_model.py into RUNS/model,
a folder that `teethseg predict --model RUNS/model` takes. About 3 hours on a 2-core CPU, minutes
on a GPU; a GPU run gives the same quality, not the same weights.

Usage: python tools/reproduce_default_model.py --data ../shared/data/ufba425 --runs runs/default-model
       [--dry-run] [--device auto|cpu|cuda] [--into-package]
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (run name, recipe, extra train options), in the order the model card gives them.
RUNS = [
    ("contacts", "configs/contacts.yaml", []),
    ("numbering", "configs/numbering.yaml", []),
    ("numbering-2", "configs/numbering.yaml", ["--seed", "1"]),
    ("close-up", "configs/close-up.yaml", []),
]


def commands(data: Path, runs: Path, device: str, into_package: bool) -> list[list[str]]:
    """Every command, in order: four trainings (resumed where a run was begun) and the bundling."""
    teethseg = [sys.executable, "-m", "teethseg"]
    steps = []
    for name, recipe, extra in RUNS:
        run = runs / name
        resume = ["--resume"] if (run / "last.pt").is_file() else []
        steps.append([*teethseg, "train", "--data", str(data), "--out", str(run), "--config", str(ROOT / recipe),
                      "--device", device, *extra, *resume])
    model = [str(runs / name / "model.safetensors") for name, _, _ in RUNS]
    bundle = [sys.executable, str(ROOT / "tools" / "bundle_model.py"), model[0], "--numbering", model[1], model[2],
              "--close-up", model[3]]
    steps.append(bundle if into_package else [*bundle, "--into", str(runs / "model")])
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the training data (the shared UFBA-425 copy)")
    parser.add_argument("--runs", type=Path, default=Path("runs/default-model"), help="folder for the four runs and the model")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--into-package", action="store_true",
                        help="bundle into the package (replacing the bundled model) instead of RUNS/model")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args(argv)
    for step in commands(args.data, args.runs, args.device, args.into_package):
        print(shlex.join(step), flush=True)
        if not args.dry_run and subprocess.run(step).returncode != 0:
            print("stopped: the command above failed; give this command again to go on", file=sys.stderr)
            return 1
    if not args.dry_run:
        print(f"done: teethseg predict --model {args.runs / 'model'} ..." if not args.into_package else "done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
