"""``teethseg pacs``: segment a PACS's radiographs over DICOMweb and store the SEGs back.

It finds the series of the chosen modalities (QIDO-RS), fetches each instance (WADO-RS),
segments it as ``predict`` does a DICOM file, and stores its Segmentation, and the report
when asked, in the same study (STOW-RS), with ``dicomweb-client``. What is done is asked of
the PACS itself: an instance that a teethseg SEG already references is skipped, so a second
run stores nothing and a killed run resumes where it stopped (the report is stored before the
SEG, so a SEG's presence means both are there). A bad instance is named in one line and
skipped; the exit code is then 1.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teethseg.errors import TeethsegError, one_line

DEFAULT_MODALITIES = "PX,DX,IO"
# Credentials come from these variables or from options, never from a file.
USER_ENV, PASSWORD_ENV, TOKEN_ENV = "TEETHSEG_PACS_USER", "TEETHSEG_PACS_PASSWORD", "TEETHSEG_PACS_TOKEN"

_STUDY, _SERIES, _SOP, _SOP_CLASS = "0020000D", "0020000E", "00080018", "00080016"


@dataclass(frozen=True)
class Instance:
    """One image in the PACS, by its UIDs."""

    study: str
    series: str
    sop: str

    def __str__(self) -> str:
        return f"instance {self.sop} (study {self.study})"


def _value(item: dict[str, Any], tag: str) -> str | None:
    values = (item.get(tag) or {}).get("Value") or []
    return str(values[0]) if values else None


def parse_since(text: str | None) -> str | None:
    """``--since`` as a DICOM date (YYYYMMDD), from YYYYMMDD or YYYY-MM-DD."""
    if not text:
        return None
    digits = text.replace("-", "")
    if not re.fullmatch(r"\d{8}", digits):
        raise TeethsegError(None, f"--since must be a date as YYYY-MM-DD or YYYYMMDD, got {text!r}")
    return digits


def parse_modalities(text: str) -> list[str]:
    """``--modality`` as a list of DICOM modality codes (PX, DX, IO, ...)."""
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    if not codes or not all(re.fullmatch(r"[A-Z0-9]{1,16}", code) for code in codes):
        raise TeethsegError(None, f"--modality must be DICOM modality codes separated by commas, got {text!r}")
    return codes


def connect(url: str, user: str | None = None, password: str | None = None, token: str | None = None) -> Any:
    """A DICOMweb client; credentials from the arguments, else from the environment."""
    import requests
    from dicomweb_client import DICOMwebClient

    if not re.match(r"https?://", url):
        raise TeethsegError(None, f"--url must start with http:// or https://, got {url!r}")
    user = user or os.environ.get(USER_ENV)
    password = password if password is not None else os.environ.get(PASSWORD_ENV)
    token = token or os.environ.get(TOKEN_ENV)
    session = requests.Session()
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    elif user:
        session.auth = (user, password or "")
    client = DICOMwebClient(url.rstrip("/"), session=session, timeout=60)
    # A busy PACS (429, 503, ...) and a refused connection are tried 3 times in about 3 s, not 5 in 31 s.
    client.set_http_retry_params(max_attempts=3, wait_exponential_multiplier=500)
    return client


def find_instances(client: Any, modalities: list[str], since: str | None = None) -> Iterator[Instance]:
    """Every instance of a series of the given modalities (QIDO-RS), studies from ``since`` on."""
    seen: set[str] = set()
    for modality in modalities:
        filters = {"Modality": modality, **({"StudyDate": f"{since}-"} if since else {})}
        for series in client.search_for_series(search_filters=filters, get_remaining=True):
            study, series_uid = _value(series, _STUDY), _value(series, _SERIES)
            if not study or not series_uid or series_uid in seen:
                continue
            seen.add(series_uid)
            for item in client.search_for_instances(study, series_uid, get_remaining=True):
                sop = _value(item, _SOP)
                if sop:
                    yield Instance(study, series_uid, sop)


def segmented_instances(client: Any, study: str) -> set[str]:
    """SOP Instance UIDs of a study's images that a teethseg SEG already references."""
    from pydicom.dataset import Dataset

    from teethseg.dicom_out.seg import MANUFACTURER

    done: set[str] = set()
    for series in client.search_for_series(study, search_filters={"Modality": "SEG"}, get_remaining=True):
        series_uid = _value(series, _SERIES)
        if not series_uid:
            continue
        for metadata in client.retrieve_series_metadata(study, series_uid):
            seg = Dataset.from_json(metadata, bulk_data_uri_handler=lambda *_: b"")  # references only, no frames
            if str(seg.get("Manufacturer", "")) != MANUFACTURER:
                continue
            for referenced in seg.get("ReferencedSeriesSequence", []):
                done.update(str(i.ReferencedSOPInstanceUID) for i in referenced.get("ReferencedInstanceSequence", []))
    return done


def segment_instance(segmenter: Any, dataset: Any, name: str, sr: bool) -> tuple[Any, list[Any]]:
    """Segment one fetched instance as ``predict`` segments a DICOM file; the result and the
    objects to store in that order: the report (when asked), then the SEG."""
    from teethseg.dicom_out.files import dicom_objects
    from teethseg.inference.dental import refuse_unless_dental
    from teethseg.io.images import check_segmentable, read_frames_with_facts
    from teethseg.predict.groups import with_source_facts

    with tempfile.TemporaryDirectory(prefix="teethseg-pacs-") as folder:
        path = Path(folder) / "instance.dcm"
        dataset.save_as(path, enforce_file_format=False)
        try:
            frames, info, facts = read_frames_with_facts(path)
        except TeethsegError as error:
            raise TeethsegError(name, error.problem) from None
    if len(frames) != 1:
        raise TeethsegError(name, f"multi-frame image ({len(frames)} frames): a SEG per stack is not written yet")
    check_segmentable(frames[0], name)
    result = segmenter.predict_batch(frames, [name], [facts])[0]
    refuse_unless_dental(result.extra, name)  # no SEG of teeth for what is no dental radiograph
    result = with_source_facts(result, {"dicom": info})
    header = dataset.copy()
    for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
        if keyword in header:
            delattr(header, keyword)
    # Report first, SEG last: a SEG in the PACS means this instance is done.
    objects = [dataset for _, dataset in dicom_objects(result, header, sr=sr)]
    return result, objects[1:] + objects[:1]


def pacs_command(
    url: str, since: str | None = None, modality: str = DEFAULT_MODALITIES, dry_run: bool = False, sr: bool = False,
    user: str | None = None, password: str | None = None, token: str | None = None, model: str | None = None,
    device: str = "auto", backend: str = "auto", mirror: bool | None = None, numbering: Any = None,
) -> int:
    """Segment every radiograph not done yet and store its SEG back; print one line each; the exit code."""
    from teethseg.inference.load import load_model
    from teethseg.inference.mirror import MIRROR_BY_DEFAULT

    client = connect(url, user, password, token)
    modalities, since = parse_modalities(modality), parse_since(since)
    try:
        instances = list(find_instances(client, modalities, since))
    except Exception as error:
        raise TeethsegError(url, f"cannot search the PACS ({one_line(error)})") from None
    done_by_study: dict[str, set[str]] = {}
    todo, failed = [], 0
    for instance in instances:
        if instance.study not in done_by_study:
            try:
                done_by_study[instance.study] = segmented_instances(client, instance.study)
            except Exception as error:
                print(f"teethseg: error: study {instance.study}: cannot list its SEGs ({one_line(error)})", file=sys.stderr)
                done_by_study[instance.study] = {i.sop for i in instances if i.study == instance.study}
                failed += 1
        if instance.sop not in done_by_study[instance.study]:
            todo.append(instance)
    already = len(instances) - len(todo)
    print(f"{len(instances)} instances of {', '.join(modalities)} found; {already} already segmented; {len(todo)} to do")
    if dry_run:
        for instance in todo:
            print(f"would segment {instance}")
        return 0
    segmenter = load_model(model, device, backend, mirror=MIRROR_BY_DEFAULT if mirror is None else mirror,
                           numbering=numbering) if todo else None
    stored, start = 0, time.perf_counter()
    for instance in todo:
        try:
            dataset = client.retrieve_instance(instance.study, instance.series, instance.sop)
            result, objects = segment_instance(segmenter, dataset, str(instance), sr)
            for item in objects:
                client.store_instances([item], instance.study)
        except Exception as error:  # one bad instance (or a refused store) never stops the others
            failed += 1
            problem = error.problem if isinstance(error, TeethsegError) else one_line(error)
            print(f"teethseg: error: {instance}: {problem}", file=sys.stderr)
            continue
        stored += 1
        kinds = "SEG and SR" if len(objects) > 1 else "SEG"
        print(f"{instance}: {len(result.teeth)} {result.teeth_count_kind} -> stored {kinds}")
    seconds = time.perf_counter() - start
    per = f" ({seconds / stored:.2f} s each)" if stored else ""
    print(f"{stored} of {len(todo)} instances segmented and stored{per}" + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0
