"""Item pipelines: thin adapters between Scrapy and the archive.

``ValidationPipeline`` drops items that are not worth storing (counted); ``ArchivePipeline``
writes the page to the run's WARC file and hands the record to :class:`archive.store.Archive`.
The archive never sees a Scrapy type.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from archive.db import ArchiveError
from archive.store import PageFetch
from crawler.items import ArticleItem
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


class ValidationPipeline:
    """Drops article items without a title or a body, counting them as skips."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            record = item.record
            reason = None
            if not record.text.strip():
                reason = "empty_text"
            elif not (record.title or "").strip():
                reason = "no_title"
            if reason is not None:
                self.stats.inc_value(f"newsarchive/skipped/{reason}")
                state = getattr(self.crawler.spider, "state", None)
                if state is not None:  # fetched and judged: not to be resumed
                    state.page_done(record.url, kind="other", status=item.page.status, headers={})
                raise DropItem(f"{reason}: {record.url}")
        return item


def run_counters(stats: dict[str, Any]) -> dict[str, int]:
    """The run's headline counters, from Scrapy's and our statistics."""
    return {
        "pages_fetched": int(stats.get("newsarchive/pages_fetched", 0)),
        "articles_new": int(stats.get("newsarchive/articles/new", 0)),
        "articles_updated": int(stats.get("newsarchive/articles/updated", 0)),
        "articles_unchanged": int(stats.get("newsarchive/articles/unchanged", 0)),
        "articles_duplicate": int(stats.get("newsarchive/articles/duplicate", 0)),
        "articles_removed": int(stats.get("newsarchive/articles/removed", 0)),
        "pages_skipped": sum(
            int(v) for k, v in stats.items() if k.startswith("newsarchive/skipped/")
        ),
        "errors": sum(int(v) for k, v in stats.items() if k.startswith("newsarchive/errors/")),
        "bytes_downloaded": int(stats.get("newsarchive/bytes_downloaded", 0)),
    }


class ArchivePipeline:
    """Writes each article's page to the run's WARC file and the article to the archive.

    The crawl's archive connection, run and WARC writer belong to the spider's
    :class:`~crawler.state.CrawlState`; this adapter only hands records over.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def process_item(self, item: Any) -> Any:
        state = getattr(self.crawler.spider, "state", None)
        if not isinstance(item, ArticleItem) or state is None:
            return item
        page = item.page
        try:
            location = state.write_warc(
                page.url,
                page.status,
                _REASONS.get(page.status, "OK"),
                page.headers,
                page.body,
                page.fetched_at,
                page.request_headers,
            )
            with state.clock.timing("archive_write"):
                result = state.archive.upsert_article(
                    item.record,
                    PageFetch(
                        url=page.url, status=page.status, fetched_at=page.fetched_at, warc=location
                    ),
                    run_id=state.run_id,
                    profile=state.profile,
                    aliases=item.aliases,
                )
            validators = {
                name.lower(): value
                for name, value in page.headers
                if name.lower() in ("etag", "last-modified")
            }
            state.health.article(item.record)
            fetched_as = canonicalize_url(page.url)
            state.stored(
                [item.record.url, fetched_as, *item.aliases],
                result,
                status=page.status,
                headers=validators,
            )
        except (ArchiveError, OSError) as exc:
            # The archive is locked for good, or the disk is full: the write was rolled back,
            # and going on would only fail again. Stop the crawl; what is stored stays.
            message = str(exc) if isinstance(exc, ArchiveError) else f"cannot write: {exc}"
            self.stats.inc_value("newsarchive/errors/storage")
            if not self.stats.get_value("newsarchive/storage_error"):
                self.stats.set_value("newsarchive/storage_error", message)
                logger.error("stopping the crawl: %s", message)
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))
            raise DropItem(message) from None
        self.stats.inc_value(f"newsarchive/articles/{result.outcome}")
        logger.debug("%s article: %s", result.outcome, item.record.url)
        return item


_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}
