"""The REST API of ``teethseg serve`` through FastAPI's TestClient: every endpoint, every refusal."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pydicom
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import teethseg
from teethseg.cli import main
from teethseg.errors import TeethsegError
from teethseg.io.images import read_image
from teethseg.nn.bundled import default_card
from teethseg.serve import ServeSettings, create_app
from tests.serve.hostile import SAMPLE, dicom_bytes, encoded, png_claiming, sample_pixels

ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


@pytest.fixture(scope="module")
def segmenter():
    return teethseg.load_model()


@contextmanager
def started(app) -> Iterator[TestClient]:
    """A client of ``app`` once its model is loaded (lifespan run)."""
    with TestClient(app) as client:
        app.state.teethseg.ready.wait(60)
        yield client


@pytest.fixture(scope="module")
def client(segmenter):
    with started(create_app(lambda: segmenter, ServeSettings(workers=1, max_upload_mb=1))) as client:
        yield client


@pytest.fixture(scope="module")
def predicted(tmp_path_factory):
    """What ``teethseg predict`` writes for the sample, run as the command line runs it."""
    out = tmp_path_factory.mktemp("predict")
    assert main(["predict", str(SAMPLE), "--out", str(out)]) == 0
    return out


def post(client: TestClient, name: str, data: bytes, query: str = "", **headers):
    return client.post(f"/v1/segment{query}", files={"file": (name, data, "application/octet-stream")}, headers=headers)


def test_health_is_ready_only_once_the_model_is_loaded(segmenter):
    gate = threading.Event()

    def slow_load():
        gate.wait(30)
        return segmenter

    with TestClient(create_app(slow_load)) as client:
        loading = client.get("/v1/health")
        refused = post(client, "x.jpg", SAMPLE.read_bytes())
        gate.set()
        client.app.state.teethseg.ready.wait(30)
        ready = client.get("/v1/health")
    assert (loading.status_code, loading.json()) == (503, {"status": "loading"})
    assert refused.status_code == 503 and "still loading" in refused.json()["error"]
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_a_model_that_fails_to_load_is_reported_not_raised():
    def broken():
        raise TeethsegError("model.onnx", "not a teethseg model")

    with TestClient(create_app(broken)) as client:
        client.app.state.teethseg.ready.wait(30)
        health, segment = client.get("/v1/health"), post(client, "x.jpg", SAMPLE.read_bytes())
    assert health.status_code == 503 and health.json() == {"status": "failed", "error": "model.onnx: not a teethseg model"}
    assert segment.status_code == 503 and "not a teethseg model" in segment.json()["error"]


def test_model_describes_the_loaded_networks(client, segmenter):
    model = client.get("/v1/model").json()
    card = default_card()
    assert model["name"] == segmenter.name == card["name"]
    assert model["classes"] == segmenter.class_names and model["numbered"] is True
    roles = {network["role"]: network for network in model["networks"]}
    assert set(roles) == {"mask", "numbering", "close-up"}
    assert roles["mask"]["input_size"] == list(segmenter.config.input_size) == card["input_size"]
    assert roles["numbering"]["input_size"] == card["numbering"][0]["input_size"]
    assert roles["mask"]["metrics"]["val_dice"] == card["training"]["val_dice"]
    assert model["max_upload_mb"] == 1


def test_segment_answers_predicts_record_with_id_and_files(client, predicted):
    response = post(client, "ufba425-cate1-00008.jpg", SAMPLE.read_bytes())
    assert response.status_code == 200
    record = response.json()
    expected = json.loads((predicted / "ufba425-cate1-00008.json").read_text())
    assert ID.match(record["id"])
    assert {k: v for k, v in record.items() if k not in ("id", "files", "source")} == \
        {k: v for k, v in expected.items() if k != "source"}
    assert record["source"] == "ufba425-cate1-00008.jpg"
    files = record["files"]
    assert set(files) == {"mask", "overlay", "teeth", "record", "image"}
    for kind, suffix in [("mask", "_mask.png"), ("teeth", "_teeth.png")]:
        served = np.asarray(Image.open(io.BytesIO(client.get(files[kind]).content)))
        written = np.asarray(Image.open(predicted / f"ufba425-cate1-00008{suffix}"))
        np.testing.assert_array_equal(served, written)
    stored = client.get(files["record"])
    assert stored.headers["content-type"] == "application/json"
    assert stored.json() == {k: v for k, v in record.items() if k not in ("id", "files")}
    overlay = Image.open(io.BytesIO(client.get(files["overlay"]).content))
    image = Image.open(io.BytesIO(client.get(files["image"]).content))
    assert overlay.size == image.size == (record["width"], record["height"]) and image.format == "JPEG"


def test_the_type_is_told_from_the_bytes_not_the_name(client):
    png = encoded(sample_pixels(), "PNG")
    response = post(client, "radiograph.dcm", png)
    assert response.status_code == 200 and response.json()["teeth_count"] > 0


def test_mirror_option_reaches_the_networks(client, segmenter):
    off = post(client, "s.jpg", SAMPLE.read_bytes(), "?mirror=false").json()
    image = read_image(SAMPLE)
    segmenter.mirror = False
    try:
        direct = segmenter.predict_batch([image], ["s.jpg"])[0].summary()
    finally:
        segmenter.mirror = True
    mirrored = segmenter.predict_batch([image], ["s.jpg"])[0].summary()
    assert off["teeth"] == direct["teeth"] != mirrored["teeth"]
    bad = post(client, "s.jpg", SAMPLE.read_bytes(), "?mirror=perhaps")
    assert bad.status_code == 422 and bad.json()["error"].startswith("mirror:")


def test_a_client_file_name_never_reaches_the_file_system(client):
    store = client.app.state.teethseg.store
    response = post(client, "../../x.png", SAMPLE.read_bytes())
    assert response.status_code == 200 and response.json()["source"] == "x.png"
    assert all(ID.match(p.name) for p in store.root.iterdir())
    assert not (store.root.parent / "x.png").exists() and not (store.root.parents[1] / "x.png").exists()
    assert list((store.root.parent / "uploads").iterdir()) == []  # uploads are removed once read


def _multipage_tiff() -> bytes:
    pixels = sample_pixels()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF", save_all=True, append_images=[Image.fromarray(pixels[:, ::-1])])
    return buffer.getvalue()


def test_a_multi_frame_upload_answers_a_record_per_frame(client):
    response = post(client, "stack.tif", _multipage_tiff())
    assert response.status_code == 200
    body = response.json()
    assert body["frames"] == 2 and [r["frame"] for r in body["results"]] == [0, 1]
    assert len({r["id"] for r in body["results"]}) == 2
    assert all(client.get(r["files"]["mask"]).status_code == 200 for r in body["results"])


def test_dicom_gets_its_facts_and_areas_in_mm2(client):
    response = post(client, "IM0001", dicom_bytes(sample_pixels(), PixelSpacing=[0.1, 0.1]))
    assert response.status_code == 200
    record = response.json()
    assert record["dicom"]["pixel_spacing_mm"] == [0.1, 0.1]
    assert record["teeth"] and all(t["area_mm2"] == pytest.approx(t["area_px"] * 0.01, abs=1e-3) for t in record["teeth"])
    seg = client.get(record["files"]["seg"])  # a DICOM upload gets its Segmentation too
    assert seg.status_code == 200 and seg.headers["content-type"] == "application/dicom"
    segmented = pydicom.dcmread(io.BytesIO(seg.content))
    assert segmented.Modality == "SEG" and len(segmented.SegmentSequence) == record["teeth_count"]


HOSTILE = [
    # name, bytes, status, the words of the message
    ("notes.png", b"these are my notes, not a radiograph\n" * 10, 415, "not a readable image"),
    ("empty.jpg", b"", 415, "empty file"),
    ("cut.jpg", SAMPLE.read_bytes()[:3000], 422, "corrupt or truncated image"),
    ("bomb.png", png_claiming(40000, 40000), 422, "image too large"),
    ("report.dcm", dicom_bytes(None), 422, "no pixel data"),
    ("tiny.png", encoded(np.zeros((20, 20), np.uint8), "PNG"), 422, "image too small to segment"),
    ("../../x.png", b"%PDF-1.4 a report, not a radiograph" * 5, 415, "not a readable image"),
]


@pytest.mark.parametrize("name, data, status, words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_bad_upload_gets_its_4xx_and_the_clis_line(client, tmp_path, capsys, name, data, status, words):
    response = post(client, name, data)
    assert response.status_code == status
    assert list(response.json()) == ["error"]
    message = response.json()["error"]
    shown = name.rsplit("/", 1)[-1]
    assert message.startswith(f"{shown}: ") and words in message and "\n" not in message
    assert "Traceback" not in message and "upload-" not in message and "/tmp" not in message
    # The command line says the same of the same bytes.
    path = tmp_path / shown
    path.write_bytes(data)
    assert main(["predict", str(path), "--out", str(tmp_path / "out")]) != 0
    cli_problem = capsys.readouterr().err.strip().splitlines()[0].split(f"{path}: ", 1)[1]
    assert cli_problem in message


def test_an_upload_over_the_limit_gets_413(client):
    big = b"\xff\xd8\xff" + b"\x00" * 1_200_000  # limit: 1 MB
    response = post(client, "huge.jpg", big)  # refused from its Content-Length
    assert response.status_code == 413 and response.json() == {"error": "upload over the 1 MB limit"}
    boundary = "teethseg-test"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.jpg"\r\n\r\n'.encode()

    def chunks():  # no Content-Length: refused as the bytes arrive
        yield head
        for _ in range(20):
            yield big[:100_000]
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = client.post("/v1/segment", content=chunks(), headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert streamed.status_code == 413 and streamed.json() == {"error": "huge.jpg: upload over the 1 MB limit"}
    assert list((client.app.state.teethseg.store.root.parent / "uploads").iterdir()) == []


@pytest.mark.parametrize("body, headers, words", [
    (b"raw bytes", {"content-type": "image/png"}, "expected a multipart/form-data upload"),
    (b"--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n",
     {"content-type": "multipart/form-data; boundary=b"}, "no file in the upload"),
])
def test_a_request_without_a_file_gets_400(client, body, headers, words):
    response = client.post("/v1/segment", content=body, headers=headers)
    assert response.status_code == 400 and words in response.json()["error"]


def test_result_ids_are_random_and_unknown_ones_get_404(client):
    ids = {post(client, "a.jpg", SAMPLE.read_bytes(), "?mirror=false").json()["id"] for _ in range(2)}
    assert len(ids) == 2
    known = ids.pop()
    for url in ["/v1/results/AAAAAAAAAAAAAAAAAAAAAA/mask.png", f"/v1/results/{known}/secret.txt",
                f"/v1/results/{known}/..%2F..%2Fetc%2Fpasswd", "/v1/results/..%2F..%2F/mask.png"]:
        response = client.get(url)
        assert response.status_code == 404 and "error" in response.json(), url


def test_results_expire(client):
    store = client.app.state.teethseg.store
    record = post(client, "a.jpg", SAMPLE.read_bytes(), "?mirror=false").json()
    folder = store.root / record["id"]
    assert client.get(record["files"]["mask"]).status_code == 200 and folder.is_dir()
    clock = store.clock
    store.clock = lambda: clock() + store.max_age_s + 1
    try:
        response = client.get(record["files"]["mask"])
    finally:
        store.clock = clock
    assert response.status_code == 404 and not folder.exists()


def test_the_api_key_is_checked_on_every_v1_call(segmenter):
    key = "a-long-clinic-secret"
    with started(create_app(lambda: segmenter, ServeSettings(api_key=key))) as client:
        calls = [lambda **h: client.get("/v1/health", headers=h), lambda **h: client.get("/v1/model", headers=h),
                 lambda **h: post(client, "a.jpg", SAMPLE.read_bytes(), "?mirror=false", **h)]
        for call in calls:
            for headers in [{}, {"x-api-key": "wrong"}, {"authorization": "Bearer wrong"}]:
                response = call(**headers)
                assert response.status_code == 401 and "API key" in response.json()["error"]
        record = post(client, "a.jpg", SAMPLE.read_bytes(), "?mirror=false", **{"x-api-key": key}).json()
        assert client.get(record["files"]["mask"]).status_code == 401
        assert client.get(record["files"]["mask"], headers={"authorization": f"Bearer {key}"}).status_code == 200
        assert client.get("/").status_code == 200  # the page itself asks for the key


class Gated:
    """A segmenter whose networks wait for a gate, to hold workers busy."""

    def __init__(self, inner) -> None:
        self.inner, self.gate, self.mirror = inner, threading.Event(), True

    def __getattr__(self, name):
        if name == "inner":  # not yet set (a copy being made)
            raise AttributeError(name)
        return getattr(self.inner, name)

    def predict_batch(self, images, sources=None, facts=None):
        self.gate.wait(30)
        return self.inner.predict_batch(images, sources, facts)


def test_a_full_queue_gets_503_and_the_others_finish(segmenter):
    gated = Gated(segmenter)
    with started(create_app(lambda: gated, ServeSettings(workers=1, queue=1))) as client:
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(post(client, "a.jpg", SAMPLE.read_bytes(), "?mirror=false")))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        limiter = client.app.state.teethseg.limiter
        deadline = time.monotonic() + 30
        while limiter.admitted < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = post(client, "b.jpg", SAMPLE.read_bytes())
        gated.gate.set()
        for thread in threads:
            thread.join(60)
    assert refused.status_code == 503 and "busy" in refused.json()["error"] and refused.headers["retry-after"]
    assert [a.status_code for a in answers] == [200, 200]


def test_an_unexpected_failure_is_json_without_a_traceback(segmenter):
    class Broken(Gated):
        def predict_batch(self, images, sources=None, facts=None):
            raise RuntimeError("network exploded\n  File 'x.py', line 1")

    app = create_app(lambda: Broken(segmenter))
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.teethseg.ready.wait(30)
        response = post(client, "a.jpg", SAMPLE.read_bytes())
    assert response.status_code == 500
    assert response.json() == {"error": "internal error: the server could not complete this request"}


def test_docs_and_page_work_offline(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert not re.search(r"(src|href)=[\"']https?://", docs.text)
    schema = client.get("/openapi.json").json()
    assert "multipart/form-data" in schema["paths"]["/v1/segment"]["post"]["requestBody"]["content"]
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    static = Path(teethseg.__file__).parent / "serve" / "static"
    for path in static.iterdir():
        text = path.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name
        if path.suffix in (".js", ".css", ".svg"):
            assert client.get(f"/static/{path.name}").status_code == 200
    assert client.get("/nowhere").json() == {"error": "not found"}
