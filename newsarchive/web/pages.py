"""The reading room's pages, rendered on the server (Jinja2, escaped by default, no JavaScript):
search with facets, an article with its versions, a diff of two versions, the archived page,
the crawl runs, and the login form.

Archived HTML is never served as a page of the app: ``/raw/...`` answers with
``Content-Security-Policy: sandbox`` (an origin of its own, no scripts, no forms, nothing
loaded from elsewhere), and ``/raw/.../source`` shows it as plain text.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from archive.browse import (
    FACET_FIELDS,
    article_url,
    counts_under,
    raw_page,
    runs_health,
)
from archive.health import DEFAULT_MARGIN, SHARE_FIELDS
from archive.search import QueryError
from archive.store import Archive
from archive.warc import WarcError, WarcResponse
from newsarchive.web.auth import COOKIE_NAME, cookie_value, safe_next, token_matches
from newsarchive.web.deps import archive_of, config_of, search_results
from newsarchive.web.diff import diff_records
from newsarchive.web.params import (
    DEFAULT_RUNS,
    MAX_QUERY_CHARS,
    MAX_RUNS,
    PAGE_SIZES,
    SearchParams,
    UrlState,
    search_params,
)

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=TEMPLATES_DIR)

#: How an archived page may be shown: in a sandbox (an opaque origin, no scripts, no forms,
#: no plugins), loading nothing from the network, and framed by no one.
RAW_PAGE_CSP: Final = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:;"
    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
FACET_LABELS: Final = {
    "site": "Site",
    "source": "Source",
    "author": "Author",
    "section": "Section",
    "language": "Language",
}
ROLE_LABELS: Final = {
    "author": "作者 author",
    "reporter": "记者 reporter",
    "correspondent": "通讯员 correspondent",
    "compiler": "编译 compiler",
    "issuer": "发文机关 issuer",
    "translator": "翻译 translator",
    "editor": "编辑 editor",
    "photographer": "摄影 photographer",
}
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
# A page's declared charset, when its Content-Type header has none (first 2 KB only).
_META_CHARSET_RE: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _published(value: str | None) -> str:
    """``published_at`` for reading: ``2024-05-20 10:21 +08:00``, or the day as given."""
    if not value or len(value) <= 10:
        return value or "date unknown"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    offset = moment.strftime("%z")
    zone = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return f"{moment:%Y-%m-%d %H:%M}{zone}"


def _utc(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "—"


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


templates.env.filters.update(published=_published, utc=_utc, percent=_percent)
templates.env.globals.update(
    facet_labels=FACET_LABELS,
    role_labels=ROLE_LABELS,
    page_sizes=PAGE_SIZES,
    max_query_chars=MAX_QUERY_CHARS,
    share_fields=SHARE_FIELDS,
    share_margin=DEFAULT_MARGIN,
)

router = APIRouter(include_in_schema=False)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page of the app, with what every page shows (whether a login is in use)."""
    config = config_of(request)
    return templates.TemplateResponse(
        request,
        name,
        {"login": config.token is not None, **context},
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
def search(
    request: Request, params: Annotated[SearchParams, Depends(search_params)]
) -> HTMLResponse:
    """The search page: query box, facets, results, pages, export links."""
    selection = params.selection
    state = UrlState("/", request.query_params.multi_items())
    error = None
    result = None
    try:
        result = search_results(request, params)
    except QueryError as exc:
        error = str(exc)
    pages = params.pages(result.total) if result else 0
    context = {
        "params": params,
        "selection": selection,
        "state": state,
        "result": result,
        "error": error,
        "pages": pages,
        "page_links": _page_numbers(params.page, pages),
        "facet_fields": FACET_FIELDS,
        "active": [
            (name, value, state.toggle(name, value)) for name, value in selection.filter_items()
        ],
        "export_jsonl": selection.href("/api/export"),
        "export_gzip": selection.href("/api/export", gzip="true"),
    }
    return render(request, "search.html", context, status_code=400 if error else 200)


def _page_numbers(current: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and two around the current (None: a gap)."""
    shown = sorted({1, pages, *range(current - 2, current + 3)} & set(range(1, pages + 1)))
    numbers: list[int | None] = []
    for number in shown:
        if numbers and numbers[-1] is not None and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _article_url_or_404(archive: Archive, article_id: int) -> str:
    url = article_url(archive, article_id)
    if url is None:
        raise HTTPException(404, f"no article {article_id} in this archive")
    return url


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(
    request: Request, article_id: int, archive: Annotated[Archive, Depends(archive_of)]
) -> HTMLResponse:
    """An article: headline, bylines, metadata, text, URLs, versions and their pages."""
    url = _article_url_or_404(archive, article_id)
    record = archive.get_article(url)
    if record is None:
        raise HTTPException(404, f"no article {article_id} in this archive")
    revisions = archive.history(url)
    story = archive.get_story(record.story_id) if record.story_id is not None else None
    context = {
        "article_id": article_id,
        "record": record,
        # The other copies of the story, earliest first (the page's own is left out).
        "story_copies": [c for c in story.copies if c.article_id != article_id] if story else [],
        "story_id": record.story_id,
        "aliases": archive.aliases_of(url),
        "revisions": revisions,
        "paragraphs": [line for line in record.text.splitlines() if line.strip()],
        "latest": revisions[-1].revision if revisions else None,
    }
    return render(request, "article.html", context)


@router.get("/articles/{article_id}/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    article_id: int,
    archive: Annotated[Archive, Depends(archive_of)],
    a: Annotated[int, Query(ge=1, description="The earlier revision.")],
    b: Annotated[int, Query(ge=1, description="The later revision.")],
) -> HTMLResponse:
    """What changed between revisions ``a`` and ``b`` of an article."""
    url = _article_url_or_404(archive, article_id)
    before, after = archive.get_revision(url, a), archive.get_revision(url, b)
    if before is None or after is None:
        known = ", ".join(str(r.revision) for r in archive.history(url))
        raise HTTPException(404, f"no such revision: article {article_id} has revisions {known}")
    context = {
        "article_id": article_id,
        "a": a,
        "b": b,
        "before": before,
        "after": after,
        "diff": diff_records(before, after),
        "revisions": archive.history(url),
    }
    return render(request, "diff.html", context)


def _raw_or_404(archive: Archive, article_id: int, revision: int) -> WarcResponse:
    url = _article_url_or_404(archive, article_id)
    try:
        page = raw_page(archive, url, revision)
    except WarcError as exc:
        raise HTTPException(404, f"the archived page cannot be read: {exc}") from None
    if page is None:
        raise HTTPException(
            404, f"no archived page for revision {revision} of article {article_id}"
        )
    return page


def _header(page: WarcResponse, name: str) -> str | None:
    return next((value for key, value in page.headers if key.lower() == name), None)


def _charset(page: WarcResponse) -> str | None:
    content_type = _header(page, "content-type") or ""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value.strip('"'):
            return value.strip('"')
    found = _META_CHARSET_RE.search(page.body[:2048])
    return found.group(1).decode("ascii") if found else None


@router.get("/raw/{article_id}/{revision}")
def raw(
    article_id: int, revision: int, archive: Annotated[Archive, Depends(archive_of)]
) -> Response:
    """The archived page as fetched, in a sandbox: it can show, never run."""
    page = _raw_or_404(archive, article_id, revision)
    content_type = _header(page, "content-type") or "text/html"
    media = content_type.split(";")[0].strip().lower()
    if media not in _HTML_TYPES:
        return raw_source(article_id, revision, archive)
    charset = _charset(page)
    return Response(
        page.body,
        media_type=f"{media}; charset={charset}" if charset else media,
        headers={"Content-Security-Policy": RAW_PAGE_CSP, "Cache-Control": "private"},
    )


@router.get("/raw/{article_id}/{revision}/source")
def raw_source(
    article_id: int, revision: int, archive: Annotated[Archive, Depends(archive_of)]
) -> Response:
    """The archived response as plain text: status, headers, then the body as fetched."""
    page = _raw_or_404(archive, article_id, revision)
    head = [f"{page.status} {page.url}", f"fetched {_utc(page.fetched_at)}"]
    head += [f"{name}: {value}" for name, value in page.headers]
    # Headers are Latin-1 on the wire; the body keeps its own bytes, and the charset they
    # were served with tells the browser how to read them.
    body = ("\n".join(head) + "\n\n").encode("utf-8") + page.body
    charset = _charset(page) or "utf-8"
    return Response(
        body,
        media_type=f"text/plain; charset={charset}",
        headers={"Content-Security-Policy": RAW_PAGE_CSP, "Cache-Control": "private"},
    )


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request,
    archive: Annotated[Archive, Depends(archive_of)],
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS)] = DEFAULT_RUNS,
    profile: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """Every crawl run with its counters, and per site its extraction health as ``newsarchive
    health`` reports it: the share of its articles with an author, a date, a source and a
    section, the median text length, and what fell against the site's previous runs."""
    listed = archive.list_runs(limit, profile=profile or None)
    health = runs_health(archive, listed)
    context = {
        "runs": [
            (
                run,
                counts_under(run.stats, "newsarchive/skipped/"),
                counts_under(run.stats, "newsarchive/errors/"),
                health[run.id],
            )
            for run in listed
        ],
        "profile": profile,
        "limit": limit,
    }
    return render(request, "runs.html", context)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The login form (only useful when the app has a token)."""
    return render(request, "login.html", {"next": safe_next(next), "failed": False})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the token; when it matches, set the login cookie and go where the user was."""
    expected = config_of(request).token
    if expected is None:
        return RedirectResponse(safe_next(next), status_code=303)
    if not token_matches(expected, token.strip()):
        return render(
            request, "login.html", {"next": safe_next(next), "failed": True}, status_code=401
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        cookie_value(expected),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, httponly=True, samesite="strict")
    return response
