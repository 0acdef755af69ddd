"""The item a spider yields for each article page.

It is a plain dataclass (Scrapy handles dataclass items through itemadapter): the extracted
record, whose fields are the project's one vocabulary (``archive.record``), the page as fetched
(which the archive pipeline writes to the run's WARC file), and other URLs of the same article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from archive.prepared import PreparedText
from archive.record import ArticleRecord


@dataclass(slots=True)
class FetchedPage:
    """An HTTP response as it came (Scrapy has already undone any Content-Encoding)."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    request_headers: list[tuple[str, str]] | None = None


@dataclass(slots=True)
class ArticleItem:
    record: ArticleRecord
    page: FetchedPage
    #: Other URLs of the article: the URL that answered when the page names another canonical
    #: URL, and redirect sources.
    aliases: list[str] = field(default_factory=list)
    #: The record's derived values, computed by the extraction worker (the archive uses them
    #: only for the title and text they were computed from).
    prepared: PreparedText | None = None
