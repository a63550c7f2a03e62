"""Numbering networks of one recipe, trained with other seeds, whose probabilities are averaged.

Two seeds of the numbering recipe differ on val by up to 0.006 per-tooth Dice and make partly
different mistakes; the mean of their probabilities names teeth better than either (model card).
The bundled model ships such a pair; ``--numbering`` given more than once averages its files.
"""

from __future__ import annotations

import numpy as np

from teethseg.inference.network import Network


class AveragedNetworks:
    """Stands in for one network: the configuration and stored facts (typical tooth sizes) of the
    first member, and the mean of every member's probabilities."""

    def __init__(self, members: list[Network]) -> None:
        self.members = members
        self.config = members[0].config
        self.info = members[0].info
        self.name = " + ".join(member.name for member in members)

    def scores(self, images: list[np.ndarray], mirror: bool | None = None) -> np.ndarray:
        """Mean class probabilities (N x C x H x W) of the members, each seeing the images as ``Network.scores`` does."""
        total = self.members[0].scores(images, mirror)
        for member in self.members[1:]:
            total = total + member.scores(images, mirror)
        return total / len(self.members)


def averaged(networks: list[Network]) -> Network | AveragedNetworks:
    """The one network, or the average of several."""
    return networks[0] if len(networks) == 1 else AveragedNetworks(networks)
