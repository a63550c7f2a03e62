"""A real Orthanc PACS with its DICOMweb plugin, started for a test on free loopback ports."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ORTHANC = "/usr/sbin/Orthanc"
PLUGINS = "/usr/share/orthanc/plugins"


def _free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


def _unavailable(message: str) -> None:
    """Fail in CI (the set-up installs Orthanc), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def orthanc(folder: Path) -> Iterator[str]:
    """Start Orthanc with storage in ``folder``; yield its base URL; stop it after."""
    executable = shutil.which("Orthanc") or ORTHANC
    if not Path(executable).is_file() or not Path(PLUGINS, "libOrthancDicomWeb.so").is_file():
        _unavailable("Orthanc with its DICOMweb plugin is not installed (Debian packages orthanc, "
                     "orthanc-dicomweb; tools/setup.sh installs them)")
    port, dicom_port = _free_port(), _free_port()
    config = {
        "Name": "teethseg-test", "HttpPort": port, "DicomPort": dicom_port,
        "StorageDirectory": str(folder / "storage"), "IndexDirectory": str(folder / "index"),
        "Plugins": [PLUGINS], "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}, "HttpTimeout": 60, "StableAge": 1,
    }
    (folder / "orthanc.json").write_text(json.dumps(config))
    log = (folder / "orthanc.log").open("w")
    process = subprocess.Popen([executable, str(folder / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/system", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (folder / "orthanc.log").read_text()[-1500:]
                _unavailable(f"Orthanc did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def upload(base: str, path: Path) -> dict:
    """Store a DICOM file through Orthanc's REST API (as a modality would send it)."""
    request = urllib.request.Request(f"{base}/instances", data=path.read_bytes(), method="POST",
                                     headers={"Content-Type": "application/dicom"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def count_instances(base: str) -> int:
    with urllib.request.urlopen(f"{base}/statistics", timeout=10) as reply:
        return int(json.loads(reply.read())["CountInstances"])
