"""The page in a real headless browser: Debian's chromium driven by Playwright, against ``teethseg serve``.

Fails (does not skip) when the browser cannot start and the environment variable ``CI`` is set.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.serve.hostile import SAMPLE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``teethseg serve`` on a free loopback port, as a user starts it; its URL once ready."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "teethseg.cli", "serve", "--port", str(port), "--workers", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/v1/health", timeout=2).status == 200:
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"teethseg serve did not start: {process.stdout.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="module")
def predicted(tmp_path_factory):
    """``teethseg predict`` on the sample, as a separate command: its record and label map."""
    out = tmp_path_factory.mktemp("predict")
    subprocess.run([sys.executable, "-m", "teethseg.cli", "predict", str(SAMPLE), "--out", str(out)], check=True,
                   capture_output=True)
    record = json.loads((out / f"{SAMPLE.stem}.json").read_text())
    return record, np.asarray(Image.open(out / f"{SAMPLE.stem}_teeth.png"))


def inner_pixel(labels: np.ndarray, value: int) -> tuple[int, int]:
    """A pixel of the tooth ``value`` far from its edges (x, y), so a pointer there is surely on it."""
    from scipy.ndimage import distance_transform_edt

    depth = distance_transform_edt(labels == value)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(x), int(y)


def test_the_page_segments_a_sample_as_predict_does(server, chromium, predicted, tmp_path):
    record, labels = predicted
    page = chromium.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "/")
    page.wait_for_selector("#status[data-state=ready]")
    page.set_input_files("#file", str(SAMPLE))
    page.wait_for_selector("#view[data-ready=true]", timeout=60_000)

    assert int(page.inner_text("#tooth-count")) == record["teeth_count"]

    # Point at the largest tooth that predict found; the page must name it as predict's label map does.
    classes = page.evaluate("fetch('/v1/model').then(r => r.json())")["classes"]
    tooth = max(record["teeth"], key=lambda t: t["area_px"])
    value = classes.index(str(tooth["fdi"]))
    x, y = inner_pixel(labels, value)
    box = page.locator("#view").bounding_box()
    page.mouse.move(box["x"] + (x + 0.5) * box["width"] / labels.shape[1],
                    box["y"] + (y + 0.5) * box["height"] / labels.shape[0])
    tip = page.locator("#tooltip")
    tip.wait_for(state="visible")
    assert int(tip.get_attribute("data-fdi")) == tooth["fdi"]
    assert f"Tooth {tooth['fdi']}" in tip.inner_text()

    # The chart: found teeth as predict found them; a click selects the tooth and shows its details.
    found = {int(n) for n in page.eval_on_selector_all(".tooth.found, .tooth.check", "els => els.map(e => e.dataset.fdi)")}
    assert found == {t["fdi"] for t in record["teeth"]}
    page.click(f".tooth[data-fdi='{tooth['fdi']}']")
    assert page.get_attribute(f".tooth[data-fdi='{tooth['fdi']}']", "class").split()[-1] == "selected"
    assert str(tooth["fdi"]) in page.inner_text("#detail-card")
    page.screenshot(path=str(tmp_path / "serve-desktop.png"))
    assert (tmp_path / "serve-desktop.png").stat().st_size > 10_000

    # A file that is not an image: the API's message, shown on the page.
    notes = tmp_path / "notes.png"
    notes.write_text("not a radiograph\n" * 20)
    page.set_input_files("#file", str(notes))
    page.wait_for_selector("#alert:not([hidden])")
    assert page.get_attribute("#alert", "data-status") == "415"
    assert "notes.png: not a readable image" in page.inner_text("#alert")
    assert not errors, errors
