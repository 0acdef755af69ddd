"""One set of article filters for search and export: site, source, author, section, profile,
language, and a publication time window.

:class:`ArticleFilter` is a plain value; :meth:`ArticleFilter.clauses` turns it into SQLAlchemy
where-clauses over the ``articles`` table, so that search and export select alike. Each field
takes one value or several (any of them matches); fields combine with AND.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import column, func

from archive.models import Article


class FilterError(ValueError):
    """A filter value that cannot be read; the message says how to write it, in one line."""


def parse_when(value: str, *, end: bool = False) -> datetime:
    """A ``--since``/``--until`` value as an aware UTC instant.

    ``YYYY-MM-DD`` and ``YYYY-MM`` are UTC days and months: as a start they mean their first
    instant, as an end (``end=True``) the first instant after them, so ``--until 2024-05-31``
    includes that day. A full ISO 8601 timestamp is taken as given (UTC when it has no offset).
    """
    raw = value.strip()
    try:
        if len(raw) == 7:
            year, month = int(raw[:4]), int(raw[5:7])
            if raw[4] != "-":
                raise ValueError(raw)
            start = datetime(year, month, 1, tzinfo=UTC)
            if not end:
                return start
            return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if len(raw) == 10:
            day = datetime.combine(date.fromisoformat(raw), time(), UTC)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(
            f"cannot read the date {value!r}: use YYYY-MM-DD, YYYY-MM or an ISO 8601 time"
            " such as 2024-05-20T08:00+08:00"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _values(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(v for v in value if v)


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a search or an export covers; an empty filter covers all.

    Text fields match exactly (``site`` and ``language`` ignoring case); ``author`` matches any
    name in ``authors``. ``since`` is inclusive, ``until`` exclusive, on ``published_at_utc``:
    articles without a known publication time are left out when either is set.
    """

    site: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("site", "source", "author", "section", "profile", "language"):
            values = _values(getattr(self, name))
            if name in ("site", "language"):
                values = tuple(v.lower() for v in values)
            object.__setattr__(self, name, values)
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise FilterError(f"{name}: give an aware datetime (with a time zone)")

    @classmethod
    def from_options(
        cls,
        *,
        site: Iterable[str] = (),
        source: Iterable[str] = (),
        author: Iterable[str] = (),
        section: Iterable[str] = (),
        profile: Iterable[str] = (),
        language: Iterable[str] = (),
        since: str | None = None,
        until: str | None = None,
    ) -> ArticleFilter:
        """A filter from command-line strings; raises :class:`FilterError` on a bad date."""
        return cls(
            site=tuple(site),
            source=tuple(source),
            author=tuple(author),
            section=tuple(section),
            profile=tuple(profile),
            language=tuple(language),
            since=parse_when(since) if since else None,
            until=parse_when(until, end=True) if until else None,
        )

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def clauses(self, dialect: str) -> list[ColumnElement[bool]]:
        """Where-clauses over ``articles`` for ``dialect`` (``sqlite`` or ``postgresql``)."""
        table = Article.__table__
        found: list[ColumnElement[bool]] = []
        if self.site:
            found.append(table.c.site.in_(self.site))
        if self.source:
            found.append(table.c.source.in_(self.source))
        if self.section:
            found.append(table.c.section.in_(self.section))
        if self.profile:
            found.append(table.c.profile.in_(self.profile))
        if self.language:
            found.append(func.lower(table.c.language).in_(self.language))
        if self.author:
            found.append(_has_author(table.c.authors, self.author, dialect))
        if self.since is not None:
            found.append(table.c.published_at_utc >= self.since)
        if self.until is not None:
            found.append(table.c.published_at_utc < self.until)
        return found

    def describe(self) -> str:
        """The filter in words, for messages (``site=a.example, since=2024-05-01...``)."""
        parts = []
        for f in fields(self):
            value: Any = getattr(self, f.name)
            if not value:
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = "|".join(value)
            parts.append(f"{f.name}={value}")
        return ", ".join(parts) or "none"


def _has_author(authors: Any, names: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        as_jsonb = type_coerce(authors, JSONB)
        return or_(*(as_jsonb.contains([name]) for name in names))
    # SQLite: json_each over the JSON list, correlated to the article row.
    each = func.json_each(authors).table_valued(column("value"))
    return select(literal(1, Integer)).select_from(each).where(each.c.value.in_(names)).exists()


__all__ = ["ArticleFilter", "FilterError", "parse_when"]
