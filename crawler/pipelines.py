"""Item pipelines: thin adapters between Scrapy and the archive.

``ValidationPipeline`` drops items that are not worth storing (counted); ``ArchivePipeline``
hands each record to :class:`archive.store.Archive` and records the crawl run with its
statistics. The archive never sees a Scrapy type.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from archive.db import ArchiveError, resolve_db_url
from archive.store import Archive
from crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class ValidationPipeline:
    """Drops article items without a title or a body, counting them as skips."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            record = item.record
            if not record.text.strip():
                self.stats.inc_value("newsarchive/skipped/empty_text")
                raise DropItem(f"no article text: {record.url}")
            if not (record.title or "").strip():
                self.stats.inc_value("newsarchive/skipped/no_title")
                raise DropItem(f"no title: {record.url}")
        return item


def run_counters(stats: dict[str, Any]) -> dict[str, int]:
    """The run's headline counters, from Scrapy's and our statistics."""
    return {
        "pages_fetched": int(stats.get("newsarchive/pages_fetched", 0)),
        "articles_new": int(stats.get("newsarchive/articles/new", 0)),
        "articles_updated": int(stats.get("newsarchive/articles/updated", 0)),
        "articles_unchanged": int(stats.get("newsarchive/articles/unchanged", 0)),
        "pages_skipped": sum(
            int(v) for k, v in stats.items() if k.startswith("newsarchive/skipped/")
        ),
        "errors": sum(int(v) for k, v in stats.items() if k.startswith("newsarchive/errors/")),
    }


class ArchivePipeline:
    """Stores article items in the archive and records the crawl run."""

    def __init__(self, crawler: Crawler, db_url: str) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.archive: Archive | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler, resolve_db_url(crawler.settings.get("NEWSARCHIVE_DB") or None))

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def open_spider(self) -> None:
        # Opened here, not in __init__: the database is the crawl's resource, not the process's.
        self.archive = Archive(self.db_url)
        spider = self.crawler.spider
        start_urls = list(getattr(spider, "start_urls", []) or [])
        self.run_id = self.archive.start_run(start_urls)
        self.stats.set_value("newsarchive/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or self.archive is None:
            return item
        try:
            outcome = self.archive.upsert_article(item.record, item.raw, run_id=self.run_id)
        except ArchiveError as exc:
            self.stats.inc_value("newsarchive/errors/storage")
            logger.error("could not store %s: %s", item.record.url, exc)
            raise DropItem(str(exc)) from None
        self.stats.inc_value(f"newsarchive/articles/{outcome}")
        logger.debug("%s article: %s", outcome, item.record.url)
        return item

    def close_spider(self) -> None:
        if self.archive is None or self.run_id is None:
            return
        stats = self.stats.get_stats()
        reason = str(stats.get("finish_reason", "finished"))
        status = "finished" if reason in ("finished", "closespider_pagecount") else reason
        if not stats.get("newsarchive/start_urls_fetched"):
            status = "failed"
        try:
            self.archive.finish_run(self.run_id, status, run_counters(stats), stats)
        finally:
            self.archive.close()
