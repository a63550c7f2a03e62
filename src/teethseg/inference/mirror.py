"""The mirror image of a radiograph, with tooth numbers kept true.

A horizontal flip swaps the patient's left and right, so FDI teeth swap quadrants 1<->2 and
3<->4 (``teethseg.teeth.fdi``). Training flips images so; prediction can average a network's output on
the radiograph with its output on the mirror image (test-time augmentation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from teethseg.teeth.fdi import fdi_flip_table

# Whether prediction and evaluation average with the mirror image unless told otherwise: it
# scored better on val and on every mean of benchmarks/fullsize_check.py, at about 1.4 times
# the time of `teethseg predict` (model card).
MIRROR_BY_DEFAULT = True



def mirror_average(
    scores: Callable[[list[np.ndarray]], np.ndarray], images: list[np.ndarray], class_names: list[str]
) -> np.ndarray:
    """Mean of ``scores`` (N x C x H x W probabilities) on the images and on their mirror images.

    Class c seen in a mirror image is class ``table[c]`` of the radiograph itself.
    """
    direct = scores(images)
    mirrored = scores([np.ascontiguousarray(image[:, ::-1]) for image in images])[..., ::-1]
    table = fdi_flip_table(class_names, direct.shape[1])[: direct.shape[1]]
    renamed = np.empty_like(mirrored)
    renamed[:, table] = mirrored
    return (direct + renamed) / 2
