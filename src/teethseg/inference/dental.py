"""Is it a dental radiograph at all? A verdict per view, so that a photograph or an MR slice gets no teeth.

The networks find tooth-like shapes in anything: a portrait got 10 numbered teeth, a brain MR
slice 10. So each input is judged, cheapest and surest evidence first:

1. What the file says it is (``teethseg.io.facts``): a DICOM Modality that is never a
   radiograph of the teeth (MR, US, NM, PT, photographs and the like) is refused; IO and PX
   (intra-oral and panoramic radiography), or a DX/CR/CT whose Body Part Examined is the jaw,
   are taken as dental. Any other CT, DX, CR or file is judged by its image.
2. Colour: a radiograph is grey; colourfulness over ``MAX_COLOURFULNESS`` is a colour picture.
3. The networks' own view of the image (``image_reason``): what they found must look like the
   teeth of the training radiographs or of a close view of them, and the image must be as sharp
   as a radiograph; an image is refused when two
   features or more fall outside the usual range of dental images (``USUAL``, chosen by
   cross-validation in ``benchmarks/dental_check.py``, model card "Not a dental radiograph").

The verdict joins the view's notes, so every JSON record says ``looks_dental``; callers refuse
an image that fails unless forced (``refuse_unless_dental``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from teethseg.errors import TeethsegError
from teethseg.imaging.regions import bounding_box, value_boxes
from teethseg.inference.decide import mask_confidence, mean_tooth_confidence
from teethseg.inference.look import View
from teethseg.io.facts import SourceFacts

# DICOM Modality values (PS3.3 C.7.3.1.1.1) that are never a radiograph of the teeth, in words.
NEVER_DENTAL = {
    "MR": "magnetic resonance image (DICOM Modality MR)",
    "US": "ultrasound image (DICOM Modality US)",
    "IVUS": "ultrasound image (DICOM Modality IVUS)",
    "NM": "nuclear medicine image (DICOM Modality NM)",
    "PT": "PET image (DICOM Modality PT)",
    "XC": "camera photograph (DICOM Modality XC)",
    "ES": "endoscopy image (DICOM Modality ES)",
    "OP": "ophthalmic photograph (DICOM Modality OP)",
    "OPT": "ophthalmic tomography (DICOM Modality OPT)",
    "SM": "slide microscopy image (DICOM Modality SM)",
    "GM": "microscopy image (DICOM Modality GM)",
    "ECG": "electrocardiogram (DICOM Modality ECG)",
    "RTDOSE": "radiotherapy dose (DICOM Modality RTDOSE)",
    "SEG": "segmentation (DICOM Modality SEG)",
}
# Intra-oral and panoramic radiography: dental by definition.
DENTAL_MODALITIES = ("IO", "PX")
# Body Part Examined values (PS3.16 CID 4031) of the teeth and jaws.
DENTAL_BODY_PARTS = ("JAW", "MOUTH", "TOOTH", "TEETH", "MANDIBLE", "MAXILLA", "TMJ", "DENTAL")
# Hasler and Süsstrunk's colourfulness above which an image is a colour picture. The published
# radiographs (grey stored as RGB JPEG) score under 1; "slightly colourful" starts at 15.
MAX_COLOURFULNESS = 10.0
# Images smaller than this on a side are judged by tags and colour only: radiographs shrunk to
# 32-45 pixels (tests/predict/test_folders.py) give the networks too little to go on.
MIN_JUDGED_SIDE = 64
# The usual range of each piece of image evidence, per kind of view, from the dental images of
# ``benchmarks/dental_check.py --choose`` (every third train radiograph at several sizes and exposures,
# and close views cut from it), as the bundled networks' INT8 twins see them: their 0.5 % tail for
# radiographs seen whole (by design: one from another clinic, of which the networks are less sure,
# must not leave two ranges at once), their 1 % tail for close views (chosen by 5-fold
# cross-validation with the features and the count below). One feature out of its range is common
# on real radiographs (a patient with few teeth, a blurred close view); two at once are what a
# photograph or another kind of medical image shows (model card, "Not a dental radiograph").
USUAL = {
    "whole": {"teeth_share": (0.0079, None), "tooth_confidence": (0.4658, None), "mask_confidence": (0.8808, None),
              "unsure": (None, 0.0567), "sharpness": (0.2799, None)},
    "close": {"teeth_share": (0.0577, None), "tooth_confidence": (0.8179, None), "mask_confidence": (0.8285, None),
              "unsure": (None, 0.1935), "tooth_aspect": (1.658, None), "sharpness": (0.2161, None)},
}
UNUSUAL_TO_REFUSE = 2
# What each feature is, in the reason line.
WORDS = {"teeth_share": "teeth cover {:.1%} of it", "tooth_confidence": "teeth named with confidence {:.2f}",
         "mask_confidence": "teeth outlined with confidence {:.2f}", "unsure": "the networks are unsure of {:.0%} of it",
         "tooth_aspect": "teeth {:.1f} times as tall as wide", "sharpness": "its edges soft (sharpness {:.2f})"}
# The side of the thumbnail on which sharpness is measured: every image is judged at one scale.
SHARPNESS_SIDE = 128


@dataclass(frozen=True)
class Verdict:
    """Whether an input looks like a dental radiograph, and if not, why (in a few words)."""

    looks_dental: bool
    reason: str | None = None

    @property
    def notes(self) -> dict:
        """What the JSON record says: ``looks_dental``, and the reason when it is false."""
        return {"looks_dental": self.looks_dental, **({"not_dental_reason": self.reason} if self.reason else {})}


def facts_verdict(facts: SourceFacts) -> Verdict | None:
    """The verdict of what reading saw (DICOM tags, colour), or None when the image must decide."""
    if facts.modality in NEVER_DENTAL:
        return Verdict(False, NEVER_DENTAL[facts.modality])
    if facts.colourfulness > MAX_COLOURFULNESS:
        return Verdict(False, f"colour photograph or picture (colourfulness {facts.colourfulness:.0f}, a radiograph is grey)")
    if facts.modality in DENTAL_MODALITIES:
        return Verdict(True)
    if facts.modality in ("DX", "CR", "CT", "OT") and facts.body_part in DENTAL_BODY_PARTS:
        return Verdict(True)
    return None


def image_evidence(view: View) -> dict[str, float]:
    """What the networks made of an image: the share of it called tooth, how sure the numbering
    network is of those pixels (the look's confidence), how sure the mask network is of its mask,
    the share of pixels it is unsure of, how tall the teeth are for their width (the median of
    their boxes), how sharp the image is (``sharpness``), and whether the image was seen as a
    close view (``teethseg.inference.decide``). A radiograph's background is surely no tooth, a
    photograph's textures leave the network unsure over wide areas, a tooth with its root is
    taller than wide where a coin or a face is not, and X-rays draw enamel, fillings and bone
    with crisp edges where a portrait, an MR or a drawing of shapes is soft."""
    labels = view.look.labels
    tooth = 1.0 - view.look.scores[0]
    content = _content_box(view.image)
    area = view.image.size if content is None else \
        (content[0].stop - content[0].start) * (content[1].stop - content[1].start)
    second = view.notes.get("second_look")
    if second:  # teeth seen again in a window that frames them as in training: their share of that window
        area = min(area, second["window_yxhw"][2] * second["window_yxhw"][3])
    return {"teeth_share": float(np.count_nonzero(labels)) / area,
            "tooth_confidence": mean_tooth_confidence(labels, view.look.confidence),
            "mask_confidence": mask_confidence(view.look.scores),
            "unsure": float(np.count_nonzero((tooth > 0.2) & (tooth < 0.8))) / tooth.size,
            "tooth_aspect": _median_aspect(labels),
            "sharpness": sharpness(view.image if content is None else view.image[content]),
            "close_view": float(bool(view.notes.get("close_view")))}


def sharpness(image: np.ndarray) -> float:
    """The mean absolute Laplacian of the image shrunk to ``SHARPNESS_SIDE`` pixels a side, over its
    standard deviation: how crisp its edges are for its contrast, at one scale for every image (0 when flat)."""
    thumb = cv2.resize(image.astype(np.float32, copy=False), (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    spread = float(thumb.std())
    return float(np.abs(cv2.Laplacian(thumb, cv2.CV_32F)).mean()) / spread if spread > 1e-6 else 0.0


def _median_aspect(labels: np.ndarray) -> float:
    """The median height / width of the teeth's boxes (0 without teeth)."""
    boxes = [box for box in value_boxes(labels) if box is not None]
    if not boxes:
        return 0.0
    return float(np.median([(rows.stop - rows.start) / (columns.stop - columns.start) for rows, columns in boxes]))


def _content_box(image: np.ndarray) -> tuple[slice, slice] | None:
    """The box around everything brighter than black (None when nothing is): a radiograph pasted on a
    black canvas shows its teeth over a share of itself, and its own edges, not the canvas's."""
    return bounding_box(image > 0.02)


def unusual(evidence: dict[str, float], usual: dict[str, dict] = USUAL) -> list[str]:
    """The features of the evidence outside the usual range of dental images seen the same way."""
    ranges = usual["close" if evidence["close_view"] else "whole"]
    out = []
    for feature, (lowest, highest) in ranges.items():
        value = evidence[feature]
        if (lowest is not None and value < lowest) or (highest is not None and value > highest):
            out.append(feature)
    return out


def evidence_reason(evidence: dict[str, float], usual: dict[str, dict] = USUAL,
                    count: int = UNUSUAL_TO_REFUSE) -> str | None:
    """Why this image evidence is no dental radiograph's (in words), or None when it could be one:
    no teeth at all, or ``count`` features or more outside the usual range of dental images."""
    if evidence["teeth_share"] == 0:
        return "no teeth found"
    odd = unusual(evidence, usual)
    if len(odd) < count:
        return None
    kind = "a close view" if evidence["close_view"] else "a radiograph"
    return f"unlike {kind} of teeth: " + ", ".join(WORDS[feature].format(evidence[feature]) for feature in odd)


def image_reason(view: View) -> str | None:
    """Why the networks' view of an image is no dental radiograph's, or None when it could be one
    (always None under ``MIN_JUDGED_SIDE``: the networks see too little of a thumbnail to judge it)."""
    if min(view.image.shape[:2]) < MIN_JUDGED_SIDE:
        return None
    return evidence_reason(image_evidence(view))


def judge(views: list[View], facts: list[SourceFacts], image_evidence: bool = True) -> list[View]:
    """Each view with its verdict in its notes (``looks_dental``, and ``not_dental_reason`` when false).

    ``image_evidence``: also judge by the networks' view (its limits hold for the bundled networks only).
    """
    judged = []
    for view, fact in zip(views, facts):
        verdict = facts_verdict(fact)
        if verdict is None:
            reason = image_reason(view) if image_evidence else None
            verdict = Verdict(reason is None, reason)
        judged.append(View(view.image, view.look, view.numbers, {**view.notes, **verdict.notes}))
    return judged


class NotDentalError(TeethsegError):
    """An input refused because it does not look like a dental radiograph."""

    def __init__(self, path: str | None, reason: str) -> None:
        super().__init__(path, f"does not look like a dental radiograph: {reason}")
        self.reason = reason


def refuse_by_facts(facts: SourceFacts, path: str | None) -> None:
    """Raise :class:`NotDentalError` when the tags or colour alone say the input is no dental
    radiograph, so that no network runs on it."""
    verdict = facts_verdict(facts)
    if verdict is not None and not verdict.looks_dental:
        raise NotDentalError(path, verdict.reason or "unknown reason")


def refuse_unless_dental(notes: dict, path: str | None) -> None:
    """Raise :class:`NotDentalError` naming ``path`` when a result's notes say it is no dental radiograph."""
    if notes.get("looks_dental") is False:
        raise NotDentalError(path, notes.get("not_dental_reason") or "unknown reason")
