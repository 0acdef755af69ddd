"""Records and fetches the archive's tests store (imported by the ``test_archive*`` modules)."""

from __future__ import annotations

from datetime import UTC, datetime

from archive.record import ArticleRecord, Byline
from archive.store import PageFetch
from archive.warc import WarcLocation

FETCHED_AT = datetime(2024, 5, 21, 1, 2, 3, tzinfo=UTC)


def make_record(
    url: str = "http://news.example/a/2024/0520/1.html", **changes: object
) -> ArticleRecord:
    """A Chinese article with every field set; ``changes`` override fields."""
    values: dict[str, object] = {
        "url": url,
        "title": "罗湖怎么样",
        "text": "深圳罗湖，改革开放的起点。\n罗湖是肩负责任的。",
        "published_at": "2024-05-20T10:21:00+08:00",
        "bylines": [
            Byline("张一鎏", "reporter"),
            Byline("陈杏花", "correspondent"),
            Byline("李编", "editor"),
        ],
        "source": "南方都市报",
        "section": "互联网",
        "tags": ["罗湖", "深圳"],
        "language": "zh",
        "fetched_at": FETCHED_AT,
        "extractor_version": "test",
    }
    values.update(changes)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def fetch(url: str, offset: int = 0) -> PageFetch:
    """A 200 response whose page sits at ``offset`` of the first WARC file of run 1."""
    return PageFetch(
        url=url,
        status=200,
        fetched_at=FETCHED_AT,
        warc=WarcLocation("newsarchive-run000001-00000.warc.gz", offset, 100),
    )
