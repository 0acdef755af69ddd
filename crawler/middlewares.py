"""Downloader middlewares of the newsarchive project."""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response


class PageLimitReached(IgnoreRequest):
    """The crawl's page limit is reached; the request was not sent."""


class PageLimitMiddleware:
    """Sends at most ``NEWSARCHIVE_MAX_PAGES`` page requests (robots.txt not counted).

    Scrapy's ``CLOSESPIDER_PAGECOUNT`` closes the spider once enough responses arrived, but the
    requests already in flight still land; this stops them from being sent at all, so that
    ``--max-pages N`` fetches at most N pages.
    """

    def __init__(self, crawler: Crawler, max_pages: int) -> None:
        self.crawler = crawler
        self.max_pages = max_pages
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageLimitMiddleware:
        max_pages = crawler.settings.getint("NEWSARCHIVE_MAX_PAGES")
        if max_pages <= 0:
            raise NotConfigured
        middleware = cls(crawler, max_pages)
        crawler.signals.connect(middleware.request_dropped, signal=signals.request_dropped)
        return middleware

    def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt"):  # Scrapy's own robots.txt request
            return
        if self.sent >= self.max_pages:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsarchive/page_limit_dropped")
            raise PageLimitReached(f"page limit of {self.max_pages} reached")
        self.sent += 1

    def request_dropped(self, request: Request, spider: Any) -> None:
        """A request the scheduler refused never reached us; nothing to undo."""

    def process_response(self, request: Request, response: Response) -> Response:
        return response
