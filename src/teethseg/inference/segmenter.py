"""Segmenter: a radiograph flows through the prediction stages, each in its own module.

    read      teethseg.io.images       the radiograph as grey float32 in [0, 1]
    frame     inference.frame          a uniform bright frame cut off (its pixels are background)
    look      inference.look           mask and numbering networks (mirror, ensemble) -> labelled teeth
    decide    inference.decide         a doubtful look seen inverted and by the close-up network
              inference.reframe        teeth far from the typical size seen again, framed as in training
    teeth     teeth.close_view         a close view's teeth made whole (regions, borders and splits of
                                       every look: teeth.postprocess, called by look)
    dental    inference.dental         is it a dental radiograph at all? (DICOM tags, colour, the networks' view)
    result    inference.result         labels at the radiograph's size, one record per tooth
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from teethseg.config import ModelConfig
from teethseg.inference.decide import reconsider_doubtful
from teethseg.inference.dental import judge, refuse_unless_dental
from teethseg.inference.ensemble import AveragedNetworks
from teethseg.inference.frame import bright_frame_window, with_frame, without_frame
from teethseg.inference.look import Networks, View
from teethseg.inference.network import Network
from teethseg.inference.reframe import look_again
from teethseg.inference.result import Result
from teethseg.inference.working_size import enlarged, full_size_records, working_image
from teethseg.io.decode_size import full_shape
from teethseg.io.facts import SourceFacts, colourfulness
from teethseg.io.images import as_grey, check_segmentable, read_image_with_facts
from teethseg.teeth.postprocess import TOOTH_THRESHOLD
from teethseg.teeth.records import tooth_records


class Segmenter(Network):
    """A loaded model that predicts teeth on radiographs of any size.

    An optional ``numbering`` network (a numbered model, or several averaged:
    ``teethseg.inference.ensemble``) names the teeth that this one finds: the mask comes from this
    model, each tooth's FDI number from the other. With ``mirror`` every network also sees the
    mirror image. An optional ``close_up`` network (a mask network that learnt close views), or a
    function that loads it when first needed, draws the mask of doubtful images when it is surer
    of it (``teethseg.inference.decide``).
    """

    def __init__(
        self, backend: Callable[[np.ndarray], np.ndarray], config: ModelConfig, name: str = "model",
        info: dict | None = None, numbering: Network | AveragedNetworks | None = None, mirror: bool = False,
        close_up: Network | Callable[[], Network] | None = None,
    ) -> None:
        super().__init__(backend, config, name, info, mirror)
        self.numbering = numbering
        self.close_up = close_up
        # A pixel is tooth when its tooth probability passes this (``teethseg predict --threshold``).
        self.threshold = TOOTH_THRESHOLD
        # How teeth are named (``teethseg.teeth.arch_decoder.NAMINGS``): "pixels", or each jaw in arch order.
        self.naming = "pixels"
        # Judge images by the networks' view too (``teethseg.inference.dental``): only for the bundled
        # networks, on which its limits were measured; other models are judged by tags and colour.
        self.dental_evidence = False
        self._loading = threading.Lock()

    @property
    def close_up(self) -> Network | None:
        """The close-up mask network, loaded on first use: panoramics never need it."""
        with self._loading:
            if callable(self._close_up):
                self._close_up = self._close_up()
            return self._close_up

    @close_up.setter
    def close_up(self, close_up: Network | Callable[[], Network] | None) -> None:
        self._close_up = close_up

    @property
    def class_names(self) -> list[str]:
        if self.numbering:
            return self.numbering.config.class_names
        return self.config.class_names[:2] if self.config.contact_width else self.config.class_names

    @property
    def typical_tooth_fractions(self) -> list[float] | None:
        """Each class's typical share of the image, stored by the numbering model (see ``teethseg.teeth.split``)."""
        return self.numbering.info.get("typical_tooth_fractions") if self.numbering else None

    @property
    def networks(self) -> Networks:
        """This model's networks as the stages use them."""
        return Networks(self, self.numbering, lambda: self.close_up, self.mirror, self.class_names,
                        self.typical_tooth_fractions, self.threshold, self.naming)

    def predict(self, image: str | Path | np.ndarray, force: bool = False) -> Result:
        """Segment one radiograph given as a path or a grey/RGB array (a file must be 32 pixels a side or more).

        An image that does not look like a dental radiograph raises ``NotDentalError`` (a
        ``TeethsegError``); with ``force`` it is segmented anyway and ``result.extra["looks_dental"]``
        is False, with the reason in ``result.extra["not_dental_reason"]``.
        """
        source, facts = None, None
        if isinstance(image, (str, Path)):
            source = str(image)
            image, fact = read_image_with_facts(image, reduce=True)
            check_segmentable(image, source)
            facts = [fact]
        result = self.predict_batch([image], [source], facts)[0]
        if not force:
            refuse_unless_dental(result.extra, source)
        return result

    def predict_batch(
        self, images: list[np.ndarray], sources: list[str | None] | None = None, facts: list[SourceFacts] | None = None,
    ) -> list[Result]:
        """Segment several radiographs (any sizes) with one network call per model and stage.

        Overlays show the image as given; the JSON says how it was seen otherwise, and whether the
        image looks like a dental radiograph (``looks_dental``: judged from ``facts``, what reading
        saw, or for arrays their colour, and from the networks' view; ``teethseg.inference.dental``).
        """
        networks = self.networks
        facts = facts or [SourceFacts(colourfulness(image)) for image in images]
        shapes = [full_shape(image) for image in images]
        images = [working_image(as_grey(image)) for image in images]
        frames = [bright_frame_window(image) for image in images]
        views = networks.first_looks([without_frame(image, frame) for image, frame in zip(images, frames)])
        views = reconsider_doubtful(networks, views)
        views = look_again(networks, views)
        views = [_close_view_teeth(networks, view) for view in views]
        views = judge(views, facts, self.dental_evidence)
        sources = sources or [None] * len(images)
        return [self._result(*item) for item in zip(images, frames, views, sources, shapes)]

    def _result(self, image: np.ndarray, frame: tuple | None, view: View, source: str | None,
                shape: tuple[int, int]) -> Result:
        """The view's teeth at the radiograph's own size (``shape``), with a record per tooth."""
        labels, confidence = with_frame(view, frame, image.shape)
        if labels.shape != tuple(shape):  # segmented at the working size
            teeth = full_size_records(labels, confidence, self.class_names, len(self.class_names) > 2, shape)
            view.notes["segmented_at_hw"] = list(labels.shape)
            labels, confidence = enlarged(labels, shape), enlarged(confidence, shape)
        else:
            teeth = tooth_records(labels, confidence, self.class_names, len(self.class_names) > 2)
        return Result(image, labels, confidence, teeth, self.class_names, self.name, source, view.notes)


def _close_view_teeth(networks: Networks, view: View) -> View:
    """A close view's teeth made whole, last: the second look was decided on the numbering
    network's pieces, and on close views it lifts binary Dice by 0.01-0.03 (model card); a second
    look separated its own teeth already."""
    if not view.notes.get("close_view") or "second_look" in view.notes:
        return view
    return View(view.image, networks.whole_teeth(view.look), view.numbers, view.notes)
