"""A pipeline for tests: it ends the process abruptly, as ``kill -9`` would, at the N-th item.

Placed before :class:`crawler.pipelines.ArchivePipeline`, it stops the crawl in the window
between the spider's parse of an article and the archive's write of it.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.crawler import Crawler


class CrashPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.after = crawler.settings.getint("CRASH_AFTER_ITEMS", 5)
        self.seen = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrashPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        self.seen += 1
        if self.seen >= self.after:
            os._exit(137)  # no cleanup, no close signal: what a kill -9 leaves behind
        return item
