"""SQLAlchemy 2 models of the archive.

Column names follow the field vocabulary of :mod:`archive.record`. Datetimes are stored in UTC and
always come back timezone-aware (:class:`UTCDateTime`), on SQLite too. The full-text index is
dialect-specific DDL attached to the metadata (see :mod:`archive.search`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite gives back naive values, which this re-labels."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the archive stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    """The latest version of one article, one row per canonical URL.

    Earlier versions are in ``article_revisions``; other URLs of the same article in
    ``article_aliases``.
    """

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    site: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    #: As the page shows it: ``YYYY-MM-DD`` or a full ISO 8601 timestamp with offset.
    published_at: Mapped[str | None] = mapped_column(String(40))
    #: ``published_at`` as a UTC instant (a bare day counts from its midnight UTC), for sorting.
    published_at_utc: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    authors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    bylines: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    source: Mapped[str | None] = mapped_column(String(255))
    section: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: The body's key whatever its headline and page furniture (:func:`archive.textkey.text_key`;
    #: None for a text too short to tell pages apart); derived, so not exported.
    text_key: Mapped[str | None] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(32))
    profile: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Set when a recheck answered 404 or 410. Removed articles are kept, never deleted.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Number of the latest revision (1 for an article never changed).
    revision: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    #: The change counter's value when this row last changed (see :class:`ChangeCounter`).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)
    #: The story the article is a copy in: the id of the story's first archived article
    #: (:mod:`archive.stories`). Set in the article's transaction; None only inside it.
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)

    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleRevision.revision"
    )


class StoryBand(Base):
    """One band of an article's MinHash signature, hashed into a bucket: articles that share
    a bucket are candidate copies of one story (:mod:`archive.stories`)."""

    __tablename__ = "story_bands"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    #: A signed 64-bit hash of the band's number and values.
    bucket: Mapped[int] = mapped_column(BigInteger, index=True)


class ArticleRevision(Base):
    """One version of an article as it was fetched, with where its page sits in the WARC files."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(String(40))
    authors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    bylines: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    source: Mapped[str | None] = mapped_column(String(255))
    section: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(32))
    #: The URL that answered (after redirects); may differ from the article's canonical URL.
    fetched_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    #: The page's response record: WARC file (relative to the archive's WARC folder) and offset.
    warc_path: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The change counter's value when this version was stored.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)

    article: Mapped[Article] = relationship(back_populates="revisions")


class ArticleAlias(Base):
    """Another URL of an archived article: a tracking variant, a canonical link's source, a copy."""

    __tablename__ = "article_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    #: ``canonical_link``, ``redirect`` or ``same_text``.
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Page(Base):
    """What the crawler knows of one URL: the frontier and the state for conditional requests.

    A URL is ``pending`` from when a crawl queues it until its response is handled, so that a
    crawl killed mid-way resumes from the database rather than from Scrapy's JOBDIR.
    """

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    profile: Mapped[str | None] = mapped_column(String(64), index=True)
    #: ``article``, ``listing``, ``feed``, ``sitemap`` or ``other`` (what it turned out to be).
    kind: Mapped[str] = mapped_column(String(16))
    #: ``pending``, ``done`` or ``failed``.
    state: Mapped[str] = mapped_column(String(16), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When a known article is due to be fetched again.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    #: The worker (``newsarchive worker``) that holds this pending page, until
    #: ``lease_expires_at``; an expired lease makes the page claimable again (a worker killed
    #: with ``kill -9`` loses nothing). Both None outside distributed crawls.
    claimed_by: Mapped[str | None] = mapped_column(String(128), index=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Workers claim a profile's pending pages in queue order (added by migration 0007_workers).
Index("ix_pages_profile_state_id", Page.profile, Page.state, Page.id)


class Worker(Base):
    """One ``newsarchive worker`` process of a distributed crawl: who it is, what it holds.

    Written by the worker itself (registration, heartbeats); ``newsarchive workers`` reads it.
    A worker whose heartbeat is older than its lease is dead: its pages come back to the queue
    when their leases expire, whatever this row says.
    """

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(64), index=True)
    #: The worker's own crawl run (each worker records its run, statistics and WARC files).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: ``starting``, ``crawling``, ``waiting`` (queue empty, others still busy), ``stopped``.
    state: Mapped[str] = mapped_column(String(16))
    pages_claimed: Mapped[int] = mapped_column(Integer, default=0)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    current_url: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DistributedCrawl(Base):
    """The distributed crawl of a profile in progress (or the last one): when it was seeded.

    A page fetched since ``started_at`` is not queued again by a worker that finds its link
    (each worker only remembers its own requests); one fetched before is (a new round).
    """

    __tablename__ = "distributed_crawls"

    profile: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seeded_by: Mapped[str] = mapped_column(String(128))
    #: Set by the worker that found the queue empty with no live lease; the next worker seeds.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HostSlot(Base):
    """A request in flight to ``host`` by a worker, until ``expires_at`` (PostgreSQL politeness,
    when no Redis is given): at most the host's concurrency of live rows, across all workers."""

    __tablename__ = "host_slots"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(160), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HostPace(Base):
    """When the next request to ``host`` may start, across all workers (PostgreSQL politeness)."""

    __tablename__ = "host_pace"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    """One crawl: when, of what, how it ended, and its statistics."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``running``, ``finished``, ``failed``, ``interrupted`` or Scrapy's close reason.
    status: Mapped[str] = mapped_column(String(32))
    profile: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The process that ran the crawl, so that a killed run can be told from a running one.
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(255))
    start_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    articles_removed: Mapped[int] = mapped_column(Integer, default=0)
    pages_skipped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bytes_downloaded: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Every counter of the run (skips by reason, errors by kind, ...).
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RunSiteHealth(Base):
    """What one crawl run saw of one site: how many articles, how many with each field.

    Counted as the crawl goes and written when it ends (see :mod:`archive.health`); a share
    that falls from one run to the next points at a changed template.
    """

    __tablename__ = "run_site_health"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: Responses from the site (any status, robots.txt aside), and how many of them were 304.
    pages: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    #: Article records the run extracted (new, updated, unchanged or duplicate alike).
    articles: Mapped[int] = mapped_column(Integer, default=0)
    with_author: Mapped[int] = mapped_column(Integer, default=0)
    with_date: Mapped[int] = mapped_column(Integer, default=0)
    with_source: Mapped[int] = mapped_column(Integer, default=0)
    with_section: Mapped[int] = mapped_column(Integer, default=0)
    #: Median length of those articles' text, in characters (None without articles).
    median_text_chars: Mapped[int | None] = mapped_column(Integer)
    #: Known articles seen but not read: answered 304, or linked and not due for a recheck.
    known_unchanged: Mapped[int] = mapped_column(Integer, default=0)


# Exports read "what changed since" from updated_at (added by migration 0002_search_export).
Index("ix_articles_updated_at", Article.updated_at)
# A page's text is looked up among its site's articles (added by migration 0004_text_key).
Index("ix_articles_site_text_key", Article.site, Article.text_key)


class ChangeCounter(Base):
    """One row, one number: bumped by every transaction that changes articles, which stamps
    its rows with the new value.

    The row is locked from the bump to the commit (SQLite: the write lock; PostgreSQL: the row
    lock), so values are handed out in commit order: an export that reads the counter in the
    same statement as its rows has seen every change up to that value and none after, and
    ``--since-last`` resumes from it exactly, whatever was in flight at the time. A timestamp
    taken before a commit cannot promise that.
    """

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


event.listen(
    ChangeCounter.__table__,
    "after_create",
    DDL("INSERT INTO change_counter (id, seq) VALUES (1, 0)"),  # type: ignore[no-untyped-call]
)


class ExportCursor(Base):
    """Where the previous export of a name stopped, for ``export --since-last NAME``."""

    __tablename__ = "export_cursors"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The change counter's value the previous export had seen (None: a cursor of a release
    #: before migration 0003, read as ``cursor_at``).
    cursor_seq: Mapped[int | None] = mapped_column(BigInteger)
    #: When the previous export started (articles changed at or after it, for an old cursor).
    cursor_at: Mapped[datetime] = mapped_column(UTCDateTime)
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    output: Mapped[str | None] = mapped_column(Text)
