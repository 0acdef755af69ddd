"""One crawl, N workers: the shared frontier a ``newsarchive worker`` process crawls from.

Each worker is an ordinary crawl of a profile (the spider, the pipelines, its own run and WARC
files) whose pages come from the archive's frontier in PostgreSQL instead of its own queue:

- the first worker to find no crawl of the profile in progress seeds it (start pages, feeds,
  sitemaps, articles due), the others join it (:func:`archive.workers.join_crawl`);
- the spider *offers* every page it finds (:meth:`WorkerFrontier.offer`), and
  :class:`WorkerFrontier` *claims* a few pending pages at a time under a lease whenever the
  process has room, and turns them into requests (``NewsSpider.claimed_requests``);
- a heartbeat renews the leases of the pages it still holds and records what it is doing in
  the ``workers`` table; a page whose worker was killed comes back when its lease expires;
- when the queue has been empty, with no page leased anywhere, for a grace period, the crawl
  is over: the worker ends it and stops; a clean stop gives back what it holds.

Politeness across workers (one budget per host) is :class:`HostBudget`, used by
``crawler.middlewares.SharedPolitenessMiddleware``: in Redis when ``--redis`` is given
(:class:`RedisHostBudget`, one Lua script per request), else in PostgreSQL
(:class:`ArchiveHostBudget`).

Every call that coordinates workers (claims, heartbeats, queue checks, host slots) is counted
and timed in :class:`CoordinationClock`, saved in the run's statistics
(``newsarchive/coordination/...``), which ``benchmarks/workers.py`` reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from archive import frontier, workers
from archive.db import ArchiveError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.spiders.news import NewsSpider
    from crawler.state import CrawlState

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds between two looks at the process's load, when it has room or is waiting.
_TICK = 0.05
#: Seconds between claims that found nothing (others hold the last pages).
_EMPTY_WAIT = 0.5
#: Seconds before claiming again after a claim that got fewer pages than it asked for.
_SHORT_QUEUE_WAIT = 0.2


def default_worker_id() -> str:
    """``HOST-PID-XXXX``: unique across machines and restarts, readable in ``workers``."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


class CoordinationClock:
    """Calls that coordinate workers, by kind, and the wall seconds they took."""

    def __init__(self) -> None:
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def call(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.calls[kind] += 1
            self.seconds[kind] += time.perf_counter() - started

    def stats(self) -> dict[str, float]:
        """``newsarchive/coordination/<kind>/calls`` and ``.../seconds``, and their totals."""
        values: dict[str, float] = {}
        for kind, calls in self.calls.items():
            values[f"newsarchive/coordination/{kind}/calls"] = calls
            values[f"newsarchive/coordination/{kind}/seconds"] = round(self.seconds[kind], 4)
        values["newsarchive/coordination/calls"] = sum(self.calls.values())
        values["newsarchive/coordination/seconds"] = round(sum(self.seconds.values()), 4)
        return values


def coordination_clock(crawler: Crawler) -> CoordinationClock:
    """The crawl's one clock, shared by the frontier and the politeness middleware."""
    clock = getattr(crawler, "_newsarchive_coordination", None)
    if clock is None:
        clock = CoordinationClock()
        crawler._newsarchive_coordination = clock  # type: ignore[attr-defined]
    return clock


class WorkerFrontier:
    """The shared frontier, as one worker process sees it (see the module's docstring)."""

    def __init__(
        self,
        crawler: Crawler,
        spider: NewsSpider,
        *,
        worker_id: str,
        lease_seconds: float,
        claim_size: int,
        grace_seconds: float,
    ) -> None:
        self.crawler = crawler
        self.spider = spider
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.claim_size = claim_size
        self.grace_seconds = grace_seconds
        #: Requests this process keeps busy at most (downloading, queued, being extracted).
        self.room = max(1, crawler.settings.getint("CONCURRENT_REQUESTS", 16))
        self.clock = coordination_clock(crawler)
        self.state: CrawlState | None = None
        self.profile = ""
        self.crawl_started_at: Any = None
        #: Ids of the pages claimed and maybe not handled yet (the heartbeat prunes them).
        self.held: set[int] = set()
        self.finished = False
        self.status = "starting"
        self.current_url: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        #: Set when this process offers new pages: the claiming loop's waits end at once
        #: (another worker's pages are seen at its next look, within _SHORT_QUEUE_WAIT or
        #: _EMPTY_WAIT).
        self._offered = asyncio.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler, spider: NewsSpider) -> WorkerFrontier:
        """Built by the spider when ``NEWSARCHIVE_WORKER_ID`` is set (``newsarchive worker``).

        The host's delay becomes the shared budget's (``NEWSARCHIVE_HOST_DELAY``, applied by
        ``SharedPolitenessMiddleware`` across workers); Scrapy's own per-process delay drops to
        its floor, or each worker would wait it again on top.
        """
        settings = crawler.settings
        delay = settings.getfloat("DOWNLOAD_DELAY")
        if settings.getfloat("NEWSARCHIVE_HOST_DELAY", -1.0) < 0:
            settings.set("NEWSARCHIVE_HOST_DELAY", delay, priority="spider")
        settings.set("DOWNLOAD_DELAY", 0.001, priority="spider")
        settings.set("RANDOMIZE_DOWNLOAD_DELAY", False, priority="spider")
        settings.set("NEWSARCHIVE_SHARED_POLITENESS", True, priority="spider")
        frontier = cls(
            crawler,
            spider,
            worker_id=settings.get("NEWSARCHIVE_WORKER_ID"),
            lease_seconds=settings.getfloat("NEWSARCHIVE_LEASE_SECONDS", 60.0),
            claim_size=max(1, settings.getint("NEWSARCHIVE_CLAIM_SIZE", 8)),
            grace_seconds=settings.getfloat("NEWSARCHIVE_WORKER_GRACE", 3.0),
        )
        crawler.signals.connect(frontier._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(frontier._on_response, signal=signals.response_received)
        return frontier

    @property
    def engine(self) -> Engine:
        assert self.state is not None
        return self.state.archive.engine

    def _timed(self, kind: str, call: Callable[[], T]) -> T:
        with self.clock.call(kind):
            return call()

    # -- the spider's side ---------------------------------------------------------------------

    def open(self, state: CrawlState, profile: str, seeds: Sequence[tuple[str, str, int]]) -> None:
        """Register this worker, join (or seed) the profile's crawl, start claiming."""
        self.state = state
        self.profile = profile
        workers.register_worker(
            self.engine,
            self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            profile=profile,
            run_id=state.run_id,
            lost_after=2 * self.lease_seconds,
        )
        joined = self._timed(
            "join",
            lambda: workers.join_crawl(
                self.engine, profile, self.worker_id, seeds, run_id=state.run_id
            ),
        )
        self.crawl_started_at = joined.started_at
        logger.info(
            "worker %s %s the crawl of %s begun at %s",
            self.worker_id,
            "seeded" if joined.seeded else "joined",
            profile,
            joined.started_at.isoformat(timespec="seconds"),
        )
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value("newsarchive/worker/id", self.worker_id)
        stats.set_value("newsarchive/worker/seeded", joined.seeded)
        self._task = asyncio.get_event_loop().create_task(self._run())

    def offer(self, entries: Sequence[tuple[str, str, int]]) -> None:
        """Pages the spider found: queued in the shared frontier unless this crawl has them."""
        assert self.state is not None
        with self.state.clock.timing("frontier"):
            frontier.offer_pages(
                self.engine,
                entries,
                profile=self.profile,
                run_id=self.state.run_id,
                since=self.crawl_started_at,
            )
        if entries:
            self._offered.set()

    def close(self) -> None:
        """The spider closes: stop claiming, give back what is held, save the figures."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
        stats = self.crawler.stats
        if self.state is not None:
            try:
                done = int(stats.get_value("newsarchive/pages_fetched", 0)) if stats else 0
                released = self._timed(
                    "stop",
                    lambda: workers.stop_worker(self.engine, self.worker_id, pages_done=done),
                )
                if released:
                    logger.info("gave back %d pages to the queue", released)
            except ArchiveError as exc:
                logger.error("could not give back the worker's pages: %s", exc)
        if stats is not None:
            for key, value in self.clock.stats().items():
                stats.set_value(key, value)

    # -- the claiming loop ---------------------------------------------------------------------

    def _busy(self) -> int:
        """Requests this process holds: in Scrapy's scheduler, downloading, or being handled."""
        engine = self.crawler.engine
        if engine is None:
            return 0
        scraper_slot = getattr(engine.scraper, "slot", None)
        handling = len(getattr(scraper_slot, "active", ()))
        return self.spider._backlog() + len(engine.downloader.active) + handling

    async def _run(self) -> None:
        heartbeat_every = max(0.2, self.lease_seconds / 3)
        next_beat = time.monotonic()
        quiet_since: float | None = None
        try:
            while not self._closed:
                now = time.monotonic()
                if now >= next_beat:
                    self._heartbeat()
                    next_beat = now + heartbeat_every
                busy = self._busy()
                # Claim when half the room is free: fewer, fuller claims (each one is a
                # transaction on the reactor's thread), and the pages spread over workers.
                if busy > self.room // 2:
                    await asyncio.sleep(_TICK)
                    continue
                self._offered.clear()
                with self.clock.call("claim"):
                    pages = frontier.claim_pages(
                        self.engine,
                        self.profile,
                        self.worker_id,
                        limit=min(self.claim_size, self.room - busy),
                        lease_seconds=self.lease_seconds,
                        run_id=self.state.run_id if self.state else None,
                    )
                if pages:
                    quiet_since = None
                    self.status = "crawling"
                    self._feed(pages)
                    # Fewer than asked: the queue is short, wait for the pages in hand to
                    # add to it rather than ask again at once.
                    full = len(pages) >= min(self.claim_size, self.room - busy)
                    await self._wait(0 if full else _SHORT_QUEUE_WAIT)
                    continue
                if busy == 0 and self._idle():
                    queue = self._timed(
                        "queue", lambda: frontier.queue_state(self.engine, self.profile)
                    )
                    if queue.pending:  # other workers hold the last pages, and may find more
                        quiet_since = None
                        self.status = "waiting"
                    elif quiet_since is None:
                        quiet_since = now
                    elif now - quiet_since >= self.grace_seconds:
                        with self.clock.call("finish"):
                            over = workers.finish_crawl(
                                self.engine, self.profile, lost_after=2 * self.lease_seconds
                            )
                        if over:
                            self._finish()
                            return
                        quiet_since = None
                await self._wait(_EMPTY_WAIT if busy == 0 else _TICK)
        except asyncio.CancelledError:
            raise
        except ArchiveError as exc:  # the database is gone: stop, leases bring the pages back
            logger.error("worker stops: %s", exc)
            self._stop("storage_error")
        except Exception:
            logger.exception("worker stops: the claiming loop failed")
            self._stop("worker_error")

    async def _wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, or until this process offers new pages: a worker that
        drained the queue goes on with the links its last pages found as soon as they are
        queued, instead of at its next look."""
        if seconds <= 0 or self._offered.is_set():
            await asyncio.sleep(0)
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._offered.wait(), seconds)

    def _feed(self, pages: list[frontier.PageState]) -> None:
        logger.debug("claimed %d pages: %s", len(pages), ", ".join(p.url for p in pages))
        self.held.update(page.id for page in pages)
        engine = self.crawler.engine
        assert engine is not None
        for request in self.spider.claimed_requests(pages):
            engine.crawl(request)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newsarchive/worker/claimed", len(pages))

    def _heartbeat(self) -> None:
        stats = self.crawler.stats
        done = int(stats.get_value("newsarchive/pages_fetched", 0)) if stats else 0
        self.held = self._timed(
            "heartbeat",
            lambda: workers.heartbeat(
                self.engine,
                self.worker_id,
                self.held,
                lease_seconds=self.lease_seconds,
                state=self.status,
                pages_done=done,
                current_url=self.current_url,
            ),
        )

    def _idle(self) -> bool:
        engine = self.crawler.engine
        return engine is not None and engine.spider_is_idle()

    def _finish(self) -> None:
        self.finished = True
        self.status = "done"
        logger.info("the crawl of %s is over: no page pending", self.profile)
        self._close_spider("finished")

    def _stop(self, reason: str) -> None:
        self.finished = True
        self._close_spider(reason)

    def _close_spider(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def _on_idle(self, spider: Spider) -> None:
        """Scrapy ran out of requests: the shared queue decides when the crawl is over."""
        if not self.finished:
            raise DontCloseSpider

    def _on_response(self, response: Response, request: Request, spider: Spider) -> None:
        self.current_url = response.url


# -- politeness across workers -----------------------------------------------------------------


class HostBudget(Protocol):
    """One host's request budget, shared by every worker: at most ``concurrency`` requests in
    flight, and starts ``delay`` seconds apart."""

    async def acquire(self, host: str, holder: str) -> float | None:
        """Try to take a slot to send now: 0.0 when taken, else the seconds until the host's
        next start is allowed (try again then), or None when every slot is taken."""

    async def release(self, host: str, holder: str) -> None:
        """Give the slot back."""

    async def close(self) -> None:
        """Let go of connections."""


#: KEYS: the host's slots (sorted set holder -> expiry, ms) and its next allowed start (ms).
#: ARGV: concurrency, delay ms, slot ttl ms, holder. Returns 0 when the slot is taken, the ms
#: until the next allowed start when too early, -1 when every slot is taken. Redis's own
#: clock, so that the machines' clocks do not matter. A start is granted when it may happen,
#: never reserved ahead (see archive.workers.acquire_host_slot).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local concurrency, delay, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  return -1
end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then
  return next_start - now
end
redis.call('SET', KEYS[2], now + delay, 'PX', delay + 60000)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
return 0
"""


class RedisHostBudget:
    """The budget in Redis: one script run per acquisition, one ZREM per release."""

    def __init__(
        self, url: str, *, prefix: str, concurrency: int, delay: float, ttl: float
    ) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url)
        self.prefix = prefix
        self.concurrency = concurrency
        self.delay_ms = int(delay * 1000)
        self.ttl_ms = int(ttl * 1000)
        self._script = self.client.register_script(_ACQUIRE)

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}host:{host}:slots", f"{self.prefix}host:{host}:next"]

    async def acquire(self, host: str, holder: str) -> float | None:
        args: list[str | int] = [self.concurrency, self.delay_ms, self.ttl_ms, holder]
        wait = int(await self._script(keys=self._keys(host), args=args))
        return None if wait < 0 else wait / 1000

    async def release(self, host: str, holder: str) -> None:
        await self.client.zrem(self._keys(host)[0], holder)

    async def close(self) -> None:
        await self.client.aclose()


class ArchiveHostBudget:
    """The budget in PostgreSQL (``host_slots``, ``host_pace``), when no Redis is given: one
    transaction per acquisition, one per release."""

    def __init__(self, engine: Engine, *, concurrency: int, delay: float, ttl: float) -> None:
        self.engine = engine
        self.concurrency = concurrency
        self.delay = delay
        self.ttl = ttl

    # In a thread: a transaction blocking the event loop would make other requests, whose
    # start times are already reserved, start late and bunch up.
    async def acquire(self, host: str, holder: str) -> float | None:
        return await asyncio.to_thread(
            workers.acquire_host_slot,
            self.engine,
            host,
            holder,
            concurrency=self.concurrency,
            delay=self.delay,
            ttl=self.ttl,
        )

    async def release(self, host: str, holder: str) -> None:
        await asyncio.to_thread(workers.release_host_slot, self.engine, host, holder)

    async def close(self) -> None:
        self.engine.dispose()
