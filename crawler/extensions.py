"""Crawl extensions: progress reporting.

On a terminal the progress line is redrawn in place; in a pipe or a log file a plain line is
written every ``NEWSARCHIVE_PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.pipelines import run_counters


class ProgressReporter:
    """Writes pages, articles, skips, errors and the page rate while a crawl runs."""

    def __init__(self, crawler: Crawler, interval: float, stream: TextIO) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self.live = stream.isatty()
        self._task: task.LoopingCall | None = None
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressReporter:
        interval = crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, sys.stderr)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self._started = time.monotonic()
        self._task = task.LoopingCall(self.report)
        self._task.start(1.0 if self.live else self.interval, now=False)

    def line(self) -> str:
        assert self.crawler.stats is not None
        counters = run_counters(self.crawler.stats.get_stats())
        elapsed = max(time.monotonic() - self._started, 1e-6)
        return (
            f"{counters['pages_fetched']} pages "
            f"({counters['pages_fetched'] / elapsed:.1f}/s), articles: "
            f"{counters['articles_new']} new, {counters['articles_updated']} updated, "
            f"{counters['articles_unchanged']} unchanged; "
            f"{counters['pages_skipped']} skipped, {counters['errors']} errors"
        )

    def report(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(f"[progress {time.strftime('%H:%M:%S')}] {self.line()}\n")
        self.stream.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
