"""Make the INT8 twins of the bundled mask and numbering networks, calibrated on training radiographs.

Each network's float ONNX twin is quantised by NNCF (``teethseg.nn.quantise``) on 150 images of
the training split of DATA and their mirror images, written beside it as ``<stem>-int8.xml`` and
``<stem>-int8.bin``, and named with its checksums in the card; ``teethseg predict`` then runs them
with OpenVINO. The close-up network stays float (ONNX Runtime): it sees only doubtful images.
Rerun after tools/bundle_model.py, which drops the INT8 twins of networks it replaces.

Usage: python tools/quantise_model.py --data ../shared/data/ufba425 [--into MODEL_FOLDER] [--images 150]
(needs NNCF: pip install -e '.[quantise]'; about a minute per network on 2 cores)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from teethseg.nn.bundled import MANIFEST, numbering_entries
from teethseg.nn.checksums import file_sha256
from teethseg.nn.model_file import read_model_metadata
from teethseg.nn.quantise import CALIBRATION_IMAGES, calibration_inputs, calibration_paths, quantise, save_int8

WEIGHTS = Path(__file__).resolve().parents[1] / "src" / "teethseg" / "weights"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the training data (its train split calibrates)")
    parser.add_argument("--into", type=Path, default=None, help="a model folder (teethseg export --out) instead of the package")
    parser.add_argument("--images", type=int, default=CALIBRATION_IMAGES, help="calibration images (each also mirrored)")
    args = parser.parse_args()
    folder = args.into or WEIGHTS
    card_path = folder / (MANIFEST if args.into else "default.json")
    card = json.loads(card_path.read_text())
    paths = calibration_paths(args.data, args.images)
    for entry in [card, *numbering_entries(card)]:
        config, _ = read_model_metadata(folder / entry["file"])
        xml, weights = save_int8(quantise(folder / entry["onnx_file"], calibration_inputs(paths, config)),
                                 folder / f"{Path(entry['file']).stem}-int8.xml")
        entry.update({"int8_file": xml.name, "int8_sha256": file_sha256(xml), "int8_weights": weights.name,
                      "int8_weights_sha256": file_sha256(weights),
                      "int8_size_bytes": xml.stat().st_size + weights.stat().st_size})
        print(f"{xml.name}: {entry['int8_size_bytes'] / 1e6:.1f} MB, calibrated on {len(paths)} training images")
    card_path.write_text(json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
