"""What every route of the app shares: the archive it reads, its settings, and JSON responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from archive.browse import ResultPage
    from archive.store import Archive
    from newsarchive.web.params import SearchParams


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The app's archive (opened read-only) and settings."""

    archive: Archive
    #: The access token, or None when the app is open (bound to the loopback interface).
    token: str | None
    #: Facets of larger result sets are counted over their first ``facet_cap`` articles.
    facet_cap: int


def config_of(request: Request) -> AppConfig:
    config: AppConfig = request.app.state.config
    return config


def archive_of(request: Request) -> Archive:
    """The archive the app serves (a FastAPI dependency)."""
    return config_of(request).archive


def search_results(request: Request, params: SearchParams) -> ResultPage:
    """The page of results ``params`` ask for, read by ``archive.browse.search_page``."""
    from archive.browse import search_page

    selection = params.selection
    return search_page(
        archive_of(request),
        selection.query,
        filters=selection.filters,
        sort=params.sort,
        offset=params.offset,
        limit=params.size,
        facets=params.facets,
        facet_cap=config_of(request).facet_cap,
    )


class JsonResponse(Response):
    """JSON written by orjson: UTF-8 with Chinese as is, datetimes as ISO 8601."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_error(status: int, message: str) -> JsonResponse:
    """An API error: the status and a one-line message, never a traceback."""
    return JsonResponse({"error": message, "status": status}, status_code=status)
