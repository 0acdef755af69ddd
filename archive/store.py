"""The storage API: articles with their revisions and aliases, crawl runs, the crawl frontier.

:class:`Archive` is what the rest of the project talks to. It takes and returns plain records
(:class:`~archive.record.ArticleRecord`, :class:`PageFetch`, :class:`PageState`), never ORM
objects or anything of Scrapy, and keeps the search index in the same transaction as the
article. Raw pages live in WARC files (:mod:`archive.warc`); the database records where.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import sleep
from typing import Any, Concatenate, Final, Literal, ParamSpec, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Table,
    Text,
    func,
    insert,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archive.db import ArchiveError, make_engine, parse_db_url, resolve_db_url
from archive.filters import ArticleFilter
from archive.models import (
    Article,
    ArticleAlias,
    ArticleRevision,
    ChangeCounter,
    CrawlRun,
    ExportCursor,
    Page,
)
from archive.record import EXPORT_FIELDS, ArticleRecord, Byline
from archive.search import (
    SORT_ORDERS,
    QueryError,
    SortOrder,
    index_article,
    index_articles,
    index_built_at_end,
    make_snippet,
    matching_ids,
    parse_query,
    prefer_index,
    rebuild_index,
    search_ids,
)
from archive.warc import WarcLocation, WarcResponse, read_response

logger = logging.getLogger(__name__)

#: ``duplicate``: the same text is already archived under another URL, which now has an alias.
UpsertOutcome = Literal["new", "updated", "unchanged", "duplicate"]

#: Counters of a crawl that have their own column in ``crawl_runs``.
RUN_COUNTERS = (
    "pages_fetched",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "articles_removed",
    "pages_skipped",
    "errors",
    "bytes_downloaded",
)


@dataclass(slots=True)
class PageFetch:
    """How an article's page was fetched; its bytes are in the WARC file at ``warc``."""

    url: str
    status: int
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warc: WarcLocation | None = None


@dataclass(slots=True)
class ChangeWindow:
    """Which changes a read keeps, for ``export --since-last``, and what the read saw.

    ``after_seq``: changes stamped with a change-counter value above it; ``since``: a cursor
    saved before the counter existed, read by time once. A read given a window sets
    ``seen_seq`` to the counter's value in its own snapshot (None when it read no row).
    """

    after_seq: int | None = None
    since: datetime | None = None
    seen_seq: int | None = None


@dataclass(frozen=True, slots=True)
class SavedCursor:
    """An ``--since-last`` cursor: the counter value its export had seen, and when it ran."""

    seq: int | None
    at: datetime

    def window(self) -> ChangeWindow:
        """The changes the next export of this name reads."""
        return ChangeWindow(after_seq=self.seq, since=self.at if self.seq is None else None)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    outcome: UpsertOutcome
    article_id: int
    revision: int
    #: The archived article's URL (differs from the record's for a duplicate).
    url: str


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


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    revision: int
    fetched_at: datetime
    content_hash: str
    title: str | None
    chars: int
    extractor_version: str
    warc: WarcLocation | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result: the article, its score (higher is better) and a highlighted snippet."""

    article: ArticleRecord
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A finished or running crawl, as stored."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    profile: str | None
    start_urls: list[str]
    counters: dict[str, int]
    stats: dict[str, Any]


def published_instant(published_at: str | None) -> datetime | None:
    """``published_at`` as an aware UTC instant; a bare day counts from its midnight UTC."""
    if not published_at:
        return None
    try:
        if len(published_at) == 10:
            return datetime.combine(date.fromisoformat(published_at), time(), UTC)
        if len(published_at) == 7:  # YYYY-MM
            return datetime.combine(date.fromisoformat(published_at + "-01"), time(), UTC)
        moment = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


#: How often a write that found the database locked is tried (SQLite also waits its busy
#: timeout, 10 s, inside each try).
WRITE_ATTEMPTS = 3
_LOCKED = ("database is locked", "database table is locked", "lock timeout", "deadlock detected")
_FULL = ("database or disk is full", "no space left", "disk full", "could not extend file")

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _guarded_write(
    method: Callable[Concatenate[Archive, _P], _T],
) -> Callable[Concatenate[Archive, _P], _T]:
    """Retry a write that found the database locked, or that lost a race to insert the same
    row to another writer; turn storage failures into one line.

    The write's transaction is rolled back before the error surfaces, so what was stored
    before stays intact and nothing is half-written.
    """

    def wrapper(self: Archive, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return method(self, *args, **kwargs)
            except DBAPIError as exc:
                reason = _reason(exc)
                lowered = reason.lower()
                if isinstance(exc, IntegrityError) and attempt + 1 < WRITE_ATTEMPTS:
                    # Another writer (a second crawl) stored the same URL between this write's
                    # read and its insert: the rolled-back write, run again, finds it.
                    logger.info("concurrent write of the same row, retrying: %s", reason)
                    continue
                if any(word in lowered for word in _LOCKED):
                    if attempt + 1 < WRITE_ATTEMPTS:
                        logger.info("archive locked, retrying (%d): %s", attempt + 1, reason)
                        sleep(0.5 * 2**attempt)
                        continue
                    raise ArchiveError(
                        f"the archive {self._safe_url()} is locked by another writer"
                        f" ({WRITE_ATTEMPTS} tries): try again once it is done"
                    ) from None
                if any(word in lowered for word in _FULL):
                    raise ArchiveError(
                        f"the archive {self._safe_url()} is full ({reason}):"
                        " free some space; the last write was rolled back"
                    ) from None
                raise ArchiveError(
                    f"cannot write to the archive {self._safe_url()}: {reason}"
                ) from None
        raise AssertionError("unreachable")

    functools.update_wrapper(wrapper, method)
    return wrapper


def _record_of(row: Article | ArticleRevision, url: str | None = None) -> ArticleRecord:
    article = row if isinstance(row, Article) else row.article
    return ArticleRecord(
        url=url or article.url,
        title=row.title,
        text=row.text,
        published_at=row.published_at,
        bylines=[Byline(name=b["name"], role=b["role"]) for b in row.bylines or []],  # type: ignore[arg-type]
        source=row.source,
        section=row.section,
        tags=list(row.tags or []),
        language=row.language,
        fetched_at=row.fetched_at,
        extractor_version=row.extractor_version,
        site=article.site,
        authors=list(row.authors or []),
        content_hash=row.content_hash,
        profile=article.profile,
        removed_at=article.removed_at,
    )


#: The columns an :class:`ArticleRecord` is built from, read without the ORM (faster exports).
_ARTICLE_COLUMNS: Final = (
    Article.id,
    Article.url,
    Article.site,
    Article.title,
    Article.text,
    Article.published_at,
    Article.bylines,
    Article.source,
    Article.section,
    Article.tags,
    Article.language,
    Article.fetched_at,
    Article.extractor_version,
    Article.authors,
    Article.content_hash,
    Article.profile,
    Article.removed_at,
)

#: A revision's content with its article's identity, for ``export --revisions``.
_REVISION_COLUMNS: Final = (
    ArticleRevision.article_id,
    ArticleRevision.revision,
    Article.url,
    Article.site,
    ArticleRevision.title,
    ArticleRevision.text,
    ArticleRevision.published_at,
    ArticleRevision.bylines,
    ArticleRevision.source,
    ArticleRevision.section,
    ArticleRevision.tags,
    ArticleRevision.language,
    ArticleRevision.fetched_at,
    ArticleRevision.extractor_version,
    ArticleRevision.authors,
    ArticleRevision.content_hash,
    Article.profile,
    Article.removed_at,
)


def _streamed_columns(columns: tuple[Any, ...], dialect: str) -> list[Any]:
    """``columns`` for a streamed read: SQLite's JSON columns come as their raw text, which
    :func:`_json_list` decodes with orjson (several times faster than the json module)."""
    if dialect != "sqlite":
        return list(columns)
    return [type_coerce(c, Text).label(c.key) if isinstance(c.type, JSON) else c for c in columns]


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return list(value or [])


def _record_of_row(row: Mapping[Any, Any]) -> ArticleRecord:
    return ArticleRecord(
        url=row["url"],
        title=row["title"],
        text=row["text"],
        published_at=row["published_at"],
        bylines=[Byline(name=b["name"], role=b["role"]) for b in _json_list(row["bylines"])],
        source=row["source"],
        section=row["section"],
        tags=_json_list(row["tags"]),
        language=row["language"],
        fetched_at=row["fetched_at"],
        extractor_version=row["extractor_version"],
        site=row["site"],
        authors=_json_list(row["authors"]),
        content_hash=row["content_hash"],
        profile=row["profile"],
        removed_at=row["removed_at"],
    )


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One stored version of an article, as ``export --revisions`` writes it."""

    record: ArticleRecord
    revision: int | None
    aliases: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The export record plus ``revision`` and ``aliases``."""
        return {**self.record.to_json_dict(), "revision": self.revision, "aliases": self.aliases}


#: What a revision keeps: the record's fields that belong to one version of the page (not the
#: article's identity, nor what the archive itself decides).
_CONTENT_FIELDS = tuple(
    name for name in EXPORT_FIELDS if name not in ("url", "site", "profile", "removed_at")
)


def _article_values(record: ArticleRecord) -> dict[str, Any]:
    return {
        "url": record.url,
        "site": record.site,
        "title": record.title,
        "text": record.text,
        "published_at": record.published_at,
        "published_at_utc": published_instant(record.published_at),
        "authors": list(record.authors),
        "bylines": [b.to_json_dict() for b in record.bylines],
        "source": record.source,
        "section": record.section,
        "tags": list(record.tags),
        "language": record.language,
        "fetched_at": record.fetched_at,
        "content_hash": record.content_hash,
        "extractor_version": record.extractor_version,
    }


def default_warc_dir(db_url: str) -> Path:
    """Where raw pages go: ``$NEWSARCHIVE_WARC_DIR``, else beside the SQLite file.

    ``archive.db`` keeps its pages in ``archive-warc/``; a PostgreSQL archive in
    ``./newsarchive-warc/``.
    """
    explicit = os.environ.get("NEWSARCHIVE_WARC_DIR")
    if explicit:
        return Path(explicit).expanduser()
    url = parse_db_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db_path = Path(url.database or "").expanduser()
        return db_path.with_name(db_path.stem + "-warc")
    return Path("newsarchive-warc")


class Archive:
    """An article archive in one database (SQLite file by default, or PostgreSQL)."""

    def __init__(
        self, db_url: str | None = None, *, create: bool = True, warc_dir: Path | None = None
    ) -> None:
        self.db_url = resolve_db_url(db_url)
        self.engine: Engine = make_engine(self.db_url)
        self.warc_dir = warc_dir or default_warc_dir(self.db_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.create_schema()
        else:
            self._require_schema()

    # -- lifecycle -------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the latest schema in an empty database (stamped with its migration revision).

        An archive whose schema is older than this release's is refused with a one-line error
        that says to run ``newsarchive db upgrade``.
        """
        self._check_schema(create=True)

    def _require_schema(self) -> None:
        url = self.engine.url
        missing = f"no archive at {self._safe_url()}: crawl something first (newsarchive demo)"
        on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        if on_disk and not Path(url.database or "").expanduser().is_file():
            raise ArchiveError(missing)
        self._check_schema(create=False)

    def _check_schema(self, *, create: bool) -> None:
        from archive.migrations import create_latest, schema_state

        try:
            with self.engine.begin() as conn:
                state = schema_state(conn)
                if state.status == "empty":
                    if not create:
                        raise ArchiveError(
                            f"no archive at {self._safe_url()}: crawl something first"
                            " (newsarchive demo)"
                        )
                    create_latest(conn)
                elif state.status == "behind":
                    made_by = (
                        f"schema {state.revision}" if state.revision else "a release before 0.2"
                    )
                    raise ArchiveError(
                        f"the archive {self._safe_url()} has an older schema ({made_by}):"
                        f" run `newsarchive db upgrade --db {self._safe_url()}` first"
                    )
                elif state.status == "unknown":
                    raise ArchiveError(
                        f"the archive {self._safe_url()} was upgraded by a newer newsarchive"
                        f" (schema {state.revision}): install that version"
                    )
        except OperationalError as exc:
            raise ArchiveError(
                f"cannot open the archive {self._safe_url()}: {_reason(exc)}"
            ) from None
        except DBAPIError as exc:
            raise ArchiveError(
                f"cannot set up the archive {self._safe_url()}: {_reason(exc)}"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- articles --------------------------------------------------------------------------

    def _find_article(self, session: Session, url: str) -> Article | None:
        row = session.execute(select(Article).where(Article.url == url)).scalar_one_or_none()
        if row is not None:
            return row
        alias = session.execute(
            select(ArticleAlias.article_id).where(ArticleAlias.url == url)
        ).scalar_one_or_none()
        return session.get(Article, alias) if alias is not None else None

    @_guarded_write
    def upsert_article(
        self,
        record: ArticleRecord,
        fetch: PageFetch | None = None,
        *,
        run_id: int | None = None,
        profile: str | None = None,
        aliases: Iterable[str] = (),
    ) -> UpsertResult:
        """Store ``record`` under its canonical URL, keeping every version.

        - new URL, new text: a new article (revision 1);
        - new URL, text already archived on the same site: the URL becomes an alias of that
          article (``duplicate``), nothing else is written;
        - known URL (or alias), same text and extractor: ``unchanged``, nothing is rewritten;
        - known URL, changed: a new revision, and the article row shows it (``updated``).

        ``aliases`` are other URLs of the same article (the URL that answered when the page
        named another canonical URL). Article, revision, aliases and search index change in one
        transaction.
        """
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            row = self._find_article(session, record.url)
            if row is None:
                twin = session.execute(
                    select(Article)
                    .where(Article.site == record.site, Article.content_hash == record.content_hash)
                    .limit(1)
                ).scalar_one_or_none()
                if twin is not None and record.text:
                    self._add_aliases(session, twin.id, [record.url, *aliases], "same_text", now)
                    return UpsertResult("duplicate", twin.id, twin.revision, twin.url)
                seq = _bump_change(session.connection())
                row = Article(
                    **_article_values(record),
                    profile=profile or record.profile,
                    revision=1,
                    first_seen_at=now,
                    updated_at=now,
                    crawl_run_id=run_id,
                    change_seq=seq,
                )
                session.add(row)
                session.flush()
                session.add(_revision_row(row.id, 1, record, fetch, run_id, now, seq))
                index_article(session.connection(), row.id, record.title, record.text)
                self._add_aliases(session, row.id, aliases, "canonical_link", now)
                return UpsertResult("new", row.id, 1, row.url)
            changed = (
                row.content_hash != record.content_hash
                or row.extractor_version != record.extractor_version
            )
            came_back = row.removed_at is not None  # a change for --since-last exports too
            # The counter before any other write: every writer takes its locks in that order.
            seq = _bump_change(session.connection()) if changed or came_back else row.change_seq
            self._add_aliases(session, row.id, aliases, "canonical_link", now)
            if row.url != record.url:
                self._add_aliases(session, row.id, [record.url], "canonical_link", now)
            if came_back:
                row.removed_at = None
                row.change_seq = seq
            if not changed:
                return UpsertResult("unchanged", row.id, row.revision, row.url)
            values = _article_values(record)
            values.pop("url")
            for key, value in values.items():
                setattr(row, key, value)
            row.revision += 1
            row.updated_at = now
            row.crawl_run_id = run_id
            row.change_seq = seq
            if profile:
                row.profile = profile
            session.add(_revision_row(row.id, row.revision, record, fetch, run_id, now, seq))
            session.flush()
            index_article(session.connection(), row.id, record.title, record.text)
            return UpsertResult("updated", row.id, row.revision, row.url)

    def _add_aliases(
        self, session: Session, article_id: int, urls: Iterable[str], reason: str, now: datetime
    ) -> None:
        for url in urls:
            if session.execute(select(Article.id).where(Article.url == url)).first():
                continue
            exists = session.execute(select(ArticleAlias.id).where(ArticleAlias.url == url)).first()
            if exists is None:
                session.add(
                    ArticleAlias(url=url, article_id=article_id, reason=reason, created_at=now)
                )
                session.flush()

    @_guarded_write
    def mark_removed(self, url: str, when: datetime | None = None) -> bool:
        """Record that the article at ``url`` (or an alias) is gone. Never deletes it.

        Returns False when no such article is archived, or it was already marked.
        """
        with self._sessions.begin() as session:
            row = self._find_article(session, url)
            if row is None or row.removed_at is not None:
                return False
            row.removed_at = when or datetime.now(UTC)
            row.change_seq = _bump_change(session.connection())
            return True

    # -- runs ------------------------------------------------------------------------------

    @_guarded_write
    def start_run(self, start_urls: list[str], *, profile: str | None = None) -> int:
        """Record the start of a crawl in this process; returns the run's id.

        Earlier runs of the same profile that are still marked ``running`` are marked
        ``interrupted``: the caller holds the profile's lock, so they cannot be running.
        """
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.status == "running", _same_profile(profile))
                .values(status="interrupted", finished_at=now)
            )
            run = CrawlRun(
                started_at=now,
                status="running",
                profile=profile,
                pid=os.getpid(),
                hostname=socket.gethostname(),
                start_urls=list(start_urls),
                stats={},
                **dict.fromkeys(RUN_COUNTERS, 0),
            )
            session.add(run)
            session.flush()
            return run.id

    @_guarded_write
    def finish_run(
        self, run_id: int, status: str, counters: Mapping[str, int], stats: Mapping[str, Any]
    ) -> None:
        """Record how a crawl ended, with its counters and every statistic."""
        with self._sessions.begin() as session:
            run = session.get_one(CrawlRun, run_id)
            run.finished_at = datetime.now(UTC)
            run.status = status
            for key in RUN_COUNTERS:
                setattr(run, key, int(counters.get(key, 0)))
            run.stats = {key: _jsonable(value) for key, value in stats.items()}

    def list_runs(self, limit: int = 20, *, profile: str | None = None) -> list[RunSummary]:
        with self._sessions() as session:
            query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
            if profile is not None:
                query = query.where(CrawlRun.profile == profile)
            return [
                RunSummary(
                    id=r.id,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    status=r.status,
                    profile=r.profile,
                    start_urls=list(r.start_urls),
                    counters={key: getattr(r, key) for key in RUN_COUNTERS},
                    stats=dict(r.stats),
                )
                for r in session.execute(query).scalars()
            ]

    # -- the frontier and conditional requests --------------------------------------------

    def page_states(self, urls: Iterable[str]) -> dict[str, PageState]:
        """What is known of each of ``urls`` (absent: never seen)."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, PageState] = {}
        with self._sessions() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in session.execute(select(Page).where(Page.url.in_(chunk))).scalars():
                    found[row.url] = _page_state(row)
        return found

    @_guarded_write
    def enqueue_pages(
        self,
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
        with self.engine.begin() as conn:
            for start in range(0, len(urls), 500):
                chunk = urls[start : start + 500]
                known = set(conn.execute(select(Page.url).where(Page.url.in_(chunk))).scalars())
                if known:
                    conn.execute(
                        update(Page)
                        .where(Page.url.in_(known))
                        .values(state="pending", run_id=run_id)
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

    def run_pending_pages(self, run_id: int, *, after_id: int, limit: int) -> list[PageState]:
        """Pages queued by crawl run ``run_id`` and still pending, in queue order from after
        ``after_id`` (a page's :attr:`PageState.id`), at most ``limit`` of them."""
        with self._sessions() as session:
            rows = session.execute(
                select(Page)
                .where(Page.run_id == run_id, Page.state == "pending", Page.id > after_id)
                .order_by(Page.id)
                .limit(limit)
            ).scalars()
            return [_page_state(row) for row in rows]

    @_guarded_write
    def record_fetch(
        self,
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
        with self._sessions.begin() as session:
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

    @_guarded_write
    def link_pages(self, urls: Iterable[str], article_id: int) -> None:
        """Note that the pages fetched as ``urls`` hold the article ``article_id``."""
        urls = list(dict.fromkeys(urls))
        with self._sessions.begin() as session:
            session.execute(update(Page).where(Page.url.in_(urls)).values(article_id=article_id))

    def pending_pages(self, profile: str | None) -> list[PageState]:
        """Pages queued by an earlier crawl of ``profile`` that never got their response."""
        with self._sessions() as session:
            rows = session.execute(
                select(Page)
                .where(Page.state == "pending", _same_profile(profile, Page.profile))
                .order_by(Page.id)
            ).scalars()
            return [_page_state(row) for row in rows]

    def due_articles(
        self, profile: str | None, now: datetime, limit: int = 10_000
    ) -> list[PageState]:
        """Known article pages of ``profile`` whose recheck time has come."""
        with self._sessions() as session:
            rows = session.execute(
                select(Page)
                .where(
                    Page.kind == "article",
                    Page.next_check_at <= now,
                    Page.state != "pending",
                    _same_profile(profile, Page.profile),
                )
                .order_by(Page.next_check_at)
                .limit(limit)
            ).scalars()
            return [_page_state(row) for row in rows]

    # -- reading ---------------------------------------------------------------------------

    def count_articles(
        self, filters: ArticleFilter | None = None, *, query: str | None = None
    ) -> int:
        """How many articles there are (that pass ``filters`` and match ``query``)."""
        with self.engine.connect() as conn:
            where = self._article_where(conn, filters, query)
            return int(conn.execute(select(func.count(Article.id)).where(*where)).scalar_one())

    def get_article(self, url: str) -> ArticleRecord | None:
        """The latest version of the article at ``url`` (its canonical URL or an alias)."""
        with self._sessions() as session:
            row = self._find_article(session, url)
            return _record_of(row) if row is not None else None

    def aliases_of(self, url: str) -> list[str]:
        with self._sessions() as session:
            row = self._find_article(session, url)
            if row is None:
                return []
            return list(
                session.execute(
                    select(ArticleAlias.url)
                    .where(ArticleAlias.article_id == row.id)
                    .order_by(ArticleAlias.id)
                ).scalars()
            )

    def iter_articles(
        self,
        batch_size: int = 1000,
        *,
        filters: ArticleFilter | None = None,
        query: str | None = None,
        changes: ChangeWindow | None = None,
    ) -> Iterator[ArticleRecord]:
        """The latest version of each article, oldest first, streamed (constant memory).

        ``filters`` and ``query`` (search syntax) select articles; ``changes`` keeps those
        written or marked removed after its point, and learns what this read saw.
        """
        with self.engine.connect() as conn:
            where = self._article_where(conn, filters, query, changes)
            columns = _streamed_columns(_ARTICLE_COLUMNS, conn.dialect.name)
            if changes is not None:
                columns.append(_SNAPSHOT_SEQ)
            result = conn.execution_options(yield_per=batch_size).execute(
                select(*columns).where(*where).order_by(Article.id)
            )
            for row in result:
                if changes is not None and changes.seen_seq is None:
                    changes.seen_seq = int(row.snapshot_seq)
                yield _record_of_row(row._mapping)

    def history(self, url: str) -> list[RevisionSummary]:
        """Every stored version of the article at ``url``, oldest first."""
        with self._sessions() as session:
            row = self._find_article(session, url)
            if row is None:
                return []
            revisions = session.execute(
                select(ArticleRevision)
                .where(ArticleRevision.article_id == row.id)
                .order_by(ArticleRevision.revision)
            ).scalars()
            return [
                RevisionSummary(
                    revision=r.revision,
                    fetched_at=r.fetched_at,
                    content_hash=r.content_hash,
                    title=r.title,
                    chars=len(r.text),
                    extractor_version=r.extractor_version,
                    warc=_warc_ref(r),
                )
                for r in revisions
            ]

    def get_revision(self, url: str, revision: int) -> ArticleRecord | None:
        with self._sessions() as session:
            row = self._find_article(session, url)
            if row is None:
                return None
            rev = session.execute(
                select(ArticleRevision).where(
                    ArticleRevision.article_id == row.id, ArticleRevision.revision == revision
                )
            ).scalar_one_or_none()
            return _record_of(rev) if rev is not None else None

    def iter_latest_pages(
        self, batch_size: int = 200
    ) -> Iterator[tuple[ArticleRecord, WarcLocation | None, str | None]]:
        """Each article with where its latest page sits, and the URL that answered."""
        with self._sessions() as session:
            result = session.execute(
                select(Article, ArticleRevision)
                .join(
                    ArticleRevision,
                    (ArticleRevision.article_id == Article.id)
                    & (ArticleRevision.revision == Article.revision),
                )
                .order_by(Article.id)
                .execution_options(yield_per=batch_size)
            )
            for article, revision in result.tuples():
                yield _record_of(article), _warc_ref(revision), revision.fetched_url

    def page_location(self, url: str) -> WarcLocation | None:
        """Where the latest page of the article at ``url`` sits in the WARC files."""
        with self._sessions() as session:
            row = self._find_article(session, url)
            if row is None:
                return None
            rev = session.execute(
                select(ArticleRevision).where(
                    ArticleRevision.article_id == row.id, ArticleRevision.revision == row.revision
                )
            ).scalar_one_or_none()
            return _warc_ref(rev) if rev is not None else None

    def get_raw_page(self, url: str) -> WarcResponse | None:
        """The latest fetched page of the article at ``url``, read back from its WARC file."""
        location = self.page_location(url)
        if location is None:
            return None
        return read_response(
            self.warc_dir, WarcLocation(location.path, location.offset, location.length)
        )

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        filters: ArticleFilter | None = None,
        sort: SortOrder = "relevance",
        offset: int = 0,
    ) -> list[SearchHit]:
        """Articles matching every word or ``"phrase"`` of ``query``, best (or newest) first.

        Raises :class:`~archive.search.QueryError` when the query holds nothing searchable.
        """
        if limit < 1:
            raise QueryError("--limit must be at least 1")
        if sort not in SORT_ORDERS:
            raise QueryError(f"unknown sort order {sort!r}: use {' or '.join(SORT_ORDERS)}")
        parsed = parse_query(query)
        with self.engine.connect() as conn:
            try:
                matches = search_ids(
                    conn, parsed, limit, filters=filters, sort=sort, offset=max(0, offset)
                )
                if not matches:
                    return []
                rows = {
                    row.id: row
                    for row in conn.execute(
                        select(*_ARTICLE_COLUMNS).where(
                            Article.id.in_([m.article_id for m in matches])
                        )
                    )
                }
            except SQLAlchemyError as exc:
                raise ArchiveError(f"search failed: {_reason(exc)}") from None
        hits = []
        for match in matches:
            row = rows.get(match.article_id)
            if row is None:  # index row of an article deleted meanwhile
                continue
            hits.append(
                SearchHit(
                    article=_record_of_row(row._mapping),
                    score=float(f"{match.score:.6g}"),
                    snippet=make_snippet(row.text, parsed.terms),
                )
            )
        return hits

    # -- search and export at scale ----------------------------------------------------------

    def _article_where(
        self,
        conn: Connection,
        filters: ArticleFilter | None,
        query: str | None,
        changes: ChangeWindow | None = None,
    ) -> list[Any]:
        where: list[Any] = []
        if filters is not None:
            where.extend(filters.clauses(conn.dialect.name))
        if query is not None:
            where.append(Article.id.in_(matching_ids(conn.dialect.name, parse_query(query))))
            prefer_index(conn)
        if changes is not None and changes.after_seq is not None:
            where.append(Article.change_seq > changes.after_seq)
        elif changes is not None and changes.since is not None:
            since = changes.since
            where.append(or_(Article.updated_at >= since, Article.removed_at >= since))
        return where

    def iter_versions(
        self,
        batch_size: int = 1000,
        *,
        filters: ArticleFilter | None = None,
        query: str | None = None,
        changes: ChangeWindow | None = None,
    ) -> Iterator[ArticleVersion]:
        """Every stored version of each selected article, by article then revision, streamed.

        ``filters`` and ``query`` select articles by their latest version; ``changes`` keeps
        the versions stored after its point, and learns what this read saw. Each version
        carries the article's aliases.
        """
        with self.engine.connect() as conn:
            where = self._article_where(conn, filters, query)
            columns = _streamed_columns(_REVISION_COLUMNS, conn.dialect.name)
            if changes is not None:
                columns.append(_SNAPSHOT_SEQ)
                if changes.after_seq is not None:
                    where.append(ArticleRevision.change_seq > changes.after_seq)
                elif changes.since is not None:
                    where.append(ArticleRevision.created_at >= changes.since)
            result = conn.execution_options(yield_per=batch_size).execute(
                select(*columns)
                .join(Article, Article.id == ArticleRevision.article_id)
                .where(*where)
                .order_by(ArticleRevision.article_id, ArticleRevision.revision)
            )
            for partition in result.partitions():
                ids = sorted({row.article_id for row in partition})
                aliases: dict[int, list[str]] = {}
                with self.engine.connect() as other:
                    for article_id, url in other.execute(
                        select(ArticleAlias.article_id, ArticleAlias.url)
                        .where(ArticleAlias.article_id.in_(ids))
                        .order_by(ArticleAlias.id)
                    ):
                        aliases.setdefault(article_id, []).append(url)
                if changes is not None and changes.seen_seq is None and partition:
                    changes.seen_seq = int(partition[0].snapshot_seq)
                for row in partition:
                    yield ArticleVersion(
                        _record_of_row(row._mapping),
                        row.revision,
                        aliases.get(row.article_id, []),
                    )

    def export_cursor(self, name: str) -> SavedCursor | None:
        """Where the previous export named ``name`` stopped (None: never exported)."""
        with self._sessions() as session:
            row = session.get(ExportCursor, name)
            return SavedCursor(row.cursor_seq, row.cursor_at) if row is not None else None

    def change_seq(self) -> int:
        """The change counter's value now: every change stamped up to it is committed."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(_COUNTER.c.seq).where(_COUNTER.c.id == 1)).scalar_one())

    def save_export_cursor(
        self, name: str, cursor_at: datetime, *, seq: int, articles: int, output: str | None
    ) -> None:
        """Move the cursor of ``name``: the next export of that name reads the changes stamped
        above ``seq``; ``cursor_at`` is when this one started."""
        with self._sessions.begin() as session:
            row = session.get(ExportCursor, name)
            if row is None:
                row = ExportCursor(name=name)
                session.add(row)
            row.cursor_seq = seq
            row.cursor_at = cursor_at
            row.exported_at = datetime.now(UTC)
            row.articles = articles
            row.output = output

    def import_versions(
        self,
        versions: Iterable[ArticleVersion],
        *,
        batch_size: int = 500,
        bulk: bool = False,
        progress: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, int]:
        """Load exported versions (oldest first per article), as ``export --revisions`` wrote.

        A version whose text is already stored for that article is ``unchanged``; an unknown
        URL becomes a new article (keeping the version's revision number); a known one gets a
        new revision. Aliases and ``removed_at`` are kept. Returns counts by outcome;
        ``progress`` is called with them after each batch.

        Each batch is committed on its own, so a failure keeps the batches before it. With
        ``bulk``, the whole import is one transaction (all or nothing), and on PostgreSQL the
        search index is dropped at the start and built once at the end, inside that
        transaction: several times faster for large imports, whose GIN updates otherwise
        dominate, but searches and other writers wait until the import commits.
        """
        counts = dict.fromkeys(("new", "updated", "unchanged"), 0)
        if not bulk:
            self._import_batches(versions, batch_size, counts, self._sessions, progress)
        else:
            with self.engine.connect() as conn, conn.begin(), index_built_at_end(conn):
                # Sessions bound to a connection in a transaction join it: their commits leave
                # it open, and the import commits once, at the end.
                sessions = sessionmaker(bind=conn, expire_on_commit=False)
                self._import_batches(versions, batch_size, counts, sessions, progress)
        self._analyze()
        return counts

    def _import_batches(
        self,
        versions: Iterable[ArticleVersion],
        batch_size: int,
        counts: dict[str, int],
        sessions: sessionmaker[Session],
        progress: Callable[[dict[str, int]], None] | None,
    ) -> None:
        batch: list[ArticleVersion] = []
        for version in versions:
            batch.append(version)
            if len(batch) >= batch_size:
                self._import_batch(batch, counts, sessions)
                batch = []
                if progress is not None:
                    progress(counts)
        if batch:
            self._import_batch(batch, counts, sessions)
            if progress is not None:
                progress(counts)

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics after a bulk change, so that searches use the index."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE articles, article_search"))

    def _import_batch(
        self, batch: list[ArticleVersion], counts: dict[str, int], sessions: sessionmaker[Session]
    ) -> None:
        now = datetime.now(UTC)
        with sessions.begin() as session:
            conn = session.connection()
            seq = _bump_change(conn)
            urls = [version.record.url for version in batch]
            known = set(conn.execute(select(Article.url).where(Article.url.in_(urls))).scalars())
            known.update(
                conn.execute(select(ArticleAlias.url).where(ArticleAlias.url.in_(urls))).scalars()
            )
            # New URLs are inserted in bulk (a few statements for the whole batch); the others,
            # and later versions of a URL new in this batch, go one by one below.
            fresh: dict[str, ArticleVersion] = {}
            rest: list[ArticleVersion] = []
            for version in batch:
                if version.record.url in known or version.record.url in fresh:
                    rest.append(version)
                else:
                    fresh[version.record.url] = version
            if fresh:
                counts["new"] += self._insert_new(conn, list(fresh.values()), now, seq)
                for version in fresh.values():
                    if version.aliases:
                        found = self._find_article(session, version.record.url)
                        assert found is not None
                        self._add_aliases(session, found.id, version.aliases, "imported", now)
            to_index: dict[int, tuple[int, str | None, str]] = {}
            for version in rest:
                record = version.record
                row = self._find_article(session, record.url)
                if row is None:
                    number = version.revision or 1
                    row = Article(
                        **_article_values(record),
                        profile=record.profile,
                        revision=number,
                        first_seen_at=record.fetched_at,
                        updated_at=now,
                        removed_at=record.removed_at,
                        change_seq=seq,
                    )
                    session.add(row)
                    session.flush()
                    session.add(_revision_row(row.id, number, record, None, None, now, seq))
                    outcome = "new"
                else:
                    stored = session.execute(
                        select(ArticleRevision.id).where(
                            ArticleRevision.article_id == row.id,
                            ArticleRevision.content_hash == record.content_hash,
                            ArticleRevision.extractor_version == record.extractor_version,
                        )
                    ).first()
                    if stored is not None:
                        outcome = "unchanged"
                        if record.removed_at is not None and row.removed_at is None:
                            row.removed_at = record.removed_at
                            row.change_seq = seq
                    else:
                        values = _article_values(record)
                        values.pop("url")
                        for key, value in values.items():
                            setattr(row, key, value)
                        row.revision = max(row.revision + 1, version.revision or 0)
                        row.updated_at = now
                        row.removed_at = record.removed_at
                        row.change_seq = seq
                        if record.profile:
                            row.profile = record.profile
                        session.add(
                            _revision_row(row.id, row.revision, record, None, None, now, seq)
                        )
                        outcome = "updated"
                if outcome != "unchanged":
                    to_index[row.id] = (row.id, record.title, record.text)
                self._add_aliases(session, row.id, version.aliases, "imported", now)
                counts[outcome] += 1
            session.flush()
            index_articles(session.connection(), list(to_index.values()))

    def _insert_new(
        self, conn: Connection, versions: list[ArticleVersion], now: datetime, seq: int
    ) -> int:
        """Insert articles whose URLs are not archived yet, with revision and index rows."""
        articles = cast("Table", Article.__table__)
        rows = [
            {
                **_article_values(v.record),
                "profile": v.record.profile,
                "revision": v.revision or 1,
                "first_seen_at": v.record.fetched_at,
                "updated_at": now,
                "removed_at": v.record.removed_at,
                "crawl_run_id": None,
                "change_seq": seq,
            }
            for v in versions
        ]
        inserted = conn.execute(
            articles.insert().returning(articles.c.id, sort_by_parameter_order=True), rows
        ).all()
        ids = [row[0] for row in inserted]
        revisions = cast("Table", ArticleRevision.__table__)
        conn.execute(
            revisions.insert(),
            [
                {
                    **{k: row[k] for k in _CONTENT_FIELDS},
                    "article_id": article_id,
                    "revision": row["revision"],
                    "fetched_url": None,
                    "status": None,
                    "warc_path": None,
                    "warc_offset": None,
                    "warc_length": None,
                    "crawl_run_id": None,
                    "created_at": now,
                    "change_seq": seq,
                }
                for article_id, row in zip(ids, rows, strict=True)
            ],
        )
        index_articles(
            conn,
            [(i, v.record.title, v.record.text) for i, v in zip(ids, versions, strict=True)],
            fresh=True,
        )
        return len(ids)

    def rebuild_search_index(self) -> int:
        """Index every article again (after a change of tokenization); returns how many."""
        with self.engine.begin() as conn:
            count = rebuild_index(conn)
        self._analyze()
        return count


def _same_profile(profile: str | None, column: Any = CrawlRun.profile) -> Any:
    return column.is_(None) if profile is None else column == profile


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


def _warc_ref(row: ArticleRevision) -> WarcLocation | None:
    if row.warc_path is None or row.warc_offset is None:
        return None
    return WarcLocation(row.warc_path, row.warc_offset, row.warc_length or 0)


def _revision_row(
    article_id: int,
    revision: int,
    record: ArticleRecord,
    fetch: PageFetch | None,
    run_id: int | None,
    now: datetime,
    seq: int,
) -> ArticleRevision:
    values = {
        key: value for key, value in _article_values(record).items() if key in _CONTENT_FIELDS
    }
    return ArticleRevision(
        article_id=article_id,
        revision=revision,
        **values,
        fetched_url=fetch.url if fetch else None,
        status=fetch.status if fetch else None,
        warc_path=fetch.warc.path if fetch and fetch.warc else None,
        warc_offset=fetch.warc.offset if fetch and fetch.warc else None,
        warc_length=fetch.warc.length if fetch and fetch.warc else None,
        crawl_run_id=run_id,
        created_at=now,
        change_seq=seq,
    )


_COUNTER: Final = cast("Table", ChangeCounter.__table__)
#: The counter's value, read by the same statement as a streamed export's rows, so in the same
#: snapshot (one statement sees one snapshot, on PostgreSQL at READ COMMITTED too).
_SNAPSHOT_SEQ: Final = (
    select(_COUNTER.c.seq).where(_COUNTER.c.id == 1).scalar_subquery().label("snapshot_seq")
)


def _bump_change(conn: Connection) -> int:
    """Take the next value of the change counter, in ``conn``'s transaction.

    The counter's row stays locked until that transaction ends, so values are taken in commit
    order (see :class:`~archive.models.ChangeCounter`). Call it after the transaction's reads
    (other writers wait for the lock from here on) and before its writes (so that every writer
    takes the counter's lock first, and two writers never wait for each other's rows).
    """
    conn.execute(update(_COUNTER).where(_COUNTER.c.id == 1).values(seq=_COUNTER.c.seq + 1))
    return int(conn.execute(select(_COUNTER.c.seq).where(_COUNTER.c.id == 1)).scalar_one())


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
