"""A prediction's numbers as a DICOM Structured Report (TID 1500 measurement report).

One image-level group holds the number of teeth found, the FDI numbers not found and the
numbers to check; one planar-ROI group per tooth refers to its segment in the SEG and gives
its area in mm² when the radiograph's pixel spacing is known. Concepts that no standard code
names (a count of teeth, a tooth not found) use teethseg's private coding scheme, as DICOM
allows for designators starting with "99".
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from teethseg.dicom_out.codes import tooth_code
from teethseg.dicom_out.seg import MANUFACTURER
from teethseg.version import __version__

SCHEME = "99TEETHSEG"
SERIES_NUMBER = 902
SERIES_DESCRIPTION = "teethseg teeth report"


def _concept(value: str, meaning: str, scheme: str = SCHEME) -> Any:
    from highdicom.sr import CodedConcept

    return CodedConcept(value=value, scheme_designator=scheme, meaning=meaning)


def _segment_frame(seg: Any, number: int, source: Dataset) -> Any:
    """TID 1410's reference to the SEG frame of one segment, as PS3.3 Table 10-3 wants it.

    highdicom's ``from_segmentation`` also names the segment number beside the frame number
    and a frame of the single-frame source, both of which the standard forbids there (and
    dciodvfy reports as errors), so the reference is built here without them.
    """
    import highdicom as hd

    frame = next(i for i, item in enumerate(seg.PerFrameFunctionalGroupsSequence, start=1)
                 if item.SegmentIdentificationSequence[0].ReferencedSegmentNumber == number)
    reference = hd.sr.ReferencedSegmentationFrame(
        sop_class_uid=seg.SOPClassUID, sop_instance_uid=seg.SOPInstanceUID, frame_number=frame, segment_number=number,
        source_image=hd.sr.SourceImageForSegmentation(source.SOPClassUID, source.SOPInstanceUID),
    )
    del reference[0].ReferencedSOPSequence[0].ReferencedSegmentNumber
    return reference


def build_report(
    teeth: list[dict[str, Any]], missing_fdi: list[int], numbers_to_check: list[int], seg: Dataset, source: Dataset,
    model_name: str = "teethseg",
) -> Any:
    """A highdicom ``ComprehensiveSR`` (TID 1500) about ``seg`` (built by ``build_segmentation``)."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    algorithm = hd.sr.AlgorithmIdentification(name=f"teethseg {model_name}"[:64], version=__version__)
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=generate_uid(), name="teethseg", manufacturer_name=MANUFACTURER, model_name=model_name[:64]),
    )
    image_group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=generate_uid(), identifier="teeth"),
        algorithm_id=algorithm,
        finding_sites=[hd.sr.FindingSite(codes.SCT.TeethGumsAndSupportingStructures)],
        measurements=[hd.sr.Measurement(
            name=_concept("teeth-count", "Number of teeth found"), value=len(teeth),
            unit=_concept("{teeth}", "teeth", "UCUM"), algorithm_id=algorithm)],
        qualitative_evaluations=[
            *(hd.sr.QualitativeEvaluation(_concept("tooth-not-found", "Tooth not found"), tooth_code(f))
              for f in missing_fdi),
            *(hd.sr.QualitativeEvaluation(_concept("number-to-check", "Tooth number to check"), tooth_code(f))
              for f in numbers_to_check),
        ] or None,
    )
    groups: list[Any] = [image_group]
    labels = {seg.get_segment_description(n).segment_label: n for n in seg.get_segment_numbers()}
    for tooth in teeth:
        number = labels.get(str(tooth["fdi"]) if tooth.get("fdi") is not None else "Tooth")
        if number is None or tooth.get("area_mm2") is None:
            continue
        groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=generate_uid(), identifier=f"tooth {tooth['fdi']}"),
            referenced_segment=_segment_frame(seg, number, source),
            finding_type=codes.SCT.Tooth,
            finding_sites=[hd.sr.FindingSite(tooth_code(tooth.get("fdi")))],
            algorithm_id=algorithm,
            measurements=[hd.sr.Measurement(name=codes.SCT.Area, value=float(tooth["area_mm2"]),
                                            unit=codes.UCUM.SquareMillimeter)],
        ))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.SCT.RadiographyOfTeeth,
        imaging_measurements=groups,
    )
    document = hd.sr.ComprehensiveSR(
        evidence=[source, seg],
        content=report,
        series_instance_uid=generate_uid(),
        series_number=SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        series_description=SERIES_DESCRIPTION,
    )
    # A private coding scheme is declared in the SOP Common module (PS3.3 C.12.1.1.5).
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeName = "teethseg concepts"
    scheme.CodingSchemeResponsibleOrganization = "teethseg"
    document.CodingSchemeIdentificationSequence = [scheme]
    return document
