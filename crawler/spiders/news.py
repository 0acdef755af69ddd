"""The news spider: start pages, feeds and sitemaps -> listings and related links -> articles.

``scrapy crawl news -a start_urls=URL[,URL...] [-a profiles=FILE -a profile=NAME]
[-a max_pages=N] [-a db=DB_URL]`` and ``newsarchive crawl`` run this spider with the same
arguments. Every fetched HTML page is classified from its content; article pages become
:class:`~crawler.items.ArticleItem`, everything else is only followed (or skipped) and counted.

A crawl keeps its frontier in the archive (:class:`~crawler.state.CrawlState`): what it queued,
what came back, with ETag and Last-Modified for conditional requests. A profile's crawl is
incremental: known articles are fetched again only when due for a recheck, and a paginated
listing is not paged further once a page holds no new article. A crawl of plain URLs rechecks
every known article it finds (conditionally, so an unchanged page costs a 304).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import DeferredList
from twisted.python.failure import Failure

from archive.db import ArchiveError, resolve_db_url
from archive.prepared import PreparedText
from archive.record import content_hash, site_of
from archive.store import Archive, PageState
from crawler.alerts import end_run
from crawler.discovery import DiscoveryError, parse_feed, parse_sitemap, sitemaps_from_robots
from crawler.distributed import WorkerFrontier
from crawler.extraction import PageResult
from crawler.items import ArticleItem, FetchedPage
from crawler.middlewares import PageLimitReached
from crawler.pagework import PageExtractor, PageJob, PageOutcome
from crawler.pagination import is_next_listing_page
from crawler.pool import ExtractionFailed, PoolBroken
from crawler.profiles import Profile, load_profiles
from crawler.scheduling import ProfileLock, default_lock_dir
from crawler.state import (
    DEFAULT_WRITE_BATCH,
    DEFAULT_WRITE_INTERVAL,
    CrawlState,
    LinkDecision,
)
from crawler.urls import Scope, canonicalize_url, classify_url, scope_for

DEFAULT_CONTACT_URL = "https://github.com/newsarchive/newsarchive"

try:
    __version__ = version("newsarchive")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0+unknown"

logger = logging.getLogger(__name__)

_PROJECT_PRIORITY = 20  # Scrapy's priority of settings.py values; -s on the command line is 40

# Articles first: under a page limit, a crawl archives more when it fetches what it found.
_PRIORITY = {"article": 10, "listing": 0, "feed": 20, "sitemap": 20, "other": -5}

#: A known article that answers one of these on a recheck is marked removed.
_GONE = (404, 410)

#: Request meta: copies in a row on the way to the request (see NewsSpider._stale_hops).
_STALE_HOPS = "na_stale_hops"
#: The skip reason of links not followed past a chain of copies.
_COPY_CHAIN = "trap_copy_chain"
#: Links whose scope and kind the spider remembers (navigation repeats on every page).
_LINK_CACHE = 200_000


def user_agent(contact_url: str | None) -> str:
    """``$NEWSARCHIVE_USER_AGENT``, else one that names the tool, its version and a contact URL."""
    explicit = os.environ.get("NEWSARCHIVE_USER_AGENT")
    if explicit:
        return explicit
    return f"newsarchive/{__version__} (+{contact_url or DEFAULT_CONTACT_URL})"


def parse_start_urls(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Start URLs from a spider argument: a list, or one string separated by commas or spaces."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return [url.strip() for url in items if url.strip()]


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    kind: str  # article, listing, feed, sitemap, robots, other
    depth: int
    #: Copies in a row on the way here (see NewsSpider._stale_hops).
    hops: int = 0


class NewsSpider(Spider):
    """Crawls news sites from their start pages, feeds and sitemaps and yields their articles."""

    name = "news"

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        max_pages: str | int | None = None,
        db: str | None = None,
        profiles: str | None = None,
        profile: str | None = None,
        warc_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.profile: Profile | None = _pick_profile(profiles, profile) if profiles else None
        urls = parse_start_urls(start_urls)
        if self.profile is not None:
            urls = [*self.profile.start_urls, *urls]
        self.feeds: list[str] = list(self.profile.feeds) if self.profile else []
        self.sitemaps: list[str] = list(self.profile.sitemaps) if self.profile else []
        self.start_urls = urls
        if not (self.start_urls or self.feeds or self.sitemaps):
            raise ValueError("no start URL: pass -a start_urls=URL[,URL...] or -a profiles=FILE")
        for url in [*self.start_urls, *self.feeds, *self.sitemaps]:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) URL: {url!r}")
        self.max_pages = int(max_pages) if max_pages not in (None, "", 0, "0") else 0
        self.db_url = db or None
        self.warc_dir = Path(warc_dir) if warc_dir else None
        self.scopes: tuple[Scope, ...] = tuple(
            scope_for(u) for u in [*self.start_urls, *self.feeds, *self.sitemaps]
        )
        self.incremental = self.profile is not None
        self._start_set = {
            canonicalize_url(u) for u in [*self.start_urls, *self.feeds, *self.sitemaps]
        }
        self._requested: set[str] = set()
        self._link_cache: dict[str, tuple[bool, str]] = {}
        # URLs queued in the frontier but not handed to Scrapy yet (the scheduler's backlog was
        # full); fed to it in batches when it runs dry (_on_idle).
        self._waiting = False
        self._queue_size = 0
        self.state: CrawlState | None = None
        self._lock: ProfileLock | None = None
        self._max_stale_hops = 0
        #: Extraction, in the pool of worker processes or in-process (crawler.pagework).
        self.extractor: PageExtractor | None = None
        #: Pages handed to extraction and not back yet (waiting for a worker, or in one).
        self._in_extraction = 0
        self._cpu_at_open = 0.0
        #: A worker of a distributed crawl (newsarchive worker): the shared frontier that hands
        #: this process its pages; None for a crawl of its own (crawler/distributed.py).
        self.frontier: WorkerFrontier | None = None

    # -- set-up ----------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        distributed = bool(settings.get("NEWSARCHIVE_WORKER_ID"))
        if spider.profile is not None:
            # One crawl of a profile at a time, whoever starts it (CLI, scheduler, cron, scrapyd);
            # the lock dies with the process, so a killed crawl never blocks the next. Workers
            # of a distributed crawl share the crawl instead, through the archive.
            if not distributed:
                spider._lock = ProfileLock(default_lock_dir(), spider.profile.name)
                spider._lock.acquire()
            for key, value in spider.profile.settings_overrides().items():
                settings.set(key, value, priority="spider")
        if distributed:
            spider.frontier = WorkerFrontier.from_crawler(crawler, spider)
        if spider.max_pages:
            settings.set("NEWSARCHIVE_MAX_PAGES", spider.max_pages, priority="spider")
            settings.set("CLOSESPIDER_PAGECOUNT", spider.max_pages, priority="spider")
        if spider.db_url:
            settings.set("NEWSARCHIVE_DB", spider.db_url, priority="spider")
        # The User-Agent names the tool and a contact URL unless the user set one outright.
        if (settings.getpriority("USER_AGENT") or 0) <= _PROJECT_PRIORITY:
            settings.set(
                "USER_AGENT",
                user_agent(settings.get("NEWSARCHIVE_CONTACT_URL")),
                priority=_PROJECT_PRIORITY,
            )
        crawler.signals.connect(spider._on_response, signal=signals.response_received)
        crawler.signals.connect(spider._on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        spider._queue_size = max(1, settings.getint("NEWSARCHIVE_QUEUE_SIZE", 5000))
        spider._max_stale_hops = max(0, settings.getint("NEWSARCHIVE_MAX_STALE_HOPS", 3))
        spider.extractor = PageExtractor.from_settings(settings)
        return spider

    def _on_opened(self, spider: Spider) -> None:
        db_url = resolve_db_url(self.crawler.settings.get("NEWSARCHIVE_DB") or None)
        recheck = timedelta(days=self.profile.recheck_after_days) if self.profile else timedelta(0)
        assert self.crawler.stats is not None
        self._cpu_at_open = time.process_time()
        if self.extractor is not None:
            self.extractor.open()
            self.crawler.stats.set_value("newsarchive/extract/workers", self.extractor.workers)
        try:
            self.state = CrawlState(
                Archive(db_url),
                profile=self.profile.name if self.profile else None,
                start_urls=[*self.start_urls, *self.feeds, *self.sitemaps],
                recheck_after=recheck,
                warc_dir=self.warc_dir,
                write_batch=self.crawler.settings.getint(
                    "NEWSARCHIVE_WRITE_BATCH", DEFAULT_WRITE_BATCH
                ),
                write_interval=self.crawler.settings.getfloat(
                    "NEWSARCHIVE_WRITE_INTERVAL", DEFAULT_WRITE_INTERVAL
                ),
                exclusive=self.frontier is None,
                writer_thread=True,
                writer_profile=Path(profile_dir)
                if (profile_dir := self.crawler.settings.get("NEWSARCHIVE_PROFILE_DIR"))
                else None,
            )
        except ArchiveError as exc:  # locked for good, full, gone: nothing to crawl into
            self.crawler.stats.set_value("newsarchive/storage_error", str(exc))
            logger.error("cannot start the crawl: %s", exc)
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))
            return
        self.crawler.stats.set_value("newsarchive/run_id", self.state.run_id)

    async def _on_closed(self, spider: Spider, reason: str) -> None:
        if self._lock is not None:
            self._lock.release()
        if self.frontier is not None:  # its pages go back to the queue, its figures to the run
            self.frontier.close()
        # Extraction workers finish and exit (returned: Scrapy waits for it before it stops).
        closing = deferred_from_coro(self.extractor.close()) if self.extractor else None
        if self.state is None:
            if closing is not None:
                await maybe_deferred_to_future(closing)
            return
        if self.crawler.stats is not None:
            # CPU of the crawl's own process (all its threads) while the spider was open.
            cpu = time.process_time() - self._cpu_at_open
            self.crawler.stats.set_value("newsarchive/cpu_seconds/crawl", round(cpu, 3))
            for stage, seconds in self.state.clock.seconds.items():
                self.crawler.stats.set_value(f"newsarchive/cpu_seconds/{stage}", round(seconds, 3))
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        status = "finished" if reason in ("finished", "closespider_pagecount") else reason
        # A worker of a distributed crawl may never be handed a start page: another was.
        if not stats.get("newsarchive/start_urls_fetched") and self.frontier is None:
            status = "failed"
        # Records the run (degraded when it broke the profile's alert thresholds), then sends
        # the alert; Scrapy waits for both that and the extraction workers' exit.
        alerts = self.profile.alerts if self.profile is not None else None
        sent = end_run(self.state, self.crawler, status, alerts)
        waits = [d for d in (closing, sent) if d is not None]
        if waits:  # both at once; a failure of one does not keep the other from finishing
            await maybe_deferred_to_future(DeferredList(waits))

    def _on_response(self, response: Response, request: Request, spider: Spider) -> None:
        stats = self.crawler.stats
        if stats is None or request.meta.get("dont_obey_robotstxt"):  # robots.txt: not a page
            return
        stats.inc_value("newsarchive/pages_fetched")
        if self.state is not None and request.meta.get("na_kind") != "robots":
            self.state.health.page(response.url, response.status)
        stats.max_value("newsarchive/max_scheduler_backlog", self._backlog())
        stats.inc_value("newsarchive/bytes_downloaded", len(response.body))
        original = request.meta.get("redirect_urls", [request.url])[0]
        if canonicalize_url(original) in self._start_set:
            stats.inc_value("newsarchive/start_urls_fetched")

    # -- requests --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.state is None:  # the archive could not be opened: the crawl is closing
            return
        # The user's start points first: past the scheduler's backlog limit, the rest waits in
        # the frontier (see _requests).
        targets = [_Target(canonicalize_url(u), "listing", 0) for u in self.start_urls]
        targets += [_Target(canonicalize_url(u), "feed", 0) for u in self.feeds]
        targets += [_Target(canonicalize_url(u), "sitemap", 0) for u in self.sitemaps]
        if self.profile is not None:
            for host in sorted({(s.scheme, s.host) for s in self.scopes}):
                targets.append(_Target(f"{host[0]}://{host[1]}/robots.txt", "robots", 0))
        if self.frontier is not None and self.profile is not None:
            # A worker: the first to find no crawl in progress queues the start points and the
            # articles due; pages come from the shared queue (claimed), robots.txt from here.
            seeds = [(t.url, t.kind, t.depth) for t in targets if t.kind != "robots"]
            seeds += [(p.url, "article", p.depth) for p in self.state.due_articles()]
            self.frontier.open(self.state, self.profile.name, seeds)
            robots = [t for t in targets if t.kind == "robots"]
            for request in self._requests(robots, {}, force=True):
                yield request
            return
        resumed = [
            _Target(page.url, page.kind, page.depth)
            for page in self.state.resume_pages()
            if self._in_scope(page.url)
        ]
        if resumed:
            logger.info("resuming %d pages left pending by an interrupted crawl", len(resumed))
            self.crawler.stats.inc_value("newsarchive/resumed", len(resumed))
        targets += resumed
        if self.profile is not None:
            for page in self.state.due_articles():
                if self._in_scope(page.url):
                    targets.append(_Target(page.url, "article", page.depth))
        decisions = self.state.decide(t.url for t in targets)
        for request in self._requests(targets, decisions, force=True):
            yield request

    def _backlog(self) -> int:
        """Requests in Scrapy's scheduler, waiting for a download slot."""
        stats = self.crawler.stats
        if stats is None:
            return 0
        return int(stats.get_value("scheduler/enqueued", 0)) - int(
            stats.get_value("scheduler/dequeued", 0)
        )

    def _requests(
        self,
        targets: Iterable[_Target],
        decisions: dict[str, LinkDecision],
        *,
        force: bool = False,
        claimed: bool = False,
    ) -> list[Request]:
        """Requests for the targets worth fetching, persisted as pending first.

        At most ``NEWSARCHIVE_QUEUE_SIZE`` requests wait in Scrapy's scheduler (in memory):
        targets beyond that are only persisted as pending, and fed later (``_on_idle``), so
        that a sitemap of a million URLs costs frontier rows, not a million Request objects.

        A worker of a distributed crawl only offers what it finds to the shared frontier, which
        hands each page to one worker; ``claimed`` are the pages it was handed.
        """
        requests: list[Request] = []
        pending: list[tuple[str, str, int]] = []
        room = self._queue_size - self._backlog()
        for target in targets:
            decision = decisions.get(target.url, LinkDecision(fetch=True))
            seen = target.url in self._requested and not claimed
            if seen or not (decision.fetch or force or claimed):
                if decision.known_article and not decision.fetch:
                    self.crawler.stats.inc_value("newsarchive/known_not_due")
                    if self.state is not None and target.url not in self._requested:
                        self.state.health.known(target.url)  # not read in this run either
                continue
            if self.frontier is not None and not claimed and target.kind != "robots":
                self._requested.add(target.url)
                pending.append((target.url, target.kind, target.depth))
                continue
            if len(requests) >= room and target.kind != "robots" and not claimed:
                pending.append((target.url, target.kind, target.depth))
                self._waiting = True
                self.crawler.stats.inc_value("newsarchive/queued_in_frontier")
                continue
            self._requested.add(target.url)
            headers: dict[str, str] = {}
            # An incremental crawl asks conditionally and takes a 304 as "nothing new here". A
            # crawl of plain URLs reads every page in full, to find every link again (a 304
            # has no links to follow), and tells unchanged articles by their content hash.
            conditional = self.incremental
            if conditional and decision.etag:
                headers["If-None-Match"] = decision.etag
            if conditional and decision.last_modified:
                headers["If-Modified-Since"] = decision.last_modified
            callback = {
                "feed": self.parse_feed,
                "sitemap": self.parse_sitemap,
                "robots": self.parse_robots,
            }.get(target.kind, self.parse)
            meta: dict[str, Any] = {"na_kind": target.kind, "depth": target.depth}
            if target.hops:
                meta[_STALE_HOPS] = target.hops
            # A known article answering 404 or 410 is news for us, not an error.
            meta["handle_httpstatus_list"] = [304, *_GONE] if decision.known_article else [304]
            requests.append(
                Request(
                    target.url,
                    callback=callback,
                    errback=self.on_error,
                    headers=headers or None,
                    meta=meta,
                    priority=100 if force else _PRIORITY.get(target.kind, 0),
                    # A page claimed again after its lease expired is fetched again.
                    dont_filter=force or claimed,
                )
            )
            if target.kind != "robots" and not claimed:
                pending.append((target.url, target.kind, target.depth))
        if pending and self.frontier is not None:
            self.frontier.offer(pending)
        elif pending and self.state is not None:
            self.state.enqueue(pending)
        return requests

    def claimed_requests(self, pages: list[PageState]) -> list[Request]:
        """Requests for the pages the shared frontier handed this worker (crawler/distributed.py).

        A page out of this worker's scope (another version of the profile queued it) is marked
        failed, so that it does not stay claimed.
        """
        assert self.state is not None
        targets = []
        for page in pages:
            # Feeds and sitemaps named by the profile or a robots.txt are fetched wherever
            # they are, as in a crawl of one's own; other pages must be in scope.
            if page.kind in ("feed", "sitemap") or self._in_scope(page.url):
                targets.append(_Target(page.url, page.kind, page.depth))
            else:
                self._skip("out_of_scope", page.url)
                self.state.page_done(page.url, kind=page.kind, status=0, headers={}, failed=True)
        if not targets:
            return []
        return self._requests(targets, self.state.decide(t.url for t in targets), claimed=True)

    def _on_idle(self, spider: Spider) -> None:
        """Scrapy ran out of requests: hand it the next pages waiting in the frontier."""
        if not self._waiting or self.state is None:
            return
        # What the writer thread has not written yet (SQLite: the frontier's own writes too)
        # must be in the frontier before it is read. Nothing is downloading: the wait is free.
        self.state.wait_writes()
        targets: list[_Target] = []
        after = 0
        while len(targets) < self._queue_size:
            pages = self.state.archive.run_pending_pages(
                self.state.run_id, after_id=after, limit=self._queue_size
            )
            if not pages:
                break
            after = pages[-1].id
            targets += [
                _Target(p.url, p.kind, p.depth)
                for p in pages
                if p.url not in self._requested and self._in_scope(p.url)
            ]
        more = len(targets) >= self._queue_size  # there may be more rows beyond these
        requests = self._requests(targets, self.state.decide(t.url for t in targets))
        self._waiting = more or len(targets) > len(requests)
        if not requests:
            return
        logger.info("feeding %d queued pages from the frontier", len(requests))
        self.crawler.stats.inc_value("newsarchive/fed_from_frontier", len(requests))
        engine = self.crawler.engine
        assert engine is not None
        for request in requests:
            engine.crawl(request)
        raise DontCloseSpider

    def _in_scope(self, url: str) -> bool:
        """Whether the crawl may fetch ``url``.

        Plain URLs: articles anywhere on a start URL's host, other pages under its folder. A
        profile: only its allowed hosts (and their subdomains); its URL patterns first, then
        the same rule as plain URLs (articles anywhere on an allowed host).
        """
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        if self.profile is None:
            return any(scope.allows(url) for scope in self.scopes)
        if not self.profile.allows_host(url):
            return False
        if self.profile.is_article_url(url):
            return True
        follow = self.profile.should_follow(url)
        if follow is not None:
            return follow
        return classify_url(url) == "article" or any(scope.allows(url) for scope in self.scopes)

    def _link_target(self, url: str) -> tuple[bool, str]:
        """(in scope, kind) of a link, remembered: most links of a page are on every page."""
        known = self._link_cache.get(url)
        if known is None:
            if len(self._link_cache) >= _LINK_CACHE:
                self._link_cache.clear()
            known = self._link_cache[url] = (self._in_scope(url), self._kind_of(url))
        return known

    def _kind_of(self, url: str) -> str:
        if self.profile is not None and self.profile.is_article_url(url):
            return "article"
        kind = classify_url(url)
        return kind if kind in ("article", "listing") else "other"

    def _follow(
        self,
        page_url: str,
        links: list[str],
        depth: int,
        *,
        exclude: set[str],
        listing: bool,
        hops: int = 0,
    ) -> list[Request]:
        """Requests for the in-scope links of a page.

        On an incremental crawl, a listing page that shows no new article does not lead to its
        next pages: what follows is older still, and already archived. ``hops`` is how many
        copies in a row led here, this page included (:meth:`_stale_hops`): past
        ``NEWSARCHIVE_MAX_STALE_HOPS`` no link is followed, and each one left is a skip.
        """
        in_scope = []
        for url in dict.fromkeys(links):
            allowed, kind = self._link_target(url)
            if allowed and url not in exclude:
                in_scope.append(_Target(url, kind, depth + 1, hops))
        if self._max_stale_hops and hops > self._max_stale_hops:
            left = [t for t in in_scope if t.url not in self._requested]
            if left:
                self.crawler.stats.inc_value(f"newsarchive/skipped/{_COPY_CHAIN}", len(left))
                logger.info(
                    "skipped (%s): %d links of %s, after %d copies in a row",
                    _COPY_CHAIN,
                    len(left),
                    page_url,
                    hops,
                )
            return []
        targets = [t for t in in_scope if t.url not in self._requested]
        if not targets or self.state is None:
            return []
        # The frontier is asked about what this run has not requested yet; an incremental
        # listing also needs to know which of its articles are new.
        incremental_listing = self.incremental and listing
        decisions = self.state.decide(t.url for t in (in_scope if incremental_listing else targets))
        if incremental_listing:
            # New: not archived yet (whether or not this run has already asked for it).
            fresh = [
                t for t in in_scope if t.kind == "article" and not decisions[t.url].known_article
            ]
            if not fresh:
                before = len(targets)
                targets = [t for t in targets if not is_next_listing_page(page_url, t.url)]
                if len(targets) < before:
                    self.crawler.stats.inc_value("newsarchive/listing_stopped")
        return self._requests(targets, decisions)

    # -- callbacks -------------------------------------------------------------------------

    async def _process(
        self, response: Response, *, want_links: bool = True
    ) -> tuple[PageOutcome, datetime] | None:
        """Extract ``response`` and read its links, off the reactor when the pool is on.

        None (and a counted skip) when it is not an HTML page, or when its extraction did not
        finish: its worker died or hung (``extract_failed``; the worker is replaced).
        """
        stats = self.crawler.stats
        assert stats is not None
        assert self.extractor is not None
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or (
            content_type and "html" not in content_type.lower()
        ):
            self._skip("not_html", response.url)
            self._done(response, "other")
            return None
        fetched_at = datetime.now(UTC)
        job = PageJob(
            url=response.url,
            body=response.body,
            content_type=content_type or None,
            http_charset=_charset_of(content_type),
            fetched_at=fetched_at,
            want_links=want_links,
        )
        self._in_extraction += 1
        stats.max_value("newsarchive/extract/max_waiting", self._in_extraction)
        try:
            outcome = await self.extractor.run(job)
        except PoolBroken as exc:
            self._extraction_failed(response, str(exc))
            if not stats.get_value("newsarchive/extract/pool_broken"):
                stats.set_value("newsarchive/extract/pool_broken", str(exc))
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="pool_broken"))
            return None
        except ExtractionFailed as exc:
            self._extraction_failed(response, str(exc))
            return None
        finally:
            self._in_extraction -= 1
        # Float sums (Scrapy's inc_value is for ints): the benchmark reads them.
        for key, seconds in (
            ("extract", outcome.extract_cpu),
            ("links", outcome.links_cpu),
            ("prepare", outcome.prepare_cpu),
        ):
            name = f"newsarchive/cpu_seconds/{key}"
            stats.set_value(name, stats.get_value(name, 0.0) + seconds)
        return outcome, fetched_at

    def _extraction_failed(self, response: Response, reason: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsarchive/skipped/extract_failed")
        logger.warning("skipped (extract_failed): %s: %s", response.url, reason)
        self._done(response, "other", failed=True)

    def _done(self, response: Response, kind: str, *, failed: bool = False) -> None:
        if self.state is None:
            return
        headers = {
            "etag": _header(response, b"ETag"),
            "last-modified": _header(response, b"Last-Modified"),
        }
        clean = {k: v for k, v in headers.items() if v}
        urls = {canonicalize_url(u) for u in response.meta.get("redirect_urls", [])}
        urls.add(canonicalize_url(response.url))
        for url in urls:
            self.state.page_done(
                url, kind=kind, status=response.status, headers=clean, failed=failed
            )

    async def parse(
        self, response: Response, **_kwargs: Any
    ) -> AsyncIterator[Request | ArticleItem]:
        stats = self.crawler.stats
        assert stats is not None
        kind = response.meta.get("na_kind", "other")
        if response.status == 304:  # unchanged since the last fetch
            self._done(response, kind)
            if kind == "article":
                stats.inc_value("newsarchive/articles/unchanged")
                if self.state is not None:
                    self.state.health.known(response.url)
            else:
                stats.inc_value("newsarchive/not_modified")
            return
        if response.status in _GONE:
            url = canonicalize_url(response.meta.get("redirect_urls", [response.url])[0])
            if self.state is not None and self.state.archive.mark_removed(url):
                stats.inc_value("newsarchive/articles/removed")
                logger.info("article removed (%d): %s", response.status, url)
            self._done(response, "article", failed=True)
            return
        processed = await self._process(response)
        if processed is None:
            return
        outcome, fetched_at = processed
        result = outcome.result
        links = outcome.links  # none for dead ends (crawler.pagework.DEAD_ENDS)
        url = canonicalize_url(response.url)
        more_pages: list[str] = []
        if result.kind == "article":
            first = outcome.first_page_url
            if first is not None:  # page 2+ of an article: archived with its page 1
                links = [first, *links]
                result = PageResult(kind="listing", article=None, reason="continuation_page")
            else:
                more_pages = outcome.continuation_urls
        depth = int(response.meta.get("depth", 0))
        hops = self._stale_hops(response.meta, result, url, outcome.prepared)
        for request in self._follow(
            url, links, depth, exclude=set(more_pages), listing=result.kind == "listing", hops=hops
        ):
            yield request
        if result.kind != "article" or result.article is None:
            self._done(response, "listing" if result.kind == "listing" else "other")
            self._skip(result.reason or result.kind, response.url)
            return
        record = result.article
        if self.profile is not None and not self.profile.matches_keywords(
            record.title, record.text
        ):
            self._done(response, "article")
            self._skip("keyword_mismatch", response.url)
            return
        # An article page stays pending in the frontier until the archive pipeline has stored
        # it (CrawlState.stored): a crawl killed in between fetches it again when resumed.
        aliases: list[str] = []
        canonical = outcome.canonical_url
        if canonical and canonical != url and site_of(canonical) == site_of(url):
            aliases.append(url)
            url = canonical
        for original in response.meta.get("redirect_urls", []):
            if canonicalize_url(original) not in (url, *aliases):
                aliases.append(canonicalize_url(original))
        record.url = url
        record.site = site_of(url)
        if self.profile is not None:
            record.profile = self.profile.name
        item = ArticleItem(
            record=record,
            page=_fetched_page(response, fetched_at),
            aliases=aliases,
            prepared=outcome.prepared,
        )
        if more_pages:
            yield self._next_part(item, more_pages)
            return
        self._count_article()
        yield item

    def _stale_hops(
        self,
        meta: dict[str, Any],
        result: PageResult,
        url: str,
        prepared: PreparedText | None = None,
    ) -> int:
        """How many copies in a row lead to the links of the page at ``url``.

        An article page that adds nothing new (its text was seen earlier in this run, or is
        archived under another URL of the site: :meth:`CrawlState.is_copy`) adds one to the
        count it was reached with; one that adds something sets it back to 0. Other pages
        (listings, ...) pass it on, so that a chain of copies through listings counts too.
        A generated endless chain of copies (each page a new headline over the same text,
        linking to the next) so stops by itself. Off when ``NEWSARCHIVE_MAX_STALE_HOPS`` is 0.
        """
        hops = int(meta.get(_STALE_HOPS, 0))
        record = result.article
        if not self._max_stale_hops or result.kind != "article" or record is None:
            return hops
        if self.state is not None and self.state.is_copy(record, url, prepared):
            return hops + 1
        return 0

    def _next_part(self, item: ArticleItem, pages: list[str]) -> Request:
        self._requested.update(pages)
        return Request(
            pages[0],
            callback=self.parse_part,
            errback=self.on_part_error,
            cb_kwargs={"item": item, "pages": pages[1:]},
            priority=_PRIORITY["article"] + 1,
        )

    async def parse_part(
        self, response: Response, item: ArticleItem, pages: list[str]
    ) -> AsyncIterator[Request | ArticleItem]:
        """Page 2+ of a split article: its text is appended to the item of page 1."""
        processed = await self._process(response, want_links=False)
        if processed is not None and processed[0].result.article is not None:
            part = processed[0].result.article
            record = item.record
            record.text = f"{record.text}\n{part.text}" if record.text else part.text
            record.content_hash = content_hash(record.title, record.text)
            self.crawler.stats.inc_value("newsarchive/article_parts_merged")
            self._done(response, "other")
        if pages:
            yield self._next_part(item, pages)
            return
        self._count_article()
        yield item

    def on_part_error(self, failure: Failure) -> Iterator[ArticleItem]:
        """A later page failed: store what the earlier pages gave, and count the error."""
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        self._count_article()
        yield kwargs["item"]

    def parse_feed(self, response: Response, **_kwargs: Any) -> Iterator[Request]:
        """An RSS or Atom feed: its entries are article candidates."""
        self._done(response, "feed")
        if response.status == 304:
            return
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._skip("bad_feed", response.url)
            logger.warning("feed %s: %s", response.url, exc)
            return
        links = [canonicalize_url(e.url) for e in entries]
        yield from self._follow(response.url, links, 0, exclude=set(), listing=False)

    def parse_sitemap(self, response: Response, **_kwargs: Any) -> Iterator[Request]:
        """A sitemap (index, news, gzipped): sub-sitemaps and article candidates."""
        self._done(response, "sitemap")
        if response.status == 304:
            return
        try:
            doc = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self._skip("bad_sitemap", response.url)
            logger.warning("sitemap %s: %s", response.url, exc)
            return
        urls = [canonicalize_url(e.url) for e in doc.entries]
        if doc.kind == "sitemapindex":
            targets = [_Target(u, "sitemap", 0) for u in urls if _same_site(u, response.url)]
            decisions = {t.url: LinkDecision(fetch=True) for t in targets}
            yield from self._requests(targets, decisions)
            return
        yield from self._follow(response.url, urls, 0, exclude=set(), listing=False)

    def parse_robots(self, response: Response, **_kwargs: Any) -> Iterator[Request]:
        """robots.txt: its ``Sitemap:`` lines lead to more sitemaps."""
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        sitemaps = [canonicalize_url(u) for u in sitemaps_from_robots(response.text, response.url)]
        targets = [_Target(u, "sitemap", 0) for u in sitemaps if _same_site(u, response.url)]
        yield from self._requests(targets, {t.url: LinkDecision(fetch=True) for t in targets})

    # -- helpers ---------------------------------------------------------------------------

    def _count_article(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsarchive/articles_extracted")

    def _skip(self, reason: str, url: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsarchive/skipped/{reason}")
        logger.info("skipped (%s): %s", reason, url)

    def on_error(self, failure: Failure) -> None:
        stats = self.crawler.stats
        assert stats is not None
        request = failure.request  # type: ignore[attr-defined]
        error = failure.value
        if isinstance(error, PageLimitReached):
            return  # counted by the middleware; not a skip of a page we saw
        if self.state is not None and not isinstance(error, IgnoreRequest):
            status = error.response.status if isinstance(error, HttpError) else 0
            self.state.page_done(
                canonicalize_url(request.url),
                kind=request.meta.get("na_kind", "other"),
                status=status,
                headers={},
                failed=True,
            )
        if isinstance(error, HttpError):
            self._skip(f"http_{error.response.status}", request.url)
        elif isinstance(error, IgnoreRequest):
            if self.state is not None:  # never fetched: not pending any more either
                self.state.page_done(
                    canonicalize_url(request.url), kind="other", status=0, headers={}, failed=True
                )
            if getattr(error, "counted", False):  # crawler.safety.SafetySkip: counted, logged
                return
            self._skip("robots_txt" if "robots" in str(error).lower() else "ignored", request.url)
        else:
            kind = failure.type.__name__ if failure.type else "error"
            stats.inc_value(f"newsarchive/errors/{kind}")
            logger.warning("error fetching %s: %s", request.url, failure.getErrorMessage())


def _pick_profile(path: str, name: str | None) -> Profile:
    profiles = load_profiles(Path(path))
    if name is None:
        if len(profiles) == 1:
            return profiles[0]
        names = ", ".join(p.name for p in profiles)
        raise ValueError(f"{path} has several profiles ({names}): pass -a profile=NAME")
    for profile in profiles:
        if profile.name == name:
            return profile
    raise ValueError(f"no profile {name!r} in {path}")


def _same_site(url: str, other: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _fetched_page(response: Response, fetched_at: datetime) -> FetchedPage:
    return FetchedPage(
        url=response.url,
        status=response.status,
        headers=[
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, vs in response.headers.items()
            for v in vs
        ],
        body=response.body,
        fetched_at=fetched_at,
        request_headers=[
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, vs in response.request.headers.items()
            for v in vs
        ]
        if response.request is not None
        else None,
    )


def _charset_of(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
