"""Looking: the networks see a batch of views, and their probabilities become labelled teeth.

A ``Look`` is what one view gave; a ``View`` carries a radiograph from stage to stage (the image
the networks see, its look, and the notes its JSON will hold). ``Networks`` are the networks of
one model as the stages use them: the mask network, the numbering network(s) that name its teeth,
and the close-up mask network for close views, loaded when first needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teethseg.inference.ensemble import AveragedNetworks
from teethseg.inference.network import Network
from teethseg.teeth.close_view import whole_teeth
from teethseg.teeth.postprocess import TOOTH_THRESHOLD, postprocess


@dataclass
class Look:
    """Labels and confidence at the view's size, and the mask network's probabilities at its input size."""

    labels: np.ndarray
    confidence: np.ndarray
    scores: np.ndarray


@dataclass
class View:
    """One radiograph between stages: the image the networks see (after the frame is cut, maybe
    inverted), their look at it, the numbering network's probabilities of its first look (reused
    by later looks at the same image), and notes for its JSON record."""

    image: np.ndarray
    look: Look
    numbers: np.ndarray | None = None
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Networks:
    """The networks a model sees radiographs with."""

    mask: Network
    numbering: Network | AveragedNetworks | None
    close_up: Callable[[], Network | None]
    mirror: bool
    class_names: list[str]
    typical_tooth_fractions: list[float] | None
    threshold: float = TOOTH_THRESHOLD

    def numbering_scores(self, images: list[np.ndarray]) -> Any:
        """The numbering network's probabilities for each image (None each without one)."""
        return self.numbering.scores(images, self.mirror) if self.numbering else [None] * len(images)

    def first_looks(self, images: list[np.ndarray]) -> list[View]:
        """Each image seen by the mask and numbering networks, one network call per model."""
        numbers = self.numbering_scores(images)
        return [View(image, look, number) for image, look, number in zip(images, self.look(images, numbering=numbers), numbers)]

    def look(
        self, images: list[np.ndarray], mask_network: Network | None = None, numbering: Any = None,
        separate: bool = False,
    ) -> list[Look]:
        """Looks at the images, one network call per model.

        ``mask_network``: another mask network (the close-up one) in place of the model's own.
        ``numbering``: the numbering network's scores of these images, when already computed.
        ``separate``: tell the teeth apart by the mask network's contacts (close views, see ``whole_teeth``).
        """
        mask_network = mask_network or self.mask
        probabilities = mask_network.scores(images, self.mirror)
        if numbering is None:
            numbering = self.numbering_scores(images)
        contacts = bool(mask_network.config.contact_width)
        looks = []
        for image, scores, numbers in zip(images, probabilities, numbering):
            look = Look(*postprocess(scores, image.shape, numbers, contacts, self.typical_tooth_fractions,
                                     self.threshold), scores)
            looks.append(self.whole_teeth(look) if separate else look)
        return looks

    def whole_teeth(self, look: Look) -> Look:
        """A close view's look with whole teeth (``teethseg.teeth.close_view``); as it was without numbering."""
        if self.numbering is None:
            return look
        labels, confidence = whole_teeth(look.labels, look.confidence, look.scores, len(self.class_names))
        return Look(labels, confidence, look.scores)
