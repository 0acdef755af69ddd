"""Plain records and table rows, both ways: the one place that maps the field vocabulary of
:mod:`archive.record` onto the columns of :mod:`archive.models` and back.

Writers (:mod:`archive.articles`, :mod:`archive.importing`) turn an
:class:`~archive.record.ArticleRecord` into column values with :func:`article_values`; readers
(:mod:`archive.reading`) turn ORM rows (:func:`record_of`) or streamed Core rows
(:func:`record_of_row`) back into records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from types import EllipsisType
from typing import Any, Final

import orjson
from sqlalchemy import JSON, Text, type_coerce

from archive.models import Article, ArticleRevision
from archive.record import EXPORT_FIELDS, ArticleRecord, Byline
from archive.textkey import text_key
from archive.warc import WarcLocation


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


#: What a revision keeps: the record's fields that belong to one version of the page (not the
#: article's identity, nor what the archive itself decides).
CONTENT_FIELDS: Final = tuple(
    name
    for name in EXPORT_FIELDS
    if name not in ("url", "site", "profile", "removed_at", "story_id")
)


def article_values(record: ArticleRecord, key: str | EllipsisType | None = ...) -> dict[str, Any]:
    """The ``articles`` columns ``record`` fills (those of a revision: :data:`CONTENT_FIELDS`;
    ``text_key`` is the article's only). ``key``: the record's text key, when the caller has
    it already (else computed here)."""
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
        "text_key": text_key(record.title, record.text) if key is ... else key,
        "extractor_version": record.extractor_version,
    }


def record_of(row: Article | ArticleRevision, url: str | None = None) -> ArticleRecord:
    """The record an ORM row holds; a revision takes its identity from its article."""
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
        story_id=article.story_id,
    )


#: The columns an :class:`ArticleRecord` is built from, read without the ORM (faster exports).
ARTICLE_COLUMNS: Final = (
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
    Article.story_id,
)

#: A revision's content with its article's identity, for ``export --revisions``.
REVISION_COLUMNS: Final = (
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
    Article.story_id,
)


def streamed_columns(columns: tuple[Any, ...], dialect: str) -> list[Any]:
    """``columns`` for a streamed read: SQLite's JSON columns come as their raw text, which
    :func:`record_of_row` decodes with orjson (several times faster than the json module)."""
    if dialect != "sqlite":
        return list(columns)
    return [type_coerce(c, Text).label(c.key) if isinstance(c.type, JSON) else c for c in columns]


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return list(value or [])


def record_of_row(row: Mapping[Any, Any]) -> ArticleRecord:
    """The record a Core row of :data:`ARTICLE_COLUMNS` or :data:`REVISION_COLUMNS` holds."""
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
        story_id=row["story_id"],
    )


def warc_ref(row: ArticleRevision) -> WarcLocation | None:
    """Where a revision's page sits in the WARC files (None: stored without one)."""
    if row.warc_path is None or row.warc_offset is None:
        return None
    return WarcLocation(row.warc_path, row.warc_offset, row.warc_length or 0)


def same_profile(profile: str | None, column: Any) -> Any:
    """``column`` holds ``profile``; a crawl of plain URLs (no profile) is its own profile."""
    return column.is_(None) if profile is None else column == profile
