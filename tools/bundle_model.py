"""Copy trained models into the package as the bundled default, with ONNX twins and a checksum card.

Weights are stored once, as float16, in the model files; their ONNX twins hold only the graphs
and read the weights from the model files' bytes. So the float networks stay under 20 MB (the INT8
twins of tools/quantise_model.py add 8.4 MB).

Usage: python tools/bundle_model.py RUN/model.safetensors [--numbering RUN2/model.safetensors [RUN2b/...] [--data DATA]]
       [--close-up RUN3/model.safetensors]
(--data: the training data, to give a numbering model trained before teethseg stored typical
tooth sizes in its file the sizes that join split teeth. --close-up: a mask network for close
views, see teethseg.doubtful.)
Writes src/teethseg/weights/teethseg-{default,numbering,close-up}.{safetensors,onnx} and default.json
(a second numbering model, averaged with the first: teethseg-numbering-2).
After a change to the exporter: python tools/bundle_model.py --twins-only (the weights stay as they are).
Then tools/quantise_model.py makes the INT8 twins again (bundling drops those of the networks it writes).
--into DIR: write the same files into a model folder (teethseg-model.json for its card) that
`--model DIR` takes, instead of into the package.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open

from teethseg.data.layouts import index_dataset
from teethseg.evaluation.evaluate import class_mapping
from teethseg.nn.bundled import FILE_KEYS, MANIFEST, card_entries
from teethseg.nn.export import export_onnx
from teethseg.nn.checksums import file_sha256
from teethseg.nn.network import load_network, save_model
from teethseg.teeth.split import typical_tooth_fractions

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "teethseg" / "weights"


def bundle(source: Path, name: str, data: Path | None = None, into: Path | None = None) -> dict[str, Any]:
    """Copy one model and export its ONNX twin (into the package, or the folder ``into``); return its card entry."""
    folder = into or WEIGHTS
    network, config, info = load_network(source)
    if config.numbered and "typical_tooth_fractions" not in info and data is not None:
        info["typical_tooth_fractions"] = typical_fractions_from(data, config.class_names, info.get("seed", 0))
    target, twin = folder / f"{name}.safetensors", folder / f"{name}.onnx"
    fresh = folder / f"{name}.new.safetensors"
    save_model(fresh, network, config, info, half=True)
    if target.is_file() and twin.is_file() and same_model(fresh, target):
        fresh.unlink()  # unchanged: keep its bytes, checksum and twin (--twins-only re-exports twins)
        twin_fields = {"onnx_file": twin.name, "onnx_sha256": file_sha256(twin),
                       "size_bytes": target.stat().st_size + twin.stat().st_size}
    else:
        fresh.replace(target)
        twin_fields = twin_entry(target, twin)
    return {
        "name": name,
        "file": target.name,
        "sha256": file_sha256(target),
        **twin_fields,
        "classes": len(config.class_names),
        "input_size": config.input_size,
        "training": info,
    }


def same_model(first: Path, second: Path) -> bool:
    """Whether two model files hold the same tensors and header values.

    Their bytes can differ even then: safetensors writes the header's keys in a different order
    from one run to the next.
    """
    with safe_open(str(first), "numpy") as a, safe_open(str(second), "numpy") as b:
        if a.metadata() != b.metadata() or set(a.keys()) != set(b.keys()):
            return False
        return all(np.array_equal(a.get_tensor(key), b.get_tensor(key)) for key in a.keys())


def typical_fractions_from(data: Path, class_names: list[str], seed: int) -> list[float]:
    """Typical tooth shares of the image on the training split of ``data``, as training computes them."""
    index = index_dataset(data)
    to_model_class = class_mapping(index.class_names, class_names)
    train, _ = index.split(seed)
    return typical_tooth_fractions([to_model_class[index.read_mask(s)] for s in train], len(class_names))


def twin_entry(model: Path, twin: Path) -> dict[str, Any]:
    """Export the model file's linked ONNX twin (the graph, reading the file's weights); its card fields."""
    export_onnx(model, twin, linked=True)
    return {"onnx_file": twin.name, "onnx_sha256": file_sha256(twin),
            "size_bytes": model.stat().st_size + twin.stat().st_size}


def export_twins() -> None:
    """Re-export the ONNX twins of the bundled models and update their checksums in the card."""
    card = json.loads((WEIGHTS / "default.json").read_text())
    for entry in card_entries(card):
        entry.update(twin_entry(WEIGHTS / entry["file"], WEIGHTS / entry["onnx_file"]))
        print(f"{entry['onnx_file']} {entry['onnx_sha256']}")
    (WEIGHTS / "default.json").write_text(json.dumps(card, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, nargs="?", help="the trained binary teeth model")
    parser.add_argument("--numbering", type=Path, nargs="+", default=None,
                        help="trained numbered models that name the teeth (several: seeds of one recipe, averaged)")
    parser.add_argument("--close-up", type=Path, default=None, help="a trained mask network for close views")
    parser.add_argument("--data", type=Path, default=None, help="training data (typical tooth sizes for old numbering models)")
    parser.add_argument("--twins-only", action="store_true", help="only re-export the bundled models' ONNX twins")
    parser.add_argument("--into", type=Path, default=None,
                        help="write a model folder here (for --model DIR) instead of into the package")
    args = parser.parse_args()
    if args.twins_only:
        export_twins()
        return
    if args.model is None:
        parser.error("give the trained binary teeth model (or --twins-only)")
    folder = args.into or WEIGHTS
    folder.mkdir(parents=True, exist_ok=True)
    card = bundle(args.model, "teethseg-default", into=folder)
    if args.numbering:
        entries = [bundle(path, "teethseg-numbering" + (f"-{n}" if n > 1 else ""), args.data, into=folder)
                   for n, path in enumerate(args.numbering, start=1)]
        card["numbering"] = entries[0] if len(entries) == 1 else entries
    if args.close_up:
        card["close_up"] = bundle(args.close_up, "teethseg-close-up", into=folder)
    (folder / (MANIFEST if args.into else "default.json")).write_text(json.dumps(card, indent=2) + "\n")
    kept = {entry[key] for entry in card_entries(card) for key in FILE_KEYS if entry.get(key)}
    for old in folder.glob("teethseg-*"):  # networks no longer bundled; INT8 twins of replaced ones (quantise_model.py)
        if old.name not in kept and old.name != MANIFEST:
            old.unlink()
    total = sum(entry["size_bytes"] + entry.get("int8_size_bytes", 0) for entry in card_entries(card))
    print(f"bundled into {folder}: {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
