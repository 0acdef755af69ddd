"""SQLAlchemy 2 models of the archive.

Column names follow the field vocabulary of :mod:`archive.record`. Datetimes are stored in UTC and
always come back timezone-aware (:class:`UTCDateTime`), on SQLite too. The full-text index is
dialect-specific DDL attached to the metadata (see :mod:`archive.search`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
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
    """The latest extracted version of one article, one row per canonical URL."""

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
    content_hash: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))

    raw_page: Mapped[RawPage | None] = relationship(
        back_populates="article", cascade="all, delete-orphan", uselist=False
    )


class RawPage(Base):
    """The page an article was extracted from: compressed body and response headers."""

    __tablename__ = "raw_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    #: The URL that answered (after redirects); may differ from the article's canonical URL.
    fetched_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    #: ``zlib`` for now; named so that another codec can be added without guessing.
    compression: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)

    article: Mapped[Article] = relationship(back_populates="raw_page")


class CrawlRun(Base):
    """One crawl: when, of what, how it ended, and its statistics."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ``running``, ``finished``, ``failed`` or ``interrupted``.
    status: Mapped[str] = mapped_column(String(16))
    start_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    pages_skipped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    #: Every counter of the run (skips by reason, errors by kind, ...).
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
