"""The JSON API: every page's data, with the export's field names (``archive/record.py``).

``/api/search`` answers what ``newsarchive search --json`` prints (the export fields plus
``score`` and ``snippet``, and the article's ``id``), with the total and the facets;
``/api/articles/{id}`` an article with its ``aliases``, ``revisions`` and the copies of its
``story``;
``/api/articles/{id}/revisions/{n}`` one version as ``export --revisions`` writes it;
``/api/runs`` the crawl runs; ``/api/export`` streams what ``newsarchive export --query``
writes. Errors are ``{"error": message, "status": code}``. The schemas shown on ``/docs`` are
built from the export's JSON Schema (``exports/schema.py``), so they cannot drift from it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from archive.browse import (
    BrowseHit,
    Facets,
    article_url,
    counts_under,
    runs_health,
)
from archive.health import SHARE_FIELDS
from archive.record import format_utc
from archive.search import parse_query
from archive.store import Archive
from exports.jsonl import export_lines
from exports.schema import EXPORT_SCHEMA
from newsarchive.web.deps import JsonResponse, archive_of, search_results
from newsarchive.web.params import (
    DEFAULT_RUNS,
    MAX_RUNS,
    SearchParams,
    Selection,
    search_params,
    selection_params,
)

#: Lines are sent in chunks of about this many bytes (each chunk is a trip between the
#: thread that reads the archive and the event loop).
EXPORT_CHUNK_BYTES: Final = 256 * 1024

_ARTICLE: Final[dict[str, Any]] = {
    key: value for key, value in EXPORT_SCHEMA.items() if not key.startswith("$")
}
_EXPORT_PROPERTIES: Final[dict[str, Any]] = {
    key: value
    for key, value in EXPORT_SCHEMA["properties"].items()
    if key not in ("revision", "aliases")
}
_ID: Final = {"type": "integer", "description": "the article's id in this archive"}


def _object(properties: dict[str, Any], required: list[str], title: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_HIT: Final = _object(
    {
        **_EXPORT_PROPERTIES,
        "id": _ID,
        "score": {
            "type": ["number", "null"],
            "description": "relevance, higher is better (null without a query)",
        },
        "snippet": {"type": "string", "description": "the text around the match, in **bold**"},
    },
    [*_ARTICLE["required"], "id", "score", "snippet"],
    "Hit",
)
_FACET_VALUES: Final = {
    "type": "array",
    "items": _object(
        {"value": {"type": "string"}, "count": {"type": "integer"}},
        ["value", "count"],
        "FacetValue",
    ),
}
_FACETS: Final = {
    "anyOf": [
        _object(
            {
                "site": _FACET_VALUES,
                "source": _FACET_VALUES,
                "author": _FACET_VALUES,
                "section": _FACET_VALUES,
                "language": _FACET_VALUES,
                "published": {
                    "type": "array",
                    "description": "by year, or by month when all fall in one year; since and"
                    " until are the filter values that select the bucket",
                    "items": _object(
                        {
                            "value": {"type": "string"},
                            "count": {"type": "integer"},
                            "since": {"type": "string"},
                            "until": {"type": "string"},
                        },
                        ["value", "count", "since", "until"],
                        "DateBucket",
                    ),
                },
                "undated": {"type": "integer"},
                "counted": {
                    "type": "integer",
                    "description": "articles counted: all the results, or the first ones"
                    " in the page's order when there are more than the cap",
                },
            },
            ["site", "source", "author", "section", "language", "published", "undated", "counted"],
            "Facets",
        ),
        {"type": "null"},
    ]
}
SEARCH_SCHEMA: Final = _object(
    {
        "query": {"type": "string"},
        "sort": {"enum": ["relevance", "date"]},
        "page": {"type": "integer"},
        "size": {"type": "integer"},
        "total": {"type": "integer", "description": "every article that matches"},
        "pages": {
            "type": "integer",
            "description": "pages that can be asked for (results beyond the 10,000th are"
            " in the export only)",
        },
        "hits": {"type": "array", "items": _HIT},
        "facets": _FACETS,
    },
    ["query", "sort", "page", "size", "total", "pages", "hits", "facets"],
    "SearchResults",
)
_REVISION_SUMMARY: Final = _object(
    {
        "revision": {"type": "integer"},
        "fetched_at": _EXPORT_PROPERTIES["fetched_at"],
        "content_hash": _EXPORT_PROPERTIES["content_hash"],
        "title": _EXPORT_PROPERTIES["title"],
        "chars": {"type": "integer", "description": "length of the text"},
        "extractor_version": {"type": "string"},
        "raw_page": {
            "type": ["string", "null"],
            "description": "path of the archived page (null: imported without its page)",
        },
    },
    ["revision", "fetched_at", "content_hash", "title", "chars", "extractor_version", "raw_page"],
    "RevisionSummary",
)
_STORY_COPY: Final = _object(
    {
        "id": _ID,
        "url": {"type": "string"},
        "site": {"type": "string"},
        "title": {"type": ["string", "null"]},
        "source": {"type": ["string", "null"]},
        "published_at": {"type": ["string", "null"]},
        "first_seen_at": {"type": "string", "format": "date-time"},
    },
    ["id", "url", "site", "title", "source", "published_at", "first_seen_at"],
    "StoryCopy",
)
ARTICLE_SCHEMA: Final = _object(
    {
        **_EXPORT_PROPERTIES,
        "id": _ID,
        "revision": {"type": "integer", "description": "the latest version's number"},
        "aliases": EXPORT_SCHEMA["properties"]["aliases"] | {"description": "other URLs"},
        "revisions": {"type": "array", "items": _REVISION_SUMMARY},
        "story": {
            "type": "array",
            "items": _STORY_COPY,
            "description": "every copy of the article's story (this one included), earliest"
            " first, as `newsarchive story` lists them",
        },
    },
    [*_ARTICLE["required"], "id", "revision", "aliases", "revisions", "story"],
    "Article",
)
_COUNTS: Final = {"type": "object", "additionalProperties": {"type": "integer"}}
_SITE_HEALTH: Final = _object(
    {
        "site": {"type": "string"},
        **{
            name: {"type": "integer"}
            for name in ("pages", "not_modified", "articles", "known_unchanged", "seen")
        },
        **{f"with_{name}": {"type": "integer"} for name in SHARE_FIELDS},
        **{f"{name}_share": {"type": ["number", "null"]} for name in SHARE_FIELDS},
        "median_text_chars": {"type": ["integer", "null"]},
    },
    [
        "site",
        "pages",
        "not_modified",
        "articles",
        "known_unchanged",
        "seen",
        *(f"with_{name}" for name in SHARE_FIELDS),
        *(f"{name}_share" for name in SHARE_FIELDS),
        "median_text_chars",
    ],
    "SiteFigures",
)
_FLAG: Final = _object(
    {
        "kind": {"enum": ["share_drop", "shorter_text", "no_articles", "not_reached"]},
        "field": {"type": ["string", "null"]},
        "before": {"type": "number"},
        "now": {"type": "number"},
        "message": {"type": "string"},
    },
    ["kind", "field", "before", "now", "message"],
    "HealthFlag",
)
RUNS_SCHEMA: Final = _object(
    {
        "runs": {
            "type": "array",
            "items": {
                "title": "Run",
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "profile": {"type": ["string", "null"]},
                    "status": {"type": "string"},
                    "started_at": {"type": "string", "format": "date-time"},
                    "finished_at": {"type": ["string", "null"], "format": "date-time"},
                    "start_urls": {"type": "array", "items": {"type": "string"}},
                    "counters": _COUNTS,
                    "skipped": {**_COUNTS, "description": "pages skipped, by reason"},
                    "errors": {**_COUNTS, "description": "errors, by kind"},
                    "recorded": {
                        "type": "boolean",
                        "description": "false: the run recorded no figures (interrupted, or"
                        " older than them); its sites hold the articles it stored, unjudged",
                    },
                    "sites": {
                        "type": "array",
                        "description": "per site, as `newsarchive health --json` prints it: the"
                        " articles read, how many have an author, a date, a source, a section,"
                        " the median text length, and what fell against the previous runs",
                        "items": _SITE_HEALTH
                        | {
                            "title": "SiteHealth",
                            "properties": {
                                **_SITE_HEALTH["properties"],
                                "flags": {"type": "array", "items": _FLAG},
                                "baseline_runs": {"type": "integer"},
                                "baseline": {"oneOf": [_SITE_HEALTH, {"type": "null"}]},
                            },
                            "required": [
                                *_SITE_HEALTH["required"],
                                "flags",
                                "baseline_runs",
                                "baseline",
                            ],
                        },
                    },
                },
            },
        }
    },
    ["runs"],
    "Runs",
)
_ERROR: Final = {
    "content": {
        "application/json": {
            "schema": _object(
                {"error": {"type": "string"}, "status": {"type": "integer"}},
                ["error", "status"],
                "Error",
            )
        }
    }
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


router = APIRouter(prefix="/api", tags=["archive"])


def hit_json(hit: BrowseHit) -> dict[str, Any]:
    """A hit as ``search --json`` prints it, with the article's id."""
    return {
        **hit.article.to_json_dict(),
        "id": hit.article_id,
        "score": hit.score,
        "snippet": hit.snippet,
    }


def facets_json(facets: Facets | None) -> dict[str, Any] | None:
    if facets is None:
        return None
    fields: dict[str, Any] = {
        name: [{"value": v.value, "count": v.count} for v in values]
        for name, values in facets.fields.items()
    }
    return {
        **fields,
        "published": [
            {"value": b.label, "count": b.count, "since": b.since, "until": b.until}
            for b in facets.dates
        ],
        "undated": facets.undated,
        "counted": facets.counted,
    }


@router.get(
    "/search",
    response_class=JsonResponse,
    responses={200: _json(SEARCH_SCHEMA, "A page of results"), 400: _ERROR},
    summary="Search the archive",
)
def api_search(
    request: Request, params: Annotated[SearchParams, Depends(search_params)]
) -> JsonResponse:
    """Articles matching the query and filters, best (or newest) first, a page at a time,
    with the number of all matches and the facets of the result set (counted over its
    first results in this order when there are many)."""
    result = search_results(request, params)
    return JsonResponse(
        {
            "query": params.selection.query,
            "sort": params.sort,
            "page": params.page,
            "size": params.size,
            "total": result.total,
            "pages": params.pages(result.total),
            "hits": [hit_json(hit) for hit in result.hits],
            "facets": facets_json(result.facets),
        }
    )


def _url_or_404(archive: Archive, article_id: int) -> str:
    url = article_url(archive, article_id)
    if url is None:
        raise HTTPException(404, f"no article {article_id} in this archive")
    return url


@router.get(
    "/articles/{article_id}",
    response_class=JsonResponse,
    responses={200: _json(ARTICLE_SCHEMA, "The article"), 404: _ERROR},
    summary="An article with its revisions and aliases",
)
def api_article(article_id: int, archive: Annotated[Archive, Depends(archive_of)]) -> JsonResponse:
    """The latest version of an article (the export's fields), its other URLs, and a
    summary of every stored version with the path of its archived page."""
    url = _url_or_404(archive, article_id)
    record = archive.get_article(url)
    if record is None:
        raise HTTPException(404, f"no article {article_id} in this archive")
    revisions = archive.history(url)
    story = archive.get_story(record.story_id) if record.story_id is not None else None
    return JsonResponse(
        {
            **record.to_json_dict(),
            "story": [
                {
                    "id": copy.article_id,
                    "url": copy.url,
                    "site": copy.site,
                    "title": copy.title,
                    "source": copy.source,
                    "published_at": copy.published_at,
                    "first_seen_at": format_utc(copy.first_seen_at),
                }
                for copy in (story.copies if story is not None else [])
            ],
            "id": article_id,
            "revision": revisions[-1].revision if revisions else 1,
            "aliases": archive.aliases_of(url),
            "revisions": [
                {
                    "revision": r.revision,
                    "fetched_at": format_utc(r.fetched_at),
                    "content_hash": r.content_hash,
                    "title": r.title,
                    "chars": r.chars,
                    "extractor_version": r.extractor_version,
                    "raw_page": f"/raw/{article_id}/{r.revision}" if r.warc else None,
                }
                for r in revisions
            ],
        }
    )


@router.get(
    "/articles/{article_id}/revisions/{revision}",
    response_class=JsonResponse,
    responses={
        200: _json(_ARTICLE, "The version, as a line of export --revisions"),
        404: _ERROR,
    },
    summary="One version of an article",
)
def api_revision(
    article_id: int, revision: int, archive: Annotated[Archive, Depends(archive_of)]
) -> JsonResponse:
    """One stored version, as ``newsarchive export --revisions`` writes it."""
    url = _url_or_404(archive, article_id)
    record = archive.get_revision(url, revision)
    if record is None:
        raise HTTPException(404, f"article {article_id} has no revision {revision}")
    return JsonResponse(
        {**record.to_json_dict(), "revision": revision, "aliases": archive.aliases_of(url)}
    )


@router.get(
    "/runs",
    response_class=JsonResponse,
    responses={200: _json(RUNS_SCHEMA, "The runs, newest first"), 400: _ERROR},
    summary="Crawl runs",
)
def api_runs(
    archive: Annotated[Archive, Depends(archive_of)],
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS, description="How many runs.")] = DEFAULT_RUNS,
    profile: Annotated[str, Query(max_length=64, description="Only this profile's runs.")] = "",
) -> JsonResponse:
    """The latest crawl runs: counters, skips by reason, errors by kind, and per site its
    extraction health as `newsarchive health --json` reports it."""
    listed = archive.list_runs(limit, profile=profile or None)
    health = runs_health(archive, listed)
    return JsonResponse(
        {
            "runs": [
                {
                    "id": run.id,
                    "profile": run.profile,
                    "status": run.status,
                    "started_at": format_utc(run.started_at),
                    "finished_at": format_utc(run.finished_at) if run.finished_at else None,
                    "start_urls": run.start_urls,
                    "counters": run.counters,
                    "skipped": counts_under(run.stats, "newsarchive/skipped/"),
                    "errors": counts_under(run.stats, "newsarchive/errors/"),
                    "recorded": health[run.id].recorded,
                    "sites": [site.to_json_dict() for site in health[run.id].sites],
                }
                for run in listed
            ]
        }
    )


def _chunks(lines: Iterator[bytes], gzip: bool) -> Iterator[bytes]:
    """``lines`` in chunks of about ``EXPORT_CHUNK_BYTES``, gzip-compressed on request."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31) if gzip else None  # 31: a gzip stream
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= EXPORT_CHUNK_BYTES:
            data = b"".join(buffer)
            buffer, size = [], 0
            packed = packer.compress(data) if packer else data
            if packed:
                yield packed
    data = b"".join(buffer)
    if packer is not None:
        yield packer.compress(data) + packer.flush()
    elif data:
        yield data


@router.get(
    "/export",
    responses={
        200: {
            "description": "JSON lines, one article per line, as `newsarchive export` writes"
            " them (gzip-compressed with gzip=true)",
            "content": {"application/x-ndjson": {"schema": _ARTICLE}, "application/gzip": {}},
        },
        400: _ERROR,
    },
    summary="Export a search's whole result set",
)
def api_export(
    selection: Annotated[Selection, Depends(selection_params)],
    archive: Annotated[Archive, Depends(archive_of)],
    gzip: Annotated[bool, Query(description="Compress the download with gzip.")] = False,
) -> StreamingResponse:
    """Every article matching the query and filters (all of them, in archive order), as
    JSONL: the lines of ``newsarchive export --query``, streamed as they are read."""
    query = selection.query or None
    if query is not None:
        parse_query(query)  # a query with nothing searchable is refused before streaming
    lines = export_lines(archive, filters=selection.filters, query=query)
    name = "newsarchive-export.jsonl" + (".gz" if gzip else "")
    return StreamingResponse(
        _chunks(lines, gzip),
        media_type="application/gzip" if gzip else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
