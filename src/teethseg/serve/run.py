"""``teethseg serve``: check the options, load the model once, run the app with uvicorn.

Loopback by default. Any other address needs an API key (``--api-key`` or ``TEETHSEG_API_KEY``),
refused in one line otherwise, so a radiograph server is never opened to a network by accident.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from teethseg.errors import TeethsegError
from teethseg.serve.app import ServeSettings, create_app

KEY_VARIABLE = "TEETHSEG_API_KEY"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_options(host: str, port: int, workers: int, queue: int, max_upload_mb: float, api_key: str | None) -> str | None:
    """The API key to require (None for none), after refusing options that cannot work, each in one line."""
    key = api_key if api_key is not None else os.environ.get(KEY_VARIABLE)
    if key is not None and not key.strip():
        raise TeethsegError(None, f"the API key is empty: give a secret with --api-key or {KEY_VARIABLE}")
    if not is_loopback(host) and not key:
        raise TeethsegError(None, f"--host {host} is not a loopback address: serving radiographs to a network "
                                  f"needs an API key (--api-key KEY or {KEY_VARIABLE}=KEY)")
    if not 0 <= port <= 65535:
        raise TeethsegError(None, f"--port must be 0..65535, got {port}")
    if workers < 1:
        raise TeethsegError(None, f"--workers must be at least 1, got {workers}")
    if queue < 0:
        raise TeethsegError(None, f"--queue must be 0 or more, got {queue}")
    if not max_upload_mb > 0:
        raise TeethsegError(None, f"--max-upload-mb must be above 0, got {max_upload_mb}")
    return key or None


def serve_command(
    host: str = "127.0.0.1", port: int = 8000, model: str | Path | None = None, numbering: list[str] | None = None,
    workers: int = 1, queue: int = 16, max_upload_mb: float = 50.0, api_key: str | None = None,
) -> int:
    """Serve the page and the API until interrupted; the exit code."""
    import uvicorn

    from teethseg.inference.load import load_model

    key = check_options(host, port, workers, queue, max_upload_mb, api_key)
    threads = max(1, (os.cpu_count() or 1) // workers)
    segmenter = load_model(model, threads=threads, numbering=numbering)  # a bad --model fails here, in one line
    settings = ServeSettings(workers=workers, queue=queue, max_upload_mb=max_upload_mb, api_key=key)
    app = create_app(lambda: segmenter, settings)
    shown = f"[{host}]" if ":" in host else host
    print(f"teethseg serve: page at http://{shown}:{port}/ , API docs at /docs"
          + (" (API key required)" if key else "") + "; Ctrl+C stops it", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
    return 0
