"""Item pipelines: thin adapters between Scrapy and the archive.

``ValidationPipeline`` drops items that are not worth storing (counted); ``ArchivePipeline``
writes the page to the run's WARC file and hands the record to the crawl's
:class:`~crawler.state.CrawlState`, which stores articles in batches. The archive never sees a
Scrapy type.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from archive.db import ArchiveError
from archive.store import PageFetch
from crawler.items import ArticleItem
from crawler.state import DEFAULT_WRITE_INTERVAL, CrawlState, StoredArticle
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
    """Writes each article's page to the run's WARC file and queues the article for the
    archive, in batches (:meth:`CrawlState.store_article`).

    The crawl's archive connection, run and WARC writer belong to the spider's
    :class:`~crawler.state.CrawlState`; this adapter hands records over, sends what waits to the
    state's writer thread (:meth:`CrawlState.submit`) when a batch is full, every
    ``NEWSARCHIVE_WRITE_INTERVAL`` seconds (a Twisted ``LoopingCall``) and when the spider
    closes, and counts the outcomes in the crawl's statistics as their batches are committed.
    A page's WARC record is written before its article's batch commits, as the article row
    points into the WARC file.

    One batch is in flight at a time, so that batches commit in the order they were taken.
    While it is, the next batch fills; when that one is full too, items wait for the write
    (``process_item`` awaits it), which holds Scrapy's downloads back: memory stays bounded
    when the archive is slower than the crawl.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interval = max(
            0.0, crawler.settings.getfloat("NEWSARCHIVE_WRITE_INTERVAL", DEFAULT_WRITE_INTERVAL)
        )
        self._timer: LoopingCall | None = None
        #: The batch being written in the writer thread, if any (never fails: see
        #: :meth:`_write_failed`).
        self._writing: Deferred[Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def _state(self) -> CrawlState | None:
        return getattr(self.crawler.spider, "state", None)

    def open_spider(self) -> None:
        if self.interval > 0:
            self._timer = LoopingCall(self.flush)
            self._timer.start(self.interval, now=False)

    async def close_spider(self) -> None:
        """Runs before the spider's ``spider_closed`` handler records the run, so the counters
        it records include the last batch: waits for the batch in flight, writes the rest."""
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self._writing is not None:
            await maybe_deferred_to_future(self._writing)
        state = self._state()
        if state is not None and state.waiting_articles and state.write_error is None:
            writing = self.flush()
            if writing is not None:
                await maybe_deferred_to_future(writing)

    def flush(self) -> Deferred[Any] | None:
        """Send the articles waiting for their batch to the writer (never raises, nor fails:
        the timer calls it, and waits for the returned Deferred)."""
        state = self._state()
        if state is None:
            return None
        if state.write_error is not None:  # the crawl stops; reported once
            if not self.stats.get_value("newsarchive/storage_error"):
                self._storage_failed(state.write_error)
            return None
        if not state.waiting_articles or self._writing is not None:
            state.flush_frontier()
            return None  # a batch in flight: the next one waits for it (commit order)
        if not state.writes_in_thread:
            self._flush_here(state)
            return None
        writes = state.take_batch()
        writing: Deferred[Any] = _deferred(state.submit(state.write_articles, writes))
        writing.addCallbacks(self._written, self._write_failed, callbackArgs=(state,))
        self._writing = writing
        return writing

    def _flush_here(self, state: CrawlState) -> None:
        try:
            stored = state.flush_articles()
        except (ArchiveError, OSError) as exc:
            self._storage_failed(exc)
            return
        self._count(stored)

    def _written(self, stored: list[StoredArticle], state: CrawlState) -> None:
        self._writing = None
        state.articles_written(stored)
        self._count(stored)
        if state.batch_due:
            self.flush()

    def _write_failed(self, failure: Failure) -> None:
        self._writing = None
        exc = failure.value
        if not isinstance(exc, (ArchiveError, OSError)):
            logger.error("the article write failed: %s", failure.getTraceback())
            exc = ArchiveError(f"the article write failed: {exc!r}")
        self._storage_failed(exc)

    async def process_item(self, item: Any) -> Any:
        state = self._state()
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
            validators = {
                name.lower(): value
                for name, value in page.headers
                if name.lower() in ("etag", "last-modified")
            }
            stored = state.store_article(
                item.record,
                PageFetch(
                    url=page.url, status=page.status, fetched_at=page.fetched_at, warc=location
                ),
                aliases=item.aliases,
                urls=[item.record.url, canonicalize_url(page.url), *item.aliases],
                status=page.status,
                headers=validators,
                flush=not state.writes_in_thread,
                prepared=item.prepared,
            )
        except (ArchiveError, OSError) as exc:
            raise DropItem(self._storage_failed(exc)) from None
        self._count(stored)
        if state.batch_due:
            self.flush()
            # A batch in flight and the next one full: wait for the writer (back-pressure).
            writing = self._writing
            if writing is not None and state.waiting_articles >= 2 * state.write_batch:
                await maybe_deferred_to_future(writing)
        return item

    def _count(self, stored: list[StoredArticle]) -> None:
        for article in stored:
            if article.result is not None:
                self.stats.inc_value(f"newsarchive/articles/{article.result.outcome}")
                logger.debug("%s article: %s", article.result.outcome, article.record.url)
            else:
                self.stats.inc_value("newsarchive/skipped/refused")
                logger.warning("skipped (refused): %s: %s", article.record.url, article.refused)

    def _storage_failed(self, exc: ArchiveError | OSError) -> str:
        """The archive is locked for good, or the disk is full: the write was rolled back
        (its pages stay pending), and going on would only fail again. Stop the crawl; what is
        stored stays."""
        message = str(exc) if isinstance(exc, ArchiveError) else f"cannot write: {exc}"
        self.stats.inc_value("newsarchive/errors/storage")
        if not self.stats.get_value("newsarchive/storage_error"):
            self.stats.set_value("newsarchive/storage_error", message)
            logger.error("stopping the crawl: %s", message)
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))
        return message


_T = TypeVar("_T")


def _deferred(future: Future[_T]) -> Deferred[_T]:
    """A Deferred that fires on the reactor's thread when ``future`` (of the writer thread)
    is done."""
    from twisted.internet import reactor  # the one Scrapy installed (not at import time)

    result: Deferred[_T] = Deferred()

    def fire(done: Future[_T]) -> None:
        exc = done.exception()
        if exc is not None:
            result.errback(exc)
        else:
            result.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return result


_REASONS = {200: "OK", 203: "Non-Authoritative Information", 206: "Partial Content"}
