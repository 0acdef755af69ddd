"""The storage API: upsert articles with their raw pages, record crawl runs, read and search.

:class:`Archive` is what the rest of the project talks to. It takes and returns plain records
(:class:`~archive.record.ArticleRecord`, :class:`RawPageData`), never ORM objects or anything of
Scrapy, and keeps the search index in the same transaction as the article.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from archive.db import ArchiveError, make_engine, resolve_db_url
from archive.models import Article, Base, CrawlRun, RawPage
from archive.record import ArticleRecord, Byline
from archive.search import (
    QueryError,
    index_article,
    make_snippet,
    parse_query,
    search_ids,
)

logger = logging.getLogger(__name__)

UpsertOutcome = Literal["new", "updated", "unchanged"]

#: Counters of a crawl that have their own column in ``crawl_runs``.
RUN_COUNTERS = (
    "pages_fetched",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "pages_skipped",
    "errors",
)


@dataclass(slots=True)
class RawPageData:
    """A fetched page as it came over the wire (body uncompressed)."""

    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


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


def _record_of(row: Article) -> ArticleRecord:
    return ArticleRecord(
        url=row.url,
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
        site=row.site,
        authors=list(row.authors or []),
        content_hash=row.content_hash,
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


class Archive:
    """An article archive in one database (SQLite file by default, or PostgreSQL)."""

    def __init__(self, db_url: str | None = None, *, create: bool = True) -> None:
        self.db_url = resolve_db_url(db_url)
        self.engine: Engine = make_engine(self.db_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.create_schema()
        else:
            self._require_schema()

    # -- lifecycle -------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the tables and the search index if they are missing."""
        try:
            Base.metadata.create_all(self.engine)
        except OperationalError as exc:
            raise ArchiveError(
                f"cannot open the archive {self._safe_url()}: {_reason(exc)}"
            ) from None
        except DBAPIError as exc:
            raise ArchiveError(
                f"cannot set up the archive {self._safe_url()}: {_reason(exc)}"
            ) from None

    def _require_schema(self) -> None:
        url = self.engine.url
        missing = f"no archive at {self._safe_url()}: crawl something first (newsarchive demo)"
        on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        if on_disk and not Path(url.database or "").expanduser().is_file():
            raise ArchiveError(missing)
        try:
            tables = set(inspect(self.engine).get_table_names())
        except OperationalError as exc:
            raise ArchiveError(
                f"cannot open the archive {self._safe_url()}: {_reason(exc)}"
            ) from None
        if "articles" not in tables:
            raise ArchiveError(missing)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- writing ---------------------------------------------------------------------------

    def upsert_article(
        self,
        record: ArticleRecord,
        raw: RawPageData | None = None,
        *,
        run_id: int | None = None,
    ) -> UpsertOutcome:
        """Store ``record`` under its canonical URL: insert, update if changed, else leave it.

        An unchanged article (same ``content_hash`` and extractor version) is not rewritten.
        Article, raw page and search index change in one transaction.
        """
        values = _article_values(record)
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
            stmt = (
                insert_fn(Article)
                .values(**values, first_seen_at=now, updated_at=now, crawl_run_id=run_id)
                .on_conflict_do_nothing(index_elements=["url"])
                .returning(Article.id)
            )
            new_id = session.execute(stmt).scalar_one_or_none()
            if new_id is not None:
                index_article(session.connection(), new_id, record.title, record.text)
                if raw is not None:
                    session.add(_raw_row(new_id, raw))
                return "new"
            row = session.execute(select(Article).where(Article.url == record.url)).scalar_one()
            if (
                row.content_hash == record.content_hash
                and row.extractor_version == record.extractor_version
            ):
                return "unchanged"
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now
            row.crawl_run_id = run_id
            session.flush()
            index_article(session.connection(), row.id, record.title, record.text)
            if raw is not None:
                existing = session.execute(
                    select(RawPage).where(RawPage.article_id == row.id)
                ).scalar_one_or_none()
                if existing is not None:
                    session.delete(existing)
                    session.flush()
                session.add(_raw_row(row.id, raw))
            return "updated"

    def start_run(self, start_urls: list[str]) -> int:
        """Record the start of a crawl; returns the run's id."""
        with self._sessions.begin() as session:
            run = CrawlRun(
                started_at=datetime.now(UTC),
                status="running",
                start_urls=list(start_urls),
                stats={},
                **dict.fromkeys(RUN_COUNTERS, 0),
            )
            session.add(run)
            session.flush()
            return run.id

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

    # -- reading ---------------------------------------------------------------------------

    def count_articles(self) -> int:
        with self._sessions() as session:
            return int(session.execute(select(func.count(Article.id))).scalar_one())

    def get_article(self, url: str) -> ArticleRecord | None:
        with self._sessions() as session:
            row = session.execute(select(Article).where(Article.url == url)).scalar_one_or_none()
            return _record_of(row) if row is not None else None

    def iter_articles(self, batch_size: int = 500) -> Iterator[ArticleRecord]:
        """Every article, oldest first, streamed in batches (constant memory)."""
        with self._sessions() as session:
            result = session.execute(
                select(Article).order_by(Article.id).execution_options(yield_per=batch_size)
            )
            for row in result.scalars():
                yield _record_of(row)
                session.expunge(row)

    def get_raw_page(self, url: str) -> RawPageData | None:
        """The stored page of the article at ``url``, decompressed."""
        with self._sessions() as session:
            raw = session.execute(
                select(RawPage).join(Article).where(Article.url == url)
            ).scalar_one_or_none()
            if raw is None:
                return None
            return RawPageData(
                url=raw.fetched_url,
                status=raw.status,
                headers=dict(raw.headers),
                body=zlib.decompress(raw.body),
                fetched_at=raw.fetched_at,
            )

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        with self._sessions() as session:
            rows = session.execute(
                select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
            ).scalars()
            return [
                RunSummary(
                    id=r.id,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    status=r.status,
                    start_urls=list(r.start_urls),
                    counters={key: getattr(r, key) for key in RUN_COUNTERS},
                    stats=dict(r.stats),
                )
                for r in rows
            ]

    def search(self, query: str, *, limit: int = 20) -> list[SearchHit]:
        """Articles matching every word or ``"phrase"`` of ``query``, best first.

        Raises :class:`~archive.search.QueryError` when the query holds nothing searchable.
        """
        if limit < 1:
            raise QueryError("--limit must be at least 1")
        parsed = parse_query(query)
        with self._sessions() as session:
            try:
                matches = search_ids(session.connection(), parsed, limit)
            except SQLAlchemyError as exc:
                raise ArchiveError(f"search failed: {_reason(exc)}") from None
            if not matches:
                return []
            rows = {
                row.id: row
                for row in session.execute(
                    select(Article).where(Article.id.in_([m.article_id for m in matches]))
                ).scalars()
            }
        hits = []
        for match in matches:
            row = rows.get(match.article_id)
            if row is None:  # index row of an article deleted meanwhile
                continue
            hits.append(
                SearchHit(
                    article=_record_of(row),
                    score=round(match.score, 6),
                    snippet=make_snippet(row.text, parsed.terms),
                )
            )
        return hits


def _raw_row(article_id: int, raw: RawPageData) -> RawPage:
    return RawPage(
        article_id=article_id,
        fetched_url=raw.url,
        status=raw.status,
        headers=raw.headers,
        compression="zlib",
        body=zlib.compress(raw.body, 6),
        size=len(raw.body),
        fetched_at=raw.fetched_at,
    )


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
