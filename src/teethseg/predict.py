"""Segmenter: read -> preprocess -> network -> back to source size -> cleanup -> Result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from teethseg.config import ModelConfig
from teethseg.errors import TeethsegError
from teethseg.io import check_segmentable, read_image
from teethseg.mirror import mirror_average
from teethseg.export import open_backend
from teethseg.preprocess import prepare_input
from teethseg.doubtful import doubtful, look_score, skewness
from teethseg.postprocess import class_probability_at, postprocess, tooth_probability
from teethseg.reframe import cut, paste, second_look_window, tooth_scale
from teethseg.bright_frame import bright_frame_window
from teethseg.close_view_teeth import separate_teeth
from teethseg.split_teeth import contact_share
from teethseg.teeth import missing_teeth, numbers_to_check, tooth_records

if TYPE_CHECKING:
    from teethseg.ensemble import AveragedNetworks


@dataclass
class Result:
    """What a radiograph's prediction holds, at the radiograph's own size."""

    image: np.ndarray
    labels: np.ndarray
    confidence: np.ndarray
    teeth: list[dict[str, Any]]
    class_names: list[str]
    model_name: str
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> np.ndarray:
        """Boolean teeth mask: every pixel of any tooth class."""
        return self.labels > 0

    @property
    def numbered(self) -> bool:
        return len(self.class_names) > 2

    @property
    def shows_numbers(self) -> bool:
        """Whether the overlay writes the teeth's FDI numbers and the record lists missing teeth and
        numbers to check: numbered, and no close view (a close view shows a few teeth: the others
        are out of view, not missing, and every number is unsure)."""
        return self.numbered and not self.extra.get("close_view")

    @property
    def numbers_to_check(self) -> list[int]:
        """FDI numbers named with low confidence (``teethseg.teeth.numbers_to_check``); none where none are listed."""
        return numbers_to_check(self.teeth) if self.shows_numbers else []

    @property
    def teeth_count_kind(self) -> str:
        """What ``teeth`` counts: numbered teeth, or connected regions for binary models."""
        return "numbered teeth" if self.numbered else "connected tooth regions"

    def summary(self) -> dict[str, Any]:
        """The JSON record written beside the masks."""
        height, width = self.labels.shape
        return {
            "source": self.source,
            "width": width,
            "height": height,
            "model": self.model_name,
            "teeth_fraction": round(float(self.mask.mean()), 6),
            "teeth_count": len(self.teeth),
            "teeth_count_kind": self.teeth_count_kind,
            **({"missing_fdi": missing_teeth(self.teeth, self.class_names), "numbers_to_check": self.numbers_to_check}
               if self.shows_numbers else {}),
            "teeth": self.teeth,
            **self.extra,
        }


class Segmenter:
    """A loaded model that predicts teeth on radiographs of any size.

    An optional ``numbering`` segmenter (a numbered model, or several averaged:
    ``teethseg.ensemble``) names the teeth that this one finds: the mask comes from this model,
    each tooth's FDI number from the other. With
    ``mirror`` every network also sees the mirror image and the two outputs are averaged
    (FDI numbers swapped back): more accurate, twice the network time. An optional ``close_up``
    segmenter (a mask network that learnt close views), or a function that loads it when first
    needed, draws the mask of doubtful images when it is surer of it (``teethseg.doubtful``).
    """

    def __init__(
        self, backend: Callable[[np.ndarray], np.ndarray], config: ModelConfig, name: str = "model",
        info: dict | None = None, numbering: "Segmenter | AveragedNetworks | None" = None, mirror: bool = False,
        close_up: "Segmenter | Callable[[], Segmenter] | None" = None,
    ) -> None:
        self.backend = backend
        self.config = config
        self.name = name
        self.info = info or {}
        self.numbering = numbering
        self.mirror = mirror
        self.close_up = close_up
        self._loading = threading.Lock()

    @classmethod
    def from_file(
        cls, path: str | Path, device: str = "auto", backend: str = "auto",
        expected_sha256: str | None = None, name: str | None = None, threads: int | None = None,
    ) -> "Segmenter":
        """Load a ``.safetensors`` or ``.onnx`` model with the backend asked for (see ``open_backend``)."""
        runner, config, info = open_backend(path, device, backend, expected_sha256, threads)
        return cls(runner, config, name or info.get("name") or Path(path).stem, info)

    @property
    def close_up(self) -> "Segmenter | None":
        """The close-up mask network, loaded on first use: panoramics never need it."""
        with self._loading:
            if callable(self._close_up):
                self._close_up = self._close_up()
            return self._close_up

    @close_up.setter
    def close_up(self, close_up: "Segmenter | Callable[[], Segmenter] | None") -> None:
        self._close_up = close_up

    @property
    def class_names(self) -> list[str]:
        if self.numbering:
            return self.numbering.config.class_names
        return self.config.class_names[:2] if self.config.contact_width else self.config.class_names

    @property
    def typical_tooth_fractions(self) -> list[float] | None:
        """Each class's typical share of the image, stored by the numbering model (see ``teethseg.split_teeth``)."""
        return self.numbering.info.get("typical_tooth_fractions") if self.numbering else None

    @property
    def backend_name(self) -> str:
        return getattr(self.backend, "name", type(self.backend).__name__)

    def scores(self, images: list[np.ndarray], mirror: bool | None = None) -> np.ndarray:
        """Class probabilities (N x C x H x W) at the model's input size, in one backend call (two with ``mirror``)."""
        if self.mirror if mirror is None else mirror:
            return mirror_average(self._scores, images, self.config.class_names)
        return self._scores(images)

    def _scores(self, images: list[np.ndarray]) -> np.ndarray:
        size, method = self.config.input_size, self.config.normalization
        batch = np.stack([prepare_input(image, size, method) for image in images])[:, None]
        return softmax(self.backend(batch))

    def predict(self, image: str | Path | np.ndarray) -> Result:
        """Segment one radiograph given as a path or a grey/RGB array (a file must be 32 pixels a side or more)."""
        source = None
        if isinstance(image, (str, Path)):
            source = str(image)
            image = read_image(image)
            check_segmentable(image, source)
        return self.predict_batch([image], [source])[0]

    def predict_batch(self, images: list[np.ndarray], sources: list[str | None] | None = None) -> list[Result]:
        """Segment several radiographs (any sizes) with one network call per model.

        A uniform bright frame is cut off first (``teethseg.bright_frame``). Radiographs stored as
        negatives are seen inverted and close views by the close-up network
        (``teethseg.doubtful``), and those whose teeth look far smaller or bigger than typical are
        seen a second time, framed as in training (``teethseg.reframe``); their JSON says so.
        Overlays show the image as given.
        """
        images = [_as_grey(image) for image in images]
        sources = sources or [None] * len(images)
        extras: list[dict[str, Any]] = [{} for _ in images]
        frames = [bright_frame_window(image) for image in images]
        inner = [image if frame is None else cut(image, frame) for image, frame in zip(images, frames)]
        numbers = self._numbering_scores(inner)
        seen, looks = self._reconsider_doubtful(inner, self._look(inner, numbering=numbers), extras, numbers)
        looks = self._look_again(seen, looks, extras)
        results = []
        for image, frame, source, (labels, confidence, scores), extra in zip(images, frames, sources, looks, extras):
            if extra.get("close_view") and "second_look" not in extra:  # (a second look separated its own)
                labels, confidence = self._whole_teeth(labels, confidence, scores)
            if frame is not None:  # the bright frame is background
                labels = paste(labels, frame, image.shape, np.zeros(image.shape, labels.dtype))
                confidence = paste(confidence, frame, image.shape, np.ones(image.shape, np.float32))
                extra["bright_frame_cut"] = {"window_yxhw": list(frame)}
                if "second_look" in extra:  # its window in the radiograph's own pixels
                    window = extra["second_look"]["window_yxhw"]
                    extra["second_look"]["window_yxhw"] = [window[0] + frame[0], window[1] + frame[1], *window[2:]]
            teeth = tooth_records(labels, confidence, self.class_names, len(self.class_names) > 2)
            results.append(Result(image, labels, confidence, teeth, self.class_names, self.name, source, extra))
        return results

    def _look(
        self, images: list[np.ndarray], mask_network: "Segmenter | None" = None, numbering: Any = None,
        separate: bool = False,
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Labels, confidence and the mask model's probabilities for each image, one network call per model.

        ``mask_network``: another mask network (the close-up one) in place of this one's.
        ``numbering``: the numbering network's scores of these images, when already computed.
        ``separate``: tell the teeth apart by the mask network's contacts (close views, see ``_whole_teeth``).
        """
        mask_network = mask_network or self
        probabilities = mask_network.scores(images, self.mirror)
        if numbering is None:
            numbering = self._numbering_scores(images)
        contacts, typical = bool(mask_network.config.contact_width), self.typical_tooth_fractions
        looks = []
        for image, scores, numbers in zip(images, probabilities, numbering):
            labels, confidence = postprocess(scores, image.shape, numbers, contacts, typical)
            if separate:
                labels, confidence = self._whole_teeth(labels, confidence, scores)
            looks.append((labels, confidence, scores))
        return looks

    def _whole_teeth(
        self, labels: np.ndarray, confidence: np.ndarray, scores: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A close view's numbered labels remade as whole teeth from the close-up network's contacts
        (``teethseg.close_view_teeth``), and as the teeth's confidence the probability that they are
        tooth, as their numbers are unsure; labels without contacts or numbers as they are.

        Done last, after the second look was decided from the numbering network's pieces: on close
        views that look lifts binary Dice by 0.01-0.03 (model card), and whole teeth would stop it.
        """
        if self.numbering is None or scores.shape[0] < 3:
            return labels, confidence
        labels = separate_teeth(labels, contact_share(scores), len(self.class_names))
        return labels, np.where(labels > 0, tooth_probability(scores, labels.shape), confidence).astype(np.float32)

    def _numbering_scores(self, images: list[np.ndarray]) -> Any:
        """The numbering network's probabilities for each image (None each without one)."""
        return self.numbering.scores(images, self.mirror) if self.numbering else [None] * len(images)

    def _reconsider_doubtful(
        self, images: list[np.ndarray], looks: list[tuple[np.ndarray, np.ndarray, np.ndarray]], extras: list[dict[str, Any]],
        numbers: Any,
    ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """The images as the networks should see them, and their looks: doubtful ones are also seen
        inverted and by the close-up network, and the look with the surest mask is kept.

        ``numbers``: the numbering network's scores of the images as given, from their first look.
        """
        doubts = [i for i, (labels, confidence, _) in enumerate(looks) if doubtful(labels, confidence)]
        if not doubts:
            return images, looks
        images, looks = list(images), list(looks)
        skew = {i: skewness(images[i]) for i in doubts}  # an inverted view's is the negative
        best = {i: (look_score(looks[i][2], skew[i]), images[i], looks[i], {}) for i in doubts}
        close_up = self.close_up
        others = [(True, None)] + ([(False, close_up), (True, close_up)] if close_up else [])
        views = {False: [images[i] for i in doubts], True: [1 - images[i] for i in doubts]}
        by_polarity: dict[bool, Any] = {False: [numbers[i] for i in doubts]}  # numbered once per polarity
        for inverted, network in others:
            seen = views[inverted]
            if inverted not in by_polarity:
                by_polarity[inverted] = self._numbering_scores(seen)
            for i, image, look in zip(doubts, seen, self._look(seen, network, by_polarity[inverted])):
                score = look_score(look[2], -skew[i] if inverted else skew[i])
                if score > best[i][0]:
                    notes = {"inverted": True} if inverted else {}
                    if network is not None:
                        notes["close_view"] = True
                    best[i] = (score, image, look, notes)
        for i, (_, image, look, notes) in best.items():
            images[i], looks[i] = image, look
            extras[i].update(notes)
        return images, looks

    def _look_again(
        self,
        images: list[np.ndarray],
        looks: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        extras: list[dict[str, Any]],
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Images whose teeth look far from a typical size, seen again at a window that frames them as in training.

        Needs the typical tooth sizes of a numbering model; without them every first look stands.
        """
        typical = self.typical_tooth_fractions
        again = []
        for i, (labels, _, _) in enumerate(looks if typical else []):
            scale = tooth_scale(labels, typical)
            window = second_look_window(labels, scale, bool(extras[i].get("close_view")))
            if window is not None:
                again.append((i, window))
                extras[i]["second_look"] = {"tooth_scale": round(scale, 3), "window_yxhw": list(window)}
        if not again:
            return looks
        again_looks = {}  # each image seen again by the mask network of its first look
        for close_view in (False, True):
            group = [(i, w) for i, w in again if bool(extras[i].get("close_view")) == close_view]
            if group:
                network = self.close_up if close_view else None
                windows = [cut(images[i], w) for i, w in group]
                again_looks.update(zip(group, self._look(windows, network, separate=close_view)))
        for (i, window), (labels, confidence, _) in again_looks.items():
            first_labels, first_confidence, scores = looks[i]
            shape = first_labels.shape
            # Outside the window nothing is tooth: pixels the first look called tooth get the background probability.
            outside = np.nonzero(first_labels > 0)
            first_confidence[outside] = class_probability_at(scores, shape, outside, np.zeros(outside[0].size, np.intp))
            looks[i] = (
                paste(labels, window, shape, np.zeros_like(first_labels)),
                paste(confidence, window, shape, first_confidence),
                scores,
            )
        return looks


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits along axis 1, computed stably in float32."""
    shifted = logits.astype(np.float32, copy=False) - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def _as_grey(image: np.ndarray) -> np.ndarray:
    """Arrays from users: HxW or HxWx3/4, uint8/uint16/float -> grey float32 in [0, 1]."""
    array = np.asarray(image)
    scale = 255.0 if array.dtype == np.uint8 else 65535.0 if array.dtype == np.uint16 else 1.0
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3].astype(np.float32).mean(axis=2)
    if array.ndim != 2:
        raise TeethsegError(None, f"expected a grey HxW or colour HxWx3 image array, got shape {array.shape}")
    return np.clip(array.astype(np.float32) / scale, 0.0, 1.0)
