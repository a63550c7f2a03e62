"""From annotation category names to label-map values.

Category names that are all FDI tooth numbers ("11".."48", also "tooth 11") map to the FDI
classes of the shared data (``classes.json``: 1..32 = 11..18, 21..28, 31..38, 41..48), so a
numbered export trains the same model as the shared data. Any other names take the values
1..K in the order given, with class names ``["background", *names]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FDI_TEETH = [f"{quadrant}{tooth}" for quadrant in range(1, 5) for tooth in range(1, 9)]
FDI_CLASS_NAMES = ["background", *FDI_TEETH]
_FDI_NAME = re.compile(r"^(?:tooth[\s_-]*)?([1-4][1-8])$", re.IGNORECASE)


def fdi_number(name: str) -> str | None:
    """'11', 'Tooth 11' or 'tooth_11' -> '11'; None for anything that is not an FDI tooth."""
    match = _FDI_NAME.match(str(name).strip())
    return match.group(1) if match else None


def class_mapping(names: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Label value per category name, and the class names of the resulting label maps."""
    names = list(dict.fromkeys(str(n) for n in names))
    if names and all(fdi_number(n) for n in names):
        return {n: FDI_TEETH.index(fdi_number(n)) + 1 for n in names}, list(FDI_CLASS_NAMES)
    if len(names) > 255:
        raise ValueError(f"{len(names)} categories: label maps hold at most 255 classes")
    return {n: i + 1 for i, n in enumerate(names)}, ["background", *names]


def category_table(class_names: Sequence[str] | None, values: Sequence[int]) -> tuple[list[str], dict[int, int]]:
    """Category names 1..K for writing annotations, and the category of each label value used.

    With class names that cover the values, category k is class k, so reading the annotations
    back gives the same values. Otherwise masks with one tooth value (1 or 255, as 0/255 masks
    have) become one "tooth" category (read back as 1), and several values categories "1".."K".
    """
    present = sorted({int(v) for v in values if v > 0})
    top = max(present, default=0)
    if class_names and len(class_names) > top:
        return [str(n) for n in class_names[1:]], {v: v for v in present}
    if len(present) <= 1:
        name = str(class_names[1]) if class_names and len(class_names) == 2 else "tooth"
        return [name], {v: 1 for v in present}
    return [str(v) for v in range(1, top + 1)], {v: v for v in present}
