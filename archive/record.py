"""The article record: the one field vocabulary shared by items, tables and JSONL.

Every stage speaks in these names. The extractor returns an :class:`ArticleRecord`, the crawler's
item carries its fields, the ``articles`` table has a column per field and the JSONL export writes
:meth:`ArticleRecord.to_json_dict`. ``README.md`` documents the fields once; a test holds the
export to :data:`EXPORT_FIELDS`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

Role = Literal[
    "author",
    "reporter",
    "correspondent",
    "compiler",
    "issuer",
    "translator",
    "editor",
    "photographer",
]

#: Byline roles, in the order they are listed (README.md, "Fields", has what each means).
ROLES: Final[tuple[Role, ...]] = get_args(Role)

#: Roles whose people are credited for the writing and therefore listed in ``authors``: a
#: compiler (编译) wrote the text from foreign sources, an issuer (发文机关) is the office
#: that issued a government document; a translator (译者) rendered someone else's text and
#: is a byline only.
WRITING_ROLES: Final[frozenset[str]] = frozenset(
    {"author", "reporter", "correspondent", "compiler", "issuer"}
)

#: The JSONL export's keys, in the order they are written.
EXPORT_FIELDS: Final[tuple[str, ...]] = (
    "url",
    "title",
    "text",
    "published_at",
    "authors",
    "bylines",
    "source",
    "section",
    "tags",
    "language",
    "site",
    "fetched_at",
    "content_hash",
    "extractor_version",
    "profile",
    "removed_at",
    "story_id",
)

#: Fields that are lists: always present in an export, possibly empty.
LIST_FIELDS: Final[frozenset[str]] = frozenset({"authors", "bylines", "tags"})


@dataclass(frozen=True, slots=True)
class Byline:
    """One person credited on the page, with what they did."""

    name: str
    role: Role

    def to_json_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


def content_hash(title: str | None, text: str) -> str:
    """SHA-256 of the NFC-normalised title, a newline and the text (hex)."""
    data = unicodedata.normalize("NFC", title or "") + "\n" + unicodedata.normalize("NFC", text)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def site_of(url: str) -> str:
    """The host of ``url`` (with its port when it has one), lower-cased."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def authors_from_bylines(bylines: list[Byline]) -> list[str]:
    """Names credited for the writing, in byline order, without repeats."""
    seen: list[str] = []
    for byline in bylines:
        if byline.role in WRITING_ROLES and byline.name not in seen:
            seen.append(byline.name)
    return seen


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``-free ``+00:00`` offset, to the second."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the archive stores aware datetimes only")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class ArticleRecord:
    """One extracted article. See the field table in README.md.

    ``published_at`` is a string because a page may show only a day: ``YYYY-MM-DD`` then, or a
    full ISO 8601 timestamp with its offset when the page shows a time.
    """

    url: str
    title: str | None
    text: str
    published_at: str | None = None
    bylines: list[Byline] = field(default_factory=list)
    source: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    extractor_version: str = ""
    site: str = ""
    authors: list[str] = field(default_factory=list)
    content_hash: str = ""
    #: The site profile whose crawl found the article (None for a crawl of plain URLs).
    profile: str | None = None
    #: When a recheck found the article gone (404 or 410); it is kept, never deleted.
    removed_at: datetime | None = None
    #: The story the article belongs to, with its copies on other sites (the id of the story's
    #: first archived article, see ``archive/stories.py``); the archive sets it, None before.
    story_id: int | None = None

    def __post_init__(self) -> None:
        if not self.site:
            self.site = site_of(self.url)
        if not self.authors:
            self.authors = authors_from_bylines(self.bylines)
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.text)

    def to_json_dict(self) -> dict[str, Any]:
        """The export record: exactly :data:`EXPORT_FIELDS`, in that order."""
        return {
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "published_at": self.published_at,
            "authors": list(self.authors),
            "bylines": [b.to_json_dict() for b in self.bylines],
            "source": self.source,
            "section": self.section,
            "tags": list(self.tags),
            "language": self.language,
            "site": self.site,
            "fetched_at": format_utc(self.fetched_at),
            "content_hash": self.content_hash,
            "extractor_version": self.extractor_version,
            "profile": self.profile,
            "removed_at": format_utc(self.removed_at) if self.removed_at else None,
            "story_id": self.story_id,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ArticleRecord:
        """Inverse of :meth:`to_json_dict` (also accepts an export line with extra keys).

        ``story_id`` is read as written; an archive that imports the record places it in a
        story of its own numbering."""
        bylines = [Byline(name=b["name"], role=b["role"]) for b in data.get("bylines") or []]
        fetched = data.get("fetched_at")
        return cls(
            url=data["url"],
            title=data.get("title"),
            text=data.get("text") or "",
            published_at=data.get("published_at"),
            bylines=bylines,
            source=data.get("source"),
            section=data.get("section"),
            tags=list(data.get("tags") or []),
            language=data.get("language"),
            fetched_at=datetime.fromisoformat(fetched) if fetched else datetime.now(UTC),
            extractor_version=data.get("extractor_version") or "",
            site=data.get("site") or "",
            authors=list(data.get("authors") or []),
            content_hash=data.get("content_hash") or "",
            profile=data.get("profile"),
            removed_at=datetime.fromisoformat(removed)
            if (removed := data.get("removed_at"))
            else None,
            story_id=data.get("story_id"),
        )
