"""FDI tooth numbers under a horizontal flip: the patient's left and right swap quadrants 1<->2 and 3<->4."""

from __future__ import annotations

import numpy as np


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
