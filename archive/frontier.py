"""The crawl frontier and the state of conditional requests: the ``pages`` table.

Every request a crawl makes is queued here as ``pending`` first (:func:`enqueue_pages`) and
marked ``done`` with its validators when its response is handled (:func:`record_fetch`), so a
crawl killed at any point resumes from the database (:func:`pending_pages`), feeds Scrapy a
batch at a time (:func:`run_pending_pages`), and asks known pages conditionally
(:func:`page_states`) or again when their recheck is due (:func:`due_articles`). Article pages
are marked done by :func:`mark_pages_done` inside the transaction that stores their articles
(:func:`archive.articles.upsert_articles`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from archive.db import guarded_write
from archive.models import Page
from archive.rows import same_profile

#: URLs per statement: large enough to be quick, small enough for any database's parameter cap.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class PageState:
    """What the archive knows of a URL, for the crawler's decisions."""

    url: str
    kind: str
    state: str
    depth: int
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_fetched_at: datetime | None
    next_check_at: datetime | None
    article_id: int | None
    #: The frontier row's id: its place in the queue.
    id: int = 0


def _page_state(row: Page) -> PageState:
    return PageState(
        id=row.id,
        url=row.url,
        kind=row.kind,
        state=row.state,
        depth=row.depth,
        etag=row.etag,
        last_modified=row.last_modified,
        last_status=row.last_status,
        last_fetched_at=row.last_fetched_at,
        next_check_at=row.next_check_at,
        article_id=row.article_id,
    )


def page_states(engine: Engine, urls: Iterable[str]) -> dict[str, PageState]:
    """What is known of each of ``urls`` (absent: never seen)."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, PageState] = {}
    with Session(engine) as session:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for row in session.execute(select(Page).where(Page.url.in_(chunk))).scalars():
                found[row.url] = _page_state(row)
    return found


@guarded_write
def enqueue_pages(
    engine: Engine,
    entries: Iterable[tuple[str, str, int]],
    *,
    profile: str | None,
    run_id: int | None,
) -> int:
    """Queue ``(url, kind, depth)`` entries as ``pending``; returns how many were new.

    Known pages are marked pending again (they are being fetched again), keeping their
    conditional-request state.
    """
    # Core statements, a chunk at a time: a 50,000-URL sitemap queued through ORM objects
    # took 150 MB; this keeps one chunk in memory.
    first: dict[str, tuple[str, int]] = {}  # each URL once, as first given
    for url, kind, depth in entries:
        first.setdefault(url, (kind, depth))
    urls = list(first)
    added = 0
    with engine.begin() as conn:
        for start in range(0, len(urls), CHUNK):
            chunk = urls[start : start + CHUNK]
            known = set(conn.execute(select(Page.url).where(Page.url.in_(chunk))).scalars())
            if known:
                conn.execute(
                    update(Page).where(Page.url.in_(known)).values(state="pending", run_id=run_id)
                )
            fresh = [
                {
                    "url": url,
                    "profile": profile,
                    "kind": first[url][0],
                    "state": "pending",
                    "depth": first[url][1],
                    "run_id": run_id,
                }
                for url in chunk
                if url not in known
            ]
            if fresh:
                conn.execute(insert(Page), fresh)
                added += len(fresh)
    return added


def run_pending_pages(engine: Engine, run_id: int, *, after_id: int, limit: int) -> list[PageState]:
    """Pages queued by crawl run ``run_id`` and still pending, in queue order from after
    ``after_id`` (a page's :attr:`PageState.id`), at most ``limit`` of them."""
    with Session(engine) as session:
        rows = session.execute(
            select(Page)
            .where(Page.run_id == run_id, Page.state == "pending", Page.id > after_id)
            .order_by(Page.id)
            .limit(limit)
        ).scalars()
        return [_page_state(row) for row in rows]


@guarded_write
def record_fetch(
    engine: Engine,
    url: str,
    *,
    kind: str,
    status: int,
    fetched_at: datetime,
    etag: str | None = None,
    last_modified: str | None = None,
    next_check_at: datetime | None = None,
    article_id: int | None = None,
    profile: str | None = None,
    run_id: int | None = None,
    state: str = "done",
) -> None:
    """Record a page's response: its kind, validators for the next conditional request."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = session.execute(select(Page).where(Page.url == url)).scalar_one_or_none()
        if row is None:
            row = Page(url=url, profile=profile, kind=kind, state=state, depth=0, run_id=run_id)
            session.add(row)
        row.kind = kind
        row.state = state
        row.last_status = status
        row.last_fetched_at = fetched_at
        if status != 304:
            row.etag = etag
            row.last_modified = last_modified
        row.next_check_at = next_check_at
        if article_id is not None:
            row.article_id = article_id
        if profile and not row.profile:
            row.profile = profile


@guarded_write
def link_pages(engine: Engine, urls: Iterable[str], article_id: int) -> None:
    """Note that the pages fetched as ``urls`` hold the article ``article_id``."""
    urls = list(dict.fromkeys(urls))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.execute(update(Page).where(Page.url.in_(urls)).values(article_id=article_id))


def pending_pages(engine: Engine, profile: str | None) -> list[PageState]:
    """Pages queued by an earlier crawl of ``profile`` that never got their response."""
    with Session(engine) as session:
        rows = session.execute(
            select(Page)
            .where(Page.state == "pending", same_profile(profile, Page.profile))
            .order_by(Page.id)
        ).scalars()
        return [_page_state(row) for row in rows]


def due_articles(
    engine: Engine, profile: str | None, now: datetime, limit: int = 10_000
) -> list[PageState]:
    """Known article pages of ``profile`` whose recheck time has come."""
    with Session(engine) as session:
        rows = session.execute(
            select(Page)
            .where(
                Page.kind == "article",
                Page.next_check_at <= now,
                Page.state != "pending",
                same_profile(profile, Page.profile),
            )
            .order_by(Page.next_check_at)
            .limit(limit)
        ).scalars()
        return [_page_state(row) for row in rows]


@dataclass(frozen=True, slots=True)
class PageDone:
    """A page's response, for :func:`mark_pages_done`: what :func:`record_fetch` takes."""

    url: str
    kind: str
    status: int
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    article_id: int | None = None
    state: str = "done"


def mark_pages_done(
    conn: Connection, pages: Sequence[PageDone], *, profile: str | None, run_id: int | None
) -> None:
    """:func:`record_fetch` for each of ``pages``, in the caller's transaction (the batched
    article write marks its pages done in the transaction that stores their articles), a few
    statements per chunk. A URL given twice ends as its last entry says, as in a loop."""
    last: dict[str, PageDone] = {}
    for page in pages:
        last.pop(page.url, None)  # keep the order of the last occurrences
        last[page.url] = page
    urls = list(last)
    table = cast("Table", Page.__table__)
    for start in range(0, len(urls), CHUNK):
        chunk = urls[start : start + CHUNK]
        known = set(conn.execute(select(table.c.url).where(table.c.url.in_(chunk))).scalars())
        rows = [_done_values(last[url]) for url in chunk if url in known]
        # A 304 keeps the validators the page had; any other status replaces them.
        for keep_validators in (False, True):
            group = [r for r in rows if (r["b_status"] == 304) is keep_validators]
            if not group:
                continue
            values: dict[str, Any] = {
                "kind": bindparam("b_kind"),
                "state": bindparam("b_state"),
                "last_status": bindparam("b_status"),
                "last_fetched_at": bindparam("b_fetched_at", type_=table.c.last_fetched_at.type),
                "next_check_at": bindparam("b_next_check_at", type_=table.c.next_check_at.type),
                "article_id": func.coalesce(bindparam("b_article_id"), table.c.article_id),
            }
            if not keep_validators:
                values["etag"] = bindparam("b_etag")
                values["last_modified"] = bindparam("b_last_modified")
            if profile:
                values["profile"] = case(
                    (or_(table.c.profile.is_(None), table.c.profile == ""), profile),
                    else_=table.c.profile,
                )
            conn.execute(
                table.update().where(table.c.url == bindparam("b_url")).values(values), group
            )
        fresh = [
            {
                "url": url,
                "profile": profile,
                "kind": page.kind,
                "state": page.state,
                "depth": 0,
                "run_id": run_id,
                "last_status": page.status,
                "last_fetched_at": page.fetched_at,
                "etag": page.etag,
                "last_modified": page.last_modified,
                "next_check_at": page.next_check_at,
                "article_id": page.article_id,
            }
            for url in chunk
            if url not in known
            for page in (last[url],)
        ]
        if fresh:
            conn.execute(insert(table), fresh)


def _done_values(page: PageDone) -> dict[str, Any]:
    return {
        "b_url": page.url,
        "b_kind": page.kind,
        "b_state": page.state,
        "b_status": page.status,
        "b_fetched_at": page.fetched_at,
        "b_next_check_at": page.next_check_at,
        "b_article_id": page.article_id,
        "b_etag": page.etag,
        "b_last_modified": page.last_modified,
    }
