"""Crawl extensions: progress reporting, and a CPU profile of the crawl for the benchmark.

On a terminal the progress line is redrawn in place; in a pipe or a log file a plain line is
written every ``NEWSARCHIVE_PROGRESS_INTERVAL`` seconds.
"""

from __future__ import annotations

import cProfile
import os
import sys
import time
from pathlib import Path
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


class CrawlProfiler:
    """Profiles the crawl's reactor thread (CPU time) while the spider is open.

    On with ``NEWSARCHIVE_PROFILE_DIR``: the statistics go to ``crawl-PID.prof`` there (and
    the writer thread's to ``writer-PID.prof``, :class:`crawler.state.CrawlState`);
    ``benchmarks/crawl.py`` reads them to split the threads' time by stage.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # CPU time, not wall time: the reactor's idle waits are not anybody's cost. The thread's
        # own: the writer thread's (crawler/state.py profiles it apart) is not the reactor's.
        self.profiler = cProfile.Profile(time.thread_time)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProfiler:
        folder = crawler.settings.get("NEWSARCHIVE_PROFILE_DIR")
        if not folder:
            raise NotConfigured
        ext = cls(Path(folder))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.profiler.enable()

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.profiler.disable()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.profiler.dump_stats(self.folder / f"crawl-{os.getpid()}.prof")
