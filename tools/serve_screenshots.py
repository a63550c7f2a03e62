"""Screenshots of the ``teethseg serve`` page at desktop and phone widths, for the docs.

Starts the server on a free loopback port, uploads the first bundled sample in Debian's chromium
(Playwright, no browser download), points at a tooth, and writes docs/serve-desktop.jpg and
docs/serve-phone.jpg.

    python tools/serve_screenshots.py
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "teethseg" / "samples" / "ufba425-cate1-00008.jpg"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
VIEWS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "teethseg.cli", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/v1/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, viewport in VIEWS.items():
                page = browser.new_page(viewport=viewport)
                page.goto(url + "/")
                page.wait_for_selector("#status[data-state=ready]")
                page.set_input_files("#file", str(SAMPLE))
                page.wait_for_selector("#view[data-ready=true]", timeout=60_000)
                box = page.locator("#view").bounding_box()
                page.mouse.move(box["x"] + box["width"] * 0.36, box["y"] + box["height"] * 0.65)  # a lower molar
                page.wait_for_timeout(200)
                png = page.screenshot(full_page=name == "phone")
                out = ROOT / "docs" / f"serve-{name}.jpg"
                Image.open(io.BytesIO(png)).convert("RGB").save(out, "JPEG", quality=82, optimize=True)
                print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} KB)")
            browser.close()
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
