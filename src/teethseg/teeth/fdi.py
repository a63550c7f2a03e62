"""FDI tooth numbers: the class index a model uses for each, their order along the arches, and the
numbers under a horizontal flip (the patient's left and right swap quadrants 1<->2 and 3<->4)."""

from __future__ import annotations

import numpy as np

# The 32 FDI numbers in the order of the numbered models' classes 1..32 (the shared data's classes.json).
FDI_CLASS_ORDER = [q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9)]
# Each arch as it runs across a panoramic (the patient's right first): neighbours along it touch.
UPPER_ARCH = [18, 17, 16, 15, 14, 13, 12, 11, 21, 22, 23, 24, 25, 26, 27, 28]
LOWER_ARCH = [48, 47, 46, 45, 44, 43, 42, 41, 31, 32, 33, 34, 35, 36, 37, 38]


def fdi_numbers(class_names: list[str] | None = None) -> list[int | None]:
    """The FDI number of each class index (None for background and non-FDI classes).

    Without ``class_names`` the numbered models' standard order: class 1..32 = FDI 11..18, 21..28,
    31..38, 41..48 (``Result.labels`` holds these class indices, not FDI numbers).
    """
    if class_names is None:
        return [None, *FDI_CLASS_ORDER]
    return [int(name) if name.isdigit() and int(name) in FDI_CLASS_ORDER else None for name in class_names]


def labels_to_fdi(labels: np.ndarray, class_names: list[str] | None = None) -> np.ndarray:
    """A label map of class indices as a map of FDI numbers (uint8; 0 = background or no FDI tooth)."""
    table = np.zeros(256, dtype=np.uint8)
    for index, fdi in enumerate(fdi_numbers(class_names)):
        table[index] = fdi or 0
    return table[labels]


def fdi_flip_table(class_names: list[str] | None, num_classes: int) -> np.ndarray:
    """Label lookup for a horizontal flip: identity, except FDI teeth swap left and right."""
    table = np.arange(max(num_classes, 256), dtype=np.uint8)
    if not class_names:
        return table
    index = {name: i for i, name in enumerate(class_names)}
    mirror = {"1": "2", "2": "1", "3": "4", "4": "3", "5": "6", "6": "5", "7": "8", "8": "7"}
    for name, i in index.items():
        if len(name) == 2 and name.isdigit() and name[0] in mirror:
            partner = index.get(mirror[name[0]] + name[1])
            if partner is not None:
                table[i] = partner
    return table
