"""The web page and REST API of ``teethseg serve``, as a FastAPI app built by :func:`create_app`.

One model per process, loaded in the background at start-up (``/v1/health`` says ``ready`` once it
is); networks run in a bounded thread pool (``teethseg.serve.limiter``); results live in a private
temporary folder removed at shutdown (``teethseg.serve.results``). Every refusal is JSON
``{"error": "..."}``; an upload never gets a traceback.
"""

from __future__ import annotations

import copy
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from teethseg.errors import TeethsegError
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.serve.errors import ApiError
from teethseg.serve.limiter import JobLimiter
from teethseg.serve.model_info import describe
from teethseg.serve.results import ResultStore
from teethseg.serve.segment import segment_upload
from teethseg.serve.uploads import FORMATS, receive_upload
from teethseg.version import __version__

log = logging.getLogger("teethseg.serve")

STATIC = Path(str(resources.files("teethseg") / "serve" / "static"))
# The page talks only to this server: no CDN, no inline script, nothing from elsewhere.
PAGE_POLICY = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
MEDIA_TYPES = {"png": "image/png", "json": "application/json", "jpg": "image/jpeg", "dcm": "application/dicom"}


@dataclass
class ServeSettings:
    """What ``teethseg serve`` was started with (see ``teethseg serve --help``)."""

    workers: int = 1
    queue: int = 16
    max_upload_mb: float = 50.0
    api_key: str | None = None
    results_max_mb: float = 1024.0
    results_max_age_s: float = 3600.0

    @property
    def upload_limit(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


@dataclass
class _State:
    """The loaded model (one per mirror setting, sharing networks) and the server's resources."""

    segmenters: dict[bool, Any] = field(default_factory=dict)
    load_error: str | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    store: ResultStore | None = None
    limiter: JobLimiter | None = None
    uploads: Path | None = None


def _variants(segmenter: Any) -> dict[bool, Any]:
    """The segmenter with and without mirror averaging, sharing every network (no copy of weights)."""
    _ = segmenter.close_up  # load it now, once, rather than once per copy
    variants = {}
    for mirror in (True, False):
        variant = copy.copy(segmenter)
        variant.mirror = mirror
        variants[mirror] = variant
    return variants


def create_app(load: Callable[[], Any], settings: ServeSettings | None = None) -> FastAPI:
    """The app; ``load()`` returns the :class:`teethseg.Segmenter`, called once in a background thread at start-up."""
    settings = settings or ServeSettings()
    state = _State()

    def load_model() -> None:
        try:
            state.segmenters = _variants(load())
        except TeethsegError as error:
            state.load_error = str(error)
        except Exception as error:  # reported by /v1/health rather than lost in a thread
            log.exception("loading the model failed")
            state.load_error = f"loading the model failed ({type(error).__name__}: {error})"
        finally:
            state.ready.set()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        root = Path(tempfile.mkdtemp(prefix="teethseg-serve-"))
        state.uploads = root / "uploads"
        state.uploads.mkdir(mode=0o700)
        state.store = ResultStore(root / "results", int(settings.results_max_mb * 1_000_000), settings.results_max_age_s)
        state.limiter = JobLimiter(settings.workers, settings.queue)
        threading.Thread(target=load_model, name="teethseg-load-model", daemon=True).start()
        try:
            yield
        finally:
            state.limiter.close()
            shutil.rmtree(root, ignore_errors=True)

    app = FastAPIOffline(
        title="teethseg", version=__version__, lifespan=lifespan,
        description="Segment and number teeth (FDI) in dental radiographs. Upload one radiograph to "
                    "`POST /v1/segment`; its masks, overlay and JSON record are then at `/v1/results/{id}/...`.",
    )
    _add_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable) -> Any:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path == "/" or request.url.path.startswith("/static/"):
            response.headers["Content-Security-Policy"] = PAGE_POLICY
            response.headers["X-Frame-Options"] = "DENY"
        return response

    def check_key(request: Request) -> None:
        """Every /v1 call carries the key when the server has one (header X-API-Key or Bearer)."""
        if not settings.api_key:
            return
        given = request.headers.get("x-api-key") or ""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not given and scheme.lower() == "bearer":
            given = token.strip()
        if not secrets.compare_digest(given.encode(), settings.api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send it in the X-API-Key header",
                           {"WWW-Authenticate": "Bearer"})

    def segmenter(mirror: bool = MIRROR_BY_DEFAULT) -> Any:
        """The loaded model, or 503 while it loads (or when it could not load)."""
        if not state.ready.is_set():
            raise ApiError(503, "the model is still loading; try again in a few seconds", {"Retry-After": "2"})
        if state.load_error:
            raise ApiError(503, f"no model: {state.load_error}")
        return state.segmenters[mirror]

    api = APIRouter(prefix="/v1", dependencies=[Depends(check_key)])

    @api.get("/health", summary="Ready once the model is loaded (503 before)")
    def health() -> JSONResponse:
        if not state.ready.is_set():
            return JSONResponse({"status": "loading"}, status_code=503)
        if state.load_error:
            return JSONResponse({"status": "failed", "error": state.load_error}, status_code=503)
        return JSONResponse({"status": "ready", "model": state.segmenters[True].name, "version": __version__})

    @api.get("/model", summary="The loaded model: networks, classes, input sizes, validation figures")
    def model() -> dict[str, Any]:
        return {**describe(segmenter()), "max_upload_mb": settings.max_upload_mb}

    @api.post(
        "/segment",
        summary="Segment and number the teeth of one radiograph",
        description=f"Multipart upload, field `file`: one radiograph ({FORMATS}; the type is told from "
                    "the bytes, not the name). Answers the record `teethseg predict` writes as "
                    "`<stem>.json`, plus `id` and `files` (the URLs of its mask, overlay, label map, "
                    "record and radiograph); a multi-frame file answers `{frames, results: [record, ...]}`.",
        openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
        responses={code: {"description": text, "content": {"application/json": {"example": {"error": example}}}}
                   for code, text, example in [
                       (401, "API key missing or wrong", "missing or wrong API key: send it in the X-API-Key header"),
                       (413, "over the upload limit", "scan.dcm: upload over the 50 MB limit"),
                       (415, "not an image", "notes.png: not a readable image (unrecognised or corrupt content)"),
                       (422, "an image teethseg refuses", "tiny.png: image too small to segment: 20 x 20 pixels, under 32 on a side"),
                       (503, "queue full, or model loading", "server busy: ...")]},
    )
    async def segment(
        request: Request,
        mirror: bool = Query(MIRROR_BY_DEFAULT, description="also segment the mirror image and average "
                                                            "(more accurate; false halves the network time)"),
    ) -> Any:
        model = segmenter(mirror)
        async with state.limiter.slot():
            upload = await receive_upload(request.headers.get("content-type"), request.headers.get("content-length"),
                                          request.stream(), state.uploads, settings.upload_limit)
            try:
                records = await state.limiter.run(segment_upload, model, upload, state.store)
            finally:
                upload.path.unlink(missing_ok=True)
        return records[0] if len(records) == 1 else {"frames": len(records), "results": records}

    @api.get("/results/{result_id}/{name}", summary="A result's file: mask.png, teeth.png, overlay.png, record.json, image.jpg, seg.dcm (DICOM inputs)")
    def result_file(result_id: str, name: str) -> FileResponse:
        path = state.store.file(result_id, name)
        if path is None:
            raise ApiError(404, f"no result file {name!r} for this id (unknown, expired, or not made by this model)")
        return FileResponse(path, media_type=MEDIA_TYPES[name.rsplit(".", 1)[-1]],
                            headers={"Cache-Control": "private, max-age=600"})

    app.include_router(api)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.teethseg = state
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every refusal as ``{"error": "one line"}``; unexpected failures without a traceback."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.message}, status_code=error.status, headers=error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else str(error.detail)
        return JSONResponse({"error": message.lower() if message == "Not Found" else message},
                            status_code=error.status_code, headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
                    for e in error.errors()]
        return JSONResponse({"error": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error: %s: %s", type(error).__name__, error)
        return JSONResponse({"error": "internal error: the server could not complete this request"}, status_code=500)


def default_workers() -> int:
    """Radiographs segmented at once by default: one per core, at most 4 (as ``teethseg predict`` does)."""
    return max(1, min(os.cpu_count() or 1, 4))
