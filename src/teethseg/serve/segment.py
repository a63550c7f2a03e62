"""Segment one upload into stored results: read as ``teethseg predict`` reads, write as it writes.

The upload is read by the CLI's own reader (every frame, the size checks, DICOM facts and areas
in mm²), so the messages are the CLI's, with the client's file name in place of the private
path. Every problem reading it is the upload's (422); the results of a multi-frame upload are
stored all together or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from teethseg.errors import TeethsegError
from teethseg.inference.dental import NotDentalError, refuse_by_facts, refuse_unless_dental
from teethseg.io.facts import SourceFacts
from teethseg.io.files import atomic_path
from teethseg.predict.groups import read_input, with_source_facts
from teethseg.serve.errors import ApiError
from teethseg.serve.results import STEM, ResultStore
from teethseg.serve.uploads import Upload


def read_upload(upload: Upload) -> list[tuple[np.ndarray, dict[str, Any], SourceFacts]]:
    """Every frame of the upload, its JSON extras and facts; 422 with the CLI's message when teethseg
    refuses it (also when its DICOM tags or colour say it is no dental radiograph)."""
    try:
        frames = [(frame, extra, facts) for _, frame, extra, facts in read_input((upload.path, STEM))]
        if frames:
            refuse_by_facts(frames[0][2], upload.name)
        return frames
    except TeethsegError as error:
        raise ApiError(422, f"{upload.name}: {error.problem}") from None
    except MemoryError:
        raise ApiError(422, f"{upload.name}: image too large to decode") from None
    except Exception as error:  # a decoder failing on hostile bytes in a way the readers do not name
        raise ApiError(422, f"{upload.name}: corrupt or unreadable image ({type(error).__name__})") from None


def _write_picture(path: Path, image: np.ndarray) -> None:
    """The radiograph as the page shows it under the teeth: grey JPEG, small to send."""
    with atomic_path(path) as temporary:
        Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)).save(temporary, "JPEG", quality=90)


def links(result_id: str, numbered: bool, segmentation: bool = False) -> dict[str, str]:
    """The URLs of a result's files (``seg.dcm``: the DICOM Segmentation of a DICOM upload)."""
    names = ["mask.png", "overlay.png", *(["teeth.png"] if numbered else []), "record.json", "image.jpg",
             *(["seg.dcm"] if segmentation else [])]
    return {name.split(".")[0]: f"/v1/results/{result_id}/{name}" for name in names}


def segment_upload(segmenter: Any, upload: Upload, store: ResultStore) -> list[dict[str, Any]]:
    """Read, segment and store every frame of an upload; the records answered, one per frame.

    The upload file is removed whatever happens.
    """
    written: list[tuple[str, Path]] = []
    records = []
    try:
        for frame, extra, facts in read_upload(upload):
            result = with_source_facts(segmenter.predict_batch([frame], [upload.name], [facts])[0], extra)
            try:
                refuse_unless_dental(result.extra, upload.name)
            except NotDentalError as error:
                raise ApiError(422, str(error)) from None
            result_id, folder = store.new_folder()
            written.append((result_id, folder))
            paths = result.save(folder, STEM, source_path=upload.path)  # a DICOM's SEG reads its header again
            _write_picture(folder / "image.jpg", result.image)
            segmentation = any(path.name.endswith("_seg.dcm") for path in paths)
            records.append({**result.summary(), "id": result_id, "files": links(result_id, result.numbered, segmentation)})
    except BaseException:
        for _, folder in written:
            store.discard(folder)
        raise
    finally:
        upload.path.unlink(missing_ok=True)
    for result_id, folder in written:
        store.add(result_id, folder)
    return records
