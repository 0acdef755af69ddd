"""The crawl frontier and the state of conditional requests: the ``pages`` table.

Every request a crawl makes is queued here as ``pending`` first (:func:`enqueue_pages`) and
marked ``done`` with its validators when its response is handled (:func:`record_fetch`), so a
crawl killed at any point resumes from the database (:func:`pending_pages`), feeds Scrapy a
batch at a time (:func:`run_pending_pages`), and asks known pages conditionally
(:func:`page_states`) or again when their recheck is due (:func:`due_articles`). Article pages
are marked done by :func:`mark_pages_done` inside the transaction that stores their articles
(:func:`archive.articles.upsert_articles`).

Many workers (``newsarchive worker``, PostgreSQL only) share one profile's frontier: a worker
offers the pages it finds (:func:`offer_pages`: queued unless fetched in the crawl already),
claims a few pending pages at a time under a lease (:func:`claim_pages`, ``SELECT ... FOR
UPDATE SKIP LOCKED``, so two workers never get the same page), renews the leases of those it
still holds (:func:`renew_leases`) and gives them back when it stops (:func:`release_pages`).
A page whose lease expired (its worker was killed) is claimable again; recording its fetch
(:func:`record_fetch`, or :func:`mark_pages_done` for article pages) ends its lease.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from archive.db import guarded_write
from archive.models import Page, Worker
from archive.rows import same_profile

#: URLs per statement: large enough to be quick, small enough for any database's parameter cap.
CHUNK = 500

#: Coordination transactions (claims, leases, heartbeats, host slots) commit without waiting
#: for the WAL flush: 10-20 ms less each on this machine. A crash of PostgreSQL may forget the
#: last few; a forgotten claim or lease only lets a page be fetched twice, and the article
#: write (which keeps the default) stores it once.
NO_FSYNC = "SET LOCAL synchronous_commit = off"


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
        # Handled: whichever worker held it, its lease ends with this transaction.
        row.claimed_by = None
        row.lease_expires_at = None


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
                # Handled: whichever worker held it, its lease ends with this transaction.
                "claimed_by": None,
                "lease_expires_at": None,
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


# -- many workers, one frontier (PostgreSQL) ---------------------------------------------------


def _offer(
    conn: Connection,
    entries: Sequence[tuple[str, str, int]],
    *,
    profile: str,
    run_id: int | None,
    since: datetime,
) -> int:
    first: dict[str, tuple[str, int]] = {}
    for url, kind, depth in entries:
        first.setdefault(url, (kind, depth))
    urls = list(first)
    queued = 0
    for start in range(0, len(urls), CHUNK):
        rows = [
            {
                "url": url,
                "profile": profile,
                "kind": first[url][0],
                "state": "pending",
                "depth": first[url][1],
                "run_id": run_id,
            }
            for url in urls[start : start + CHUNK]
        ]
        statement = pg_insert(Page).values(rows)
        # Known pages come back to the queue only when this crawl has not fetched them yet:
        # each worker remembers its own requests only, and a listing found by every worker
        # must be fetched once per crawl. A page pending already (claimed or not) is left be.
        statement = statement.on_conflict_do_update(
            index_elements=[Page.url],
            set_={
                "state": "pending",
                "run_id": statement.excluded.run_id,
                "claimed_by": None,
                "lease_expires_at": None,
            },
            where=and_(
                Page.state != "pending",
                or_(Page.last_fetched_at.is_(None), Page.last_fetched_at < since),
            ),
        )
        queued += len(conn.execute(statement.returning(Page.id)).all())
    return queued


@guarded_write
def offer_pages(
    engine: Engine,
    entries: Iterable[tuple[str, str, int]],
    *,
    profile: str,
    run_id: int | None,
    since: datetime,
) -> int:
    """Queue ``(url, kind, depth)`` entries found by a worker of the crawl of ``profile`` that
    began at ``since``: new URLs, and known ones not fetched since; returns how many were
    (re)queued. PostgreSQL only (``ON CONFLICT ... WHERE``)."""
    with engine.begin() as conn:
        return _offer(conn, list(entries), profile=profile, run_id=run_id, since=since)


@guarded_write
def claim_pages(
    engine: Engine,
    profile: str,
    worker_id: str,
    *,
    limit: int,
    lease_seconds: float,
    run_id: int | None = None,
) -> list[PageState]:
    """Hand up to ``limit`` pending pages of ``profile`` to ``worker_id``, in queue order, under
    a lease of ``lease_seconds`` (the database's clock, so that the machines' clocks do not
    matter). Pages leased to another worker are passed over until the lease expires; pages
    another claimer is locking right now are skipped (``SKIP LOCKED``), so no two claimers
    ever get the same page and none waits for another. The worker's ``pages_claimed`` grows
    in the same transaction."""
    now = func.now()
    claimable = (
        select(Page.id)
        .where(
            Page.profile == profile,
            Page.state == "pending",
            or_(Page.lease_expires_at.is_(None), Page.lease_expires_at < now),
        )
        .order_by(Page.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.execute(text(NO_FSYNC))
        rows = (
            session.execute(
                update(Page)
                .where(Page.id.in_(claimable.scalar_subquery()))
                .values(
                    claimed_by=worker_id,
                    lease_expires_at=now + literal(timedelta(seconds=lease_seconds)),
                    run_id=run_id,
                )
                .returning(Page),
                execution_options={"synchronize_session": False},
            )
            .scalars()
            .all()
        )
        if rows:
            session.execute(
                update(Worker)
                .where(Worker.id == worker_id)
                .values(pages_claimed=Worker.pages_claimed + len(rows))
            )
        return sorted((_page_state(row) for row in rows), key=lambda page: page.id)


def renew_leases(
    conn: Connection, worker_id: str, page_ids: Iterable[int], *, lease_seconds: float
) -> set[int]:
    """Extend the leases of the pages ``worker_id`` still holds among ``page_ids``; returns
    those ids (the others were handled, or lost to another worker after an expiry). Runs in
    the caller's transaction (the worker's heartbeat)."""
    ids = list(page_ids)
    held: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        held.update(
            conn.execute(
                update(Page)
                .where(
                    Page.id.in_(ids[start : start + CHUNK]),
                    Page.claimed_by == worker_id,
                    Page.state == "pending",
                )
                .values(lease_expires_at=func.now() + literal(timedelta(seconds=lease_seconds)))
                .returning(Page.id)
            ).scalars()
        )
    return held


def release_pages(conn: Connection, worker_id: str) -> int:
    """Give back every page ``worker_id`` holds (a clean stop): claimable at once."""
    result = conn.execute(
        update(Page)
        .where(Page.claimed_by == worker_id, Page.state == "pending")
        .values(claimed_by=None, lease_expires_at=None)
    )
    return result.rowcount or 0


@dataclass(frozen=True, slots=True)
class QueueState:
    """A profile's pending pages: how many, and how many of them under a live lease."""

    pending: int
    leased: int


def queue_state(engine: Engine, profile: str) -> QueueState:
    """Pending pages of ``profile`` and those leased now (a worker is on them, and may find
    more): the crawl is over when both stay 0."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.count(),
                func.count().filter(Page.lease_expires_at > func.now()),
            ).where(Page.profile == profile, Page.state == "pending")
        ).one()
    return QueueState(pending=int(row[0]), leased=int(row[1]))
