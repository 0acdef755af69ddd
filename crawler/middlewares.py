"""Downloader middlewares of the newsarchive project."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached


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


class SharedPolitenessMiddleware:
    """One politeness budget per host for every worker of a distributed crawl.

    Before a request goes out, it takes one of the host's ``CONCURRENT_REQUESTS_PER_DOMAIN``
    slots, no sooner than ``NEWSARCHIVE_HOST_DELAY`` seconds after the previous start by any
    worker (:class:`crawler.distributed.HostBudget`: Redis when ``NEWSARCHIVE_REDIS_URL`` is
    set, else the archive's PostgreSQL; too early, it sleeps until then and asks again), and
    gives the slot back when the response (or the error) comes. So two workers never fetch one
    host faster than one would. A slot taken by a worker that dies is freed after
    ``DOWNLOAD_TIMEOUT`` plus 30 s. Off (``NotConfigured``) unless
    ``NEWSARCHIVE_SHARED_POLITENESS`` is on, which ``newsarchive worker`` sets:
    ``newsarchive crawl`` keeps Scrapy's per-process politeness and needs no server.

    Placed last before the download (950), so that redirects and retries, which come back
    through the chain as new requests, each take a slot too.
    """

    #: Seconds between two tries when every slot of the host is taken (a slot this worker
    #: gives back wakes its waiting requests at once; this is for the other workers' slots).
    POLL = 0.1
    #: Shared delays below this are none.
    MIN_DELAY = 0.01

    def __init__(self, crawler: Crawler, budget: Any, holder_prefix: str) -> None:
        from crawler.distributed import coordination_clock

        self.crawler = crawler
        self.budget = budget
        self.holder_prefix = holder_prefix
        self.clock = coordination_clock(crawler)
        self._sequence = 0
        #: Per host, set when this worker gives a slot back: its waiting requests try again.
        self._freed: dict[str, asyncio.Event] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_SHARED_POLITENESS"):
            raise NotConfigured
        from archive.db import make_engine, resolve_db_url
        from crawler.distributed import ArchiveHostBudget, RedisHostBudget, default_worker_id

        concurrency = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 1))
        delay = max(0.0, settings.getfloat("NEWSARCHIVE_HOST_DELAY", 0.0))
        if delay < cls.MIN_DELAY:
            # settings.py's 1 ms DOWNLOAD_DELAY works around Scrapy's dispatch; it is no
            # politeness, and as a shared delay it made most requests ask twice.
            delay = 0.0
        ttl = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0) + 30.0
        redis_url = settings.get("NEWSARCHIVE_REDIS_URL")
        budget: Any
        if redis_url:
            budget = RedisHostBudget(
                redis_url,
                prefix=settings.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive:"),
                concurrency=concurrency,
                delay=delay,
                ttl=ttl,
            )
        else:
            engine = make_engine(resolve_db_url(settings.get("NEWSARCHIVE_DB") or None))
            budget = ArchiveHostBudget(engine, concurrency=concurrency, delay=delay, ttl=ttl)
        holder = settings.get("NEWSARCHIVE_WORKER_ID") or default_worker_id()
        middleware = cls(crawler, budget, holder)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        self._sequence += 1
        holder = f"{self.holder_prefix}:{self._sequence}"
        while True:
            with self.clock.call("politeness"):
                wait = await self.budget.acquire(host, holder)
            if wait == 0:
                break
            if wait is not None:  # too early: the host's next start is allowed in ``wait`` s
                await asyncio.sleep(wait)
                continue
            # Every slot taken: one of ours given back wakes us, the other workers' are polled
            # (with jitter, so that the workers' tries spread).
            freed = self._freed.setdefault(host, asyncio.Event())
            jitter = self.POLL * (0.5 + random.random())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(freed.wait(), timeout=jitter)
        request.meta[_SLOT_HOLDER] = (host, holder)

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._release(request)

    async def _release(self, request: Request) -> None:
        slot = request.meta.pop(_SLOT_HOLDER, None)
        if slot is not None:
            with self.clock.call("politeness"):
                await self.budget.release(*slot)
            freed = self._freed.pop(slot[0], None)
            if freed is not None:
                freed.set()

    async def spider_closed(self, spider: Any) -> None:
        await self.budget.close()


#: Request meta: (host, holder) of the slot a request holds (SharedPolitenessMiddleware).
_SLOT_HOLDER = "na_host_slot"
