"""The service refuses uploads that are no dental radiographs with 422 and the CLI's line, and stores nothing."""

from __future__ import annotations

from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydicom.data import get_testdata_file

import teethseg
from teethseg.serve import ServeSettings, create_app
from tests.serve.hostile import SAMPLE, encoded


@pytest.fixture(scope="module")
def client():
    segmenter = teethseg.load_model()
    app = create_app(lambda: segmenter, ServeSettings(workers=1))
    with TestClient(app) as client:
        app.state.teethseg.ready.wait(60)
        yield client


def post(client: TestClient, name: str, data: bytes):
    return client.post("/v1/segment", files={"file": (name, data, "application/octet-stream")})


def test_a_colour_photograph_gets_422_with_the_reason(client):
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        portrait = np.asarray(Image.open(handle).convert("RGB"))
    response = post(client, "portrait.jpg", encoded(portrait, "JPEG"))
    assert response.status_code == 422
    assert response.json()["error"].startswith("portrait.jpg: does not look like a dental radiograph: colour")


def test_an_mr_dicom_gets_422_and_a_grey_document_too(client):
    response = post(client, "head.dcm", Path(get_testdata_file("MR_small.dcm")).read_bytes())
    assert response.status_code == 422 and "magnetic resonance" in response.json()["error"]
    flat = np.full((400, 600), 200, np.uint8)
    response = post(client, "blank.png", encoded(flat, "PNG"))
    assert response.status_code == 422
    assert response.json()["error"] == "blank.png: does not look like a dental radiograph: no teeth found"


def test_a_radiograph_is_answered_with_looks_dental(client):
    response = post(client, "x.jpg", SAMPLE.read_bytes())
    assert response.status_code == 200 and response.json()["looks_dental"] is True
