"""How the model does on full-size panoramics with other exposures, made from the val split.

Usage: .venv/bin/python benchmarks/fullsize_check.py [--model PATH] [--numbering PATH] [--no-mirror] [--images N]
       [--only WORD ...]

UFBA-425's images are panoramics squeezed to 512x512. Users feed full-size ones (about
3000x1500) from other machines. This stretches each val image back to 2900x1450 and applies
the exposure, quality, marking and framing changes one sees between clinics (wider or tighter field
of view, another horizontal magnification, a patient off centre or tilted, close bitewing- and periapical-like crops), then scores the masks at full size against the ground
truth stretched and framed the same way. Prints mean binary Dice per condition, and for
numbering models mean per-tooth Dice, the share of images with an exact tooth count, and how
many teeth were found whole whatever their number (``teethseg.metrics.whole_teeth``: of the true
teeth, and of the teeth found; counting teeth that cover at least 1 % of a crop, 0.1 % of a
panoramic, where a tooth covers about 0.6 %).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from teethseg import load_model
from teethseg.data.framings import RIGHT_MOLARS, close_view, teeth_window
from teethseg.data.layouts import index_dataset
from teethseg.evaluation.evaluate import class_mapping
from teethseg.evaluation.metrics import ToothMetrics, compute_binary_scores, whole_teeth
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.io.images import read_image, read_mask
from teethseg.teeth.arch_decoder import NAMINGS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ufba425"
FULL_SIZE = (1450, 2900)  # height, width


def conditions(rng: np.random.Generator) -> dict[str, callable]:
    """Each maps a full-size grey image in [0, 1] to a changed one."""
    def clahe(x):
        return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply((x * 255).astype(np.uint8)) / 255.0

    def jpeg(x, quality):
        _, data = cv2.imencode(".jpg", (x * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
        return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) / 255.0

    def burned_in(x):  # side markers, a text line and a label box in white, as many machines print them
        ink = np.zeros(x.shape, np.uint8)
        height, width = x.shape
        big, small = height / 240, height / 660
        cv2.putText(ink, "R", (round(0.03 * width), round(0.14 * height)), cv2.FONT_HERSHEY_SIMPLEX, big, 255, round(3 * big))
        cv2.putText(ink, "L", (round(0.93 * width), round(0.14 * height)), cv2.FONT_HERSHEY_SIMPLEX, big, 255, round(3 * big))
        cv2.putText(ink, "PATIENT 0042  2026-11-28  70kV 10mA", (round(0.02 * width), round(0.965 * height)),
                    cv2.FONT_HERSHEY_SIMPLEX, small, 255, round(2.3 * small))
        cv2.rectangle(ink, (round(0.86 * width), round(0.86 * height)), (round(0.98 * width), round(0.98 * height)), 255, -1)
        return np.where(ink > 0, 1.0, x)

    return {
        "as published (512x512)": None,
        "full size 2900x1450": lambda x: x,
        "dark (gamma 1.8)": lambda x: x ** 1.8,
        "bright (gamma 0.55)": lambda x: x ** 0.55,
        "low contrast (x0.5)": lambda x: 0.25 + 0.5 * x,
        "strong CLAHE": clahe,
        "noise (sigma 0.04)": lambda x: np.clip(x + rng.normal(0, 0.04, x.shape), 0, 1),
        "blur (sigma 3 px)": lambda x: cv2.GaussianBlur(x, (0, 0), 3),
        "12-bit scaled into 16 bit": lambda x: np.round(x * 4095) / 65535,
        "JPEG quality 30": lambda x: jpeg(x, 30),
        "negative (teeth dark)": lambda x: 1 - x,
        "burned-in text and label": burned_in,
    }


def framings() -> dict[str, callable]:
    """Each maps a full-size (image, truth) pair to the same radiograph framed otherwise."""
    def zoom(image, truth, factor, centre_share=(0.5, 0.5)):  # < 1: a wider view, teeth smaller; > 1: a tighter one
        height, width = image.shape
        matrix = cv2.getRotationMatrix2D((width * centre_share[1], height * centre_share[0]), 0, factor)
        return _warp(image, truth, matrix)

    def turn(image, truth, degrees):
        height, width = image.shape
        return _warp(image, truth, cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0))

    def shift(image, truth, fraction):
        matrix = np.float32([[1, 0, fraction * image.shape[1]], [0, 1, 0]])
        return _warp(image, truth, matrix)

    def region(image, truth, box_shares):  # a panoramic exported cropped to the teeth region, not resized
        return teeth_window(image, box_shares), teeth_window(truth, box_shares)

    def crop(image, truth, box_shares, size=(800, 1000)):  # a close view (width, height), teeth 2-4 times as big
        return close_view(image, box_shares, size), close_view(truth, box_shares, size, labels=True)

    def stretch(image, truth, factor):  # another machine's horizontal magnification, same image size: teeth wider (> 1) or narrower
        width = image.shape[1]
        return _warp(image, truth, np.float32([[factor, 0, (1 - factor) * width / 2], [0, 1, 0]]))

    return {
        "wider view (teeth x0.75)": lambda i, t: zoom(i, t, 0.75),
        "wider, teeth high and left": lambda i, t: zoom(i, t, 0.75, (0.1, 0.2)),
        "tighter view (teeth x1.15)": lambda i, t: zoom(i, t, 1.15),
        "tilted 6 degrees": lambda i, t: turn(i, t, 6),
        "off centre (8 % to the right)": lambda i, t: shift(i, t, 0.08),
        "stretched (teeth 10 % wider)": lambda i, t: stretch(i, t, 1.1),
        "squeezed (teeth 10 % narrower)": lambda i, t: stretch(i, t, 0.9),
        "cut to the teeth region": lambda i, t: region(i, t, (0.2, 0.85, 0.1, 0.9)),
        "crop of the right molars": lambda i, t: crop(i, t, RIGHT_MOLARS),
        "crop of the front teeth": lambda i, t: crop(i, t, (0.25, 0.78, 0.33, 0.66)),
        "bitewing crop, left (landscape)": lambda i, t: crop(i, t, (0.35, 0.70, 0.60, 0.85), (1000, 800)),
        "periapical crop, lower front": lambda i, t: crop(i, t, (0.45, 0.85, 0.42, 0.58), (600, 800)),
        "periapical crop, upper molars": lambda i, t: crop(i, t, (0.15, 0.55, 0.18, 0.32), (600, 800)),
    }


def _warp(image: np.ndarray, truth: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image and its truth moved by one affine map; uncovered image borders are black, as on many machines."""
    size = image.shape[::-1]
    moved = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    moved_truth = cv2.warpAffine(truth, matrix, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return moved, moved_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--numbering", default=None, action="append",
                        help="a numbering model in place of the bundled ones (given again: averaged)")
    parser.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=MIRROR_BY_DEFAULT,
                        help="every network also sees the mirror image (as predict does by default)")
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--only", nargs="+", default=None, help="conditions whose name holds one of these words")
    parser.add_argument("--naming", default=None, choices=NAMINGS, help="how teeth are named (default: the model's own)")
    args = parser.parse_args()
    segmenter = load_model(args.model, numbering=args.numbering, mirror=args.mirror, naming=args.naming)
    ids = json.loads((SHARED / "splits.json").read_text())["val"][: args.images]
    to_model_class = class_mapping(index_dataset(SHARED).class_names, segmenter.class_names)
    scores: dict[str, list[float]] = {}
    teeth: dict[str, ToothMetrics] = {}
    whole: dict[str, np.ndarray] = {}  # teeth found whole, true teeth, teeth found
    for n, key in enumerate(ids):
        image = read_image(SHARED / "images" / f"{key}.jpg")
        labels = read_mask(SHARED / "masks" / f"{key}.png")
        truth = to_model_class[labels] if to_model_class is not None else (labels > 0).astype(np.uint8)
        big = cv2.resize(image, FULL_SIZE[::-1], interpolation=cv2.INTER_CUBIC).clip(0, 1).astype(np.float32)
        big_truth = cv2.resize(truth, FULL_SIZE[::-1], interpolation=cv2.INTER_NEAREST)
        for name, change in conditions(np.random.default_rng(n)).items():
            if not _chosen(name, args.only):
                continue
            if change is None:
                result, target = segmenter.predict(image), truth
            else:
                result, target = segmenter.predict(np.asarray(change(big), dtype=np.float32)), big_truth
            _score(name, result, target, scores, teeth, whole, to_model_class is not None, segmenter.class_names)
        for name, frame in framings().items():
            if not _chosen(name, args.only):
                continue
            framed, target = frame(big, big_truth)
            _score(name, segmenter.predict(framed), target, scores, teeth, whole, to_model_class is not None,
                   segmenter.class_names)
    print(f"model {segmenter.name}, naming {segmenter.naming}, {len(ids)} val images")
    print(f"{'condition':32} {'mean Dice':>10} {'worst':>8}"
          + (f" {'per-tooth Dice':>15} {'exact count':>12} {'whole: of true':>15} {'of found':>9}"
             f" {'missing list right':>19}" if teeth else ""))
    for name, values in scores.items():
        numbered = ""
        if name in teeth:
            summary = teeth[name].summary()
            matched, true, found = whole[name]
            numbered = (f" {summary['mean_tooth_dice']:15.4f} {100 * summary['tooth_count_accuracy']:11.1f}%"
                        f" {100 * matched / max(true, 1):14.1f}% {100 * matched / max(found, 1):8.1f}%")
            # A close view lists no missing teeth: the teeth out of view are not missing.
            missing = summary["missing_teeth"]["images_exact"]
            numbered += f" {'-':>19}" if "crop" in name else f" {100 * missing:18.1f}%"
        print(f"{name:32} {np.mean(values):10.4f} {np.min(values):8.4f}" + numbered)


def _chosen(name: str, words: list[str] | None) -> bool:
    return words is None or any(word in name for word in words)


def _score(name, result, target, scores, teeth, whole, numbered, class_names) -> None:
    scores.setdefault(name, []).append(compute_binary_scores(result.mask, target > 0)["dice"])
    if numbered:
        teeth.setdefault(name, ToothMetrics(class_names)).update(result.labels, target, len(result.teeth))
        smallest = 0.01 if "crop" in name else 0.001  # leave out slivers of teeth that a crop's frame cuts off
        whole[name] = whole.get(name, np.zeros(3, int)) + whole_teeth(result.labels, target, smallest)


if __name__ == "__main__":
    main()
