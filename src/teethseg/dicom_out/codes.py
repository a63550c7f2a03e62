"""Coded concepts for teeth: SNOMED CT codes of the permanent teeth by FDI number.

The codes are those of DICOM CID 4018 (permanent dentition) as pydicom ships them, so a
viewer shows "Permanent maxillary right central incisor tooth" for FDI 11. A tooth without a
code (not a permanent FDI number, or a binary model's unnamed tooth) gets SCT "Tooth".
"""

from __future__ import annotations

from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

# FDI position within a quadrant -> the words CID 4018 uses for it.
_POSITIONS = {
    1: "CentralIncisor", 2: "LateralIncisor", 3: "Canine", 4: "FirstPremolar",
    5: "SecondPremolar", 6: "FirstMolar", 7: "SecondMolar", 8: "ThirdMolar",
}
# FDI quadrant -> the jaw and side words of CID 4018 (its upper teeth say "Permanent").
_QUADRANTS = {1: "PermanentMaxillaryRight", 2: "PermanentMaxillaryLeft", 3: "MandibularLeft", 4: "MandibularRight"}
# CID 4018 names the lower left lateral incisor "Mandibular left lateral tooth".
_SPELLING = {"MandibularLeftLateralIncisorTooth": "MandibularLeftLateralTooth"}

TOOTH = codes.SCT.Tooth
ANATOMICAL_STRUCTURE = codes.SCT.AnatomicalStructure


def tooth_code(fdi: int | None) -> Code:
    """The SNOMED CT code of a permanent tooth by FDI number; SCT 'Tooth' for anything else."""
    if not isinstance(fdi, int) or fdi // 10 not in _QUADRANTS or fdi % 10 not in _POSITIONS:
        return TOOTH
    name = f"{_QUADRANTS[fdi // 10]}{_POSITIONS[fdi % 10]}Tooth"
    return getattr(codes.CID4018, _SPELLING.get(name, name))
