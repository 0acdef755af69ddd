"""The app: a FastAPI application over one archive, opened read-only.

:func:`create_app` opens the archive (failing in one line when it cannot), makes its
connections read-only, and puts together the pages, the JSON API and its documentation
(Swagger UI served from the package, no CDN), the token gate when there is a token, and the
security headers every response carries. Errors are JSON for the API and a page for the rest,
with the right status and a one-line message, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.browse import FACET_CAP, refuse_writes
from archive.db import ArchiveError
from archive.search import QueryError
from archive.store import Archive
from newsarchive import __version__
from newsarchive.web import api, pages
from newsarchive.web.auth import TokenGate, wants_json
from newsarchive.web.deps import AppConfig, json_error
from newsarchive.web.params import ParamError

logger = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).with_name("static")

#: The app's own pages run no script at all, so the policy allows none: even a string that
#: escaped the templates' escaping could not run.
PAGE_CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)
#: The API page (Swagger UI) is a script, with an inline start-up call.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none';"
    " frame-ancestors 'none'"
)
_COMMON_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    # Links to the archived articles' sites must not tell those sites what was searched.
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """ASGI middleware: a Content-Security-Policy (unless the route set its own), nosniff, and
    no referrer, on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"] == "/docs" else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy.encode()))
                headers += [item for item in _COMMON_HEADERS if item[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error(request: Request, status: int, message: str) -> Response:
    if wants_json(request.url.path):
        return json_error(status, message)
    return pages.render(request, "error.html", {"status": status, "message": message}, status)


def _validation_message(exc: RequestValidationError) -> str:
    """The first problem of a request, in one line: ``size: Input should be ...``."""
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        return f"{where}: {error.get('msg', 'invalid value')}"
    return "invalid request"


def create_app(
    db_url: str | None = None,
    *,
    token: str | None = None,
    warc_dir: Path | None = None,
    facet_cap: int = FACET_CAP,
) -> FastAPI:
    """The app over the archive at ``db_url`` (raises ``ArchiveError`` when it cannot be
    read). With ``token``, every request must carry it (see :mod:`newsarchive.web.auth`)."""
    archive = Archive(db_url, create=False, warc_dir=warc_dir)
    refuse_writes(archive)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        archive.close()

    app = FastAPIOffline(
        title="newsarchive",
        version=__version__,
        summary="Search and read an archive of news articles; the same data as the CLI.",
        docs_url="/docs",
        redoc_url=None,
        static_url="/static-docs",
        lifespan=lifespan,
    )
    app.state.config = AppConfig(archive=archive, token=token, facet_cap=facet_cap)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 400, _validation_message(exc))

    @app.exception_handler(ParamError)
    async def bad_param(request: Request, exc: ParamError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(ArchiveError)
    async def archive_unavailable(request: Request, exc: ArchiveError) -> Response:
        logger.warning("archive error on %s: %s", request.url.path, exc)
        return _error(request, 503, str(exc))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        if type(exc).__module__.startswith("sqlalchemy"):
            # The database went away or refused a read: say so, in one line.
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            logger.warning("cannot read the archive on %s: %s", request.url.path, reason)
            return _error(request, 503, f"cannot read the archive: {reason}")
        logger.error("error on %s", request.url.path, exc_info=exc)
        return _error(request, 500, "internal error: the server's log has the details")

    def openapi() -> dict[str, Any]:
        """The framework's schema, saying 400 where it would say 422: a request the API
        cannot use is answered ``{"error", "status": 400}`` (see ``bad_request``)."""
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    invalid = operation.get("responses", {}).pop("422", None)
                    if invalid is not None and "400" not in operation["responses"]:
                        operation["responses"]["400"] = {"description": "Bad request"}
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if token is not None:
        app.add_middleware(TokenGate, token=token)
    app.add_middleware(SecurityHeaders)
    return app
