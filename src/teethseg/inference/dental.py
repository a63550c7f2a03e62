"""Is it a dental radiograph at all? A verdict per view, so that a photograph or an MR slice gets no teeth.

The networks find tooth-like shapes in anything: a portrait got 10 numbered teeth, a brain MR
slice 10. So each input is judged, cheapest and surest evidence first:

1. What the file says it is (``teethseg.io.facts``): a DICOM Modality that is never a
   radiograph of the teeth (MR, US, NM, PT, photographs and the like) is refused; IO and PX
   (intra-oral and panoramic radiography), or a DX/CR/CT whose Body Part Examined is the jaw,
   are taken as dental. Any other CT, DX, CR or file is judged by its image.
2. Colour: a radiograph is grey; colourfulness over ``MAX_COLOURFULNESS`` is a colour picture.
3. The networks' own view of the image (``image_reason``): what they found must look like the
   teeth of the training radiographs or of a close view of them (``benchmarks/dental_check.py``
   chose the limits by cross-validation, model card "Not a dental radiograph").

The verdict joins the view's notes, so every JSON record says ``looks_dental``; callers refuse
an image that fails unless forced (``refuse_unless_dental``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from teethseg.errors import TeethsegError
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
# Limits of the image evidence. Each is the lowest (highest for ``max_unsure``) value among the
# dental images of benchmarks/dental_check.py --choose (train radiographs, their close views, other
# exposures and sizes), with a margin; ``min_share`` is under the fewest teeth of any training
# panoramic (0.77 % of the image, an almost toothless patient). Model card, "Not a dental radiograph".
LIMITS = {
    "min_share": 0.005,  # panoramic-like view: share of the image called tooth
    "min_tooth_confidence": 0.19,  # panoramic-like view: the numbering network's confidence (lowest seen 0.22)
    "min_close_share": 0.12,  # close view: share called tooth (lowest seen 0.137)
    "min_close_mask_confidence": 0.64,  # close view: the close-up network's confidence (lowest seen 0.667: a
    # panoramic pasted small on a black canvas, taken for a close view; crops of radiographs 0.81 and more)
    "max_unsure": 0.22,  # share of pixels the mask network is unsure of, tooth probability 0.2-0.8 (highest 0.195)
}


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
    the share of pixels it is unsure of, and whether the image was seen as a close view
    (``teethseg.inference.decide``). A radiograph's background is surely no tooth; a photograph's
    textures leave the network unsure over wide areas."""
    labels = view.look.labels
    tooth = 1.0 - view.look.scores[0]
    area = _content_area(view.image)
    second = view.notes.get("second_look")
    if second:  # teeth seen again in a window that frames them as in training: their share of that window
        area = min(area, second["window_yxhw"][2] * second["window_yxhw"][3])
    return {"teeth_share": float(np.count_nonzero(labels)) / area,
            "tooth_confidence": mean_tooth_confidence(labels, view.look.confidence),
            "mask_confidence": mask_confidence(view.look.scores),
            "unsure": float(np.count_nonzero((tooth > 0.2) & (tooth < 0.8))) / tooth.size,
            "close_view": float(bool(view.notes.get("close_view")))}


def _content_area(image: np.ndarray) -> int:
    """Pixels in the box around everything brighter than black: a radiograph pasted on a black canvas
    shows its teeth over a share of itself, not of the canvas."""
    bright = image > 0.02
    rows, columns = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
    if rows.size == 0:
        return image.size
    return int((rows[-1] - rows[0] + 1) * (columns[-1] - columns[0] + 1))


def evidence_reason(evidence: dict[str, float], limits: dict[str, float] = LIMITS) -> str | None:
    """Why this image evidence is no dental radiograph's (in words), or None when it could be one.

    A radiograph seen whole (a panoramic) shows teeth named with some confidence; a close view's
    teeth fill much of it and the close-up network is sure of them; in both, the mask network is
    sure of most pixels.
    """
    share = evidence["teeth_share"]
    if share == 0:
        return "no teeth found"
    if evidence["unsure"] > limits["max_unsure"]:
        return f"the networks are unsure of {100 * evidence['unsure']:.0f}% of the image"
    if evidence["close_view"]:
        if share < limits["min_close_share"]:
            return f"too little that looks like teeth for a close view ({100 * share:.1f}% of the image)"
        if evidence["mask_confidence"] < limits["min_close_mask_confidence"]:
            return f"shapes found with too little confidence ({evidence['mask_confidence']:.2f})"
        return None
    if share < limits["min_share"]:
        return f"too little that looks like teeth ({100 * share:.2f}% of the image)"
    if evidence["tooth_confidence"] < limits["min_tooth_confidence"]:
        return f"the shapes found are not named as teeth with confidence ({evidence['tooth_confidence']:.2f})"
    return None


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


def refuse_unless_dental(notes: dict, path: str | None) -> None:
    """Raise :class:`NotDentalError` naming ``path`` when a result's notes say it is no dental radiograph."""
    if notes.get("looks_dental") is False:
        raise NotDentalError(path, notes.get("not_dental_reason") or "unknown reason")
