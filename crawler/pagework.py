"""What the crawl does with one fetched HTML page off Scrapy's reactor: extract it, read its links.

:func:`process_page` takes a :class:`PageJob` (plain data: the body, the URL, the content type)
and returns a :class:`PageOutcome` (plain data: the :class:`~crawler.extraction.PageResult`, the
page's canonical links, its ``<link rel="canonical">``). It runs in the extraction pool's worker
processes (:mod:`crawler.pool`), or in the crawl's own process when the pool is off
(``NEWSARCHIVE_EXTRACT_WORKERS=0``); both give the same outcome for the same job.

Links are read from a Scrapy response rebuilt from the bytes (its decoding, its ``<base>``), as
Scrapy's ``LinkExtractor`` reads them (``<a>`` and ``<area>`` hrefs, ``rel=nofollow`` and links
to files such as images left out), and canonicalized. Not with ``LinkExtractor`` itself: a
portal page has 200-400 links, mostly the same navigation on every page, and ``LinkExtractor``
cost about as much CPU as the extraction; here each distinct URL is canonicalized once per
worker (an LRU cache). For an article, the pages of a split article are found here too
(``crawler.pagination``). Nothing here touches the engine, the network or the archive.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Final
from urllib.parse import urljoin, urlsplit

from scrapy.http import HtmlResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object, rel_has_nofollow
from scrapy.utils.reactor import is_asyncio_reactor_installed
from scrapy.utils.response import get_base_url
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

from archive.prepared import PreparedText, prepare_text
from crawler.extraction import PageResult
from crawler.pagination import continuation_urls, first_page_url
from crawler.pool import ExtractionPool, PoolConfig, acquire_pool, parse_workers, release_pool
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

#: The extraction function a worker calls, unless ``NEWSARCHIVE_EXTRACT_FUNCTION`` names another
#: with the same signature (the tests name one that crashes or hangs on marked pages).
DEFAULT_EXTRACT_FUNCTION: Final = "crawler.extraction.extract_page"

#: Pages whose links are not followed: nothing there, or an error page (whose links are only the
#: site's navigation, reached from elsewhere anyway). A "too_short" page may still be a listing.
DEAD_ENDS: Final = frozenset({"empty", "not_html", "soft_404", "extraction_failed"})

#: Links to files that are not pages, as Scrapy's LinkExtractor leaves them out.
_FILE_EXTENSIONS: Final = frozenset(f".{e}" for e in IGNORED_EXTENSIONS)
#: Distinct URLs whose canonical form a worker remembers.
_CANONICAL_CACHE: Final = 100_000
#: An absolute link: a scheme, then ``//`` and a host (not empty), so that ``urljoin`` takes it
#: whole, whatever the page's address.
_ABSOLUTE_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\\]")

ExtractFunction = Callable[..., PageResult]


@dataclass(frozen=True, slots=True)
class PageJob:
    """One fetched HTML page, as it crosses to a worker process."""

    url: str
    body: bytes
    content_type: str | None
    http_charset: str | None
    fetched_at: datetime
    #: Whether the page's links are wanted (page 2+ of a split article: no).
    want_links: bool = True


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What came of a :class:`PageJob`."""

    result: PageResult
    #: Canonical URLs of the page's followable links, in page order (empty for dead ends).
    links: list[str] = field(default_factory=list)
    #: The page's ``<link rel="canonical">``, absolute and canonicalized.
    canonical_url: str | None = None
    #: Page 2+ of a split article: its page 1, found among its links.
    first_page_url: str | None = None
    #: Page 1 of a split article: its pages 2, 3, ..., found among its links.
    continuation_urls: list[str] = field(default_factory=list)
    #: CPU seconds of the extraction and of the links, where the job ran (crawl statistics).
    extract_cpu: float = 0.0
    links_cpu: float = 0.0
    #: An article's derived values (text key, search strings, story fingerprint), computed
    #: here rather than on the crawl's reactor thread (``archive/prepared.py``).
    prepared: PreparedText | None = None
    prepare_cpu: float = 0.0


@cache
def extract_function(path: str = DEFAULT_EXTRACT_FUNCTION) -> ExtractFunction:
    """The extraction function named by ``path`` (``module.name``), imported once."""
    function = load_object(path)
    if not callable(function):
        raise TypeError(f"{path} is not a function")
    return function  # type: ignore[no-any-return]


def process_page(job: PageJob, function: str = DEFAULT_EXTRACT_FUNCTION) -> PageOutcome:
    """Extract ``job``'s page and, unless it is a dead end, read its links."""
    started = time.process_time()
    result = extract_function(function)(
        job.body,
        job.url,
        http_charset=job.http_charset,
        content_type=job.content_type,
        fetched_at=job.fetched_at,
    )
    extracted = time.process_time()
    dead_end = result.kind in DEAD_ENDS or result.reason in DEAD_ENDS
    if not job.want_links or dead_end:
        return PageOutcome(result, extract_cpu=extracted - started)
    response = HtmlResponse(
        job.url,
        body=job.body,
        headers={"Content-Type": job.content_type} if job.content_type else None,
    )
    links = page_links(response)
    canonical = first_page = None
    more_pages: list[str] = []
    if result.kind == "article":
        canonical = canonical_link(response)
        url = canonicalize_url(job.url)
        first_page = first_page_url(url, links)
        more_pages = [] if first_page is not None else continuation_urls(url, links)
    linked = time.process_time()
    # Page 2+ of a split article is no article of its own: nothing to prepare.
    article = result.article if result.kind == "article" and first_page is None else None
    prepared = prepare_text(article.title, article.text) if article is not None else None
    return PageOutcome(
        result,
        links,
        canonical,
        first_page,
        more_pages,
        extract_cpu=extracted - started,
        links_cpu=linked - extracted,
        prepared=prepared,
        prepare_cpu=time.process_time() - linked,
    )


def page_links(response: HtmlResponse) -> list[str]:
    """Canonical URLs of the page's ``<a>`` and ``<area>`` links, in page order, once each.

    Left out, as Scrapy's LinkExtractor leaves them: ``rel=nofollow`` (when the first link to
    a URL says so), schemes other than http(s), links to files (images, documents, media).
    """
    try:
        root = response.selector.root
        base = get_base_url(response)
        encoding = response.encoding
    except (ValueError, TypeError) as exc:  # unparsable markup: nothing to follow
        logger.debug("no links extracted from %s: %s", response.url, exc)
        return []
    origin = urljoin(base, "/")
    scheme = urlsplit(base).scheme
    nofollow: dict[str, bool] = {}
    for element in root.iter("a", "area"):
        href = element.get("href")
        if href is None:
            continue
        href = strip_html5_whitespace(href)
        if href.startswith("/") and not href.startswith("//"):
            # The same on every page of the site (navigation): remembered by (origin, href).
            url = _followable_path(origin, href, encoding)
        elif _ABSOLUTE_RE.match(href):
            # Joined against any base of one scheme, it is the same URL: remembered by
            # (scheme, href), as the site's navigation is, rather than joined on every page.
            url = _followable_absolute(scheme, href, encoding)
        else:
            try:
                url = _followable(urljoin(base, href), encoding)
            except ValueError:  # "http://[::1/": not a URL
                continue
        if url is not None and url not in nofollow:
            nofollow[url] = rel_has_nofollow(element.get("rel"))
    return [url for url, skip in nofollow.items() if not skip]


@lru_cache(maxsize=_CANONICAL_CACHE)
def _followable_path(origin: str, path: str, encoding: str) -> str | None:
    try:
        return _followable(urljoin(origin, path), encoding)
    except ValueError:
        return None


@lru_cache(maxsize=_CANONICAL_CACHE)
def _followable_absolute(scheme: str, href: str, encoding: str) -> str | None:
    """``_followable(urljoin(base, href))`` for an absolute ``href`` (a scheme and a host) and
    any ``base`` whose scheme is ``scheme``: ``urljoin`` reads no more of the base then."""
    try:
        return _followable(urljoin(f"{scheme}://", href), encoding)
    except ValueError:
        return None


@lru_cache(maxsize=_CANONICAL_CACHE)
def _followable(url: str, encoding: str) -> str | None:
    """The canonical form of an absolute link, or None when it leads to no page."""
    try:
        safe = safe_url_string(url, encoding=encoding)
        parts = urlsplit(safe)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if posixpath.splitext(parts.path)[1].lower() in _FILE_EXTENSIONS:
        return None
    return canonicalize_url(safe)


def canonical_link(response: HtmlResponse) -> str | None:
    """The page's ``<link rel="canonical">``, absolute and canonicalized, if it has one."""
    try:
        href = response.xpath('//head/link[@rel="canonical"]/@href').get()
    except ValueError:
        return None
    if not href or not href.strip():
        return None
    try:
        return canonicalize_url(response.urljoin(href.strip()))
    except ValueError:  # "http://[::1/": not a URL; the page keeps the URL it was fetched at
        return None


class PageExtractor:
    """How the crawl gets a :class:`PageJob` done: in the extraction pool, or in this process.

    ``NEWSARCHIVE_EXTRACT_WORKERS``: ``auto`` (the default) starts one worker process per core;
    ``N`` starts N; ``0`` extracts in the crawl's own process, on the reactor thread, as before
    the pool existed (for debugging and profiling: one process, no timeout, and a page that
    crashes the extractor crashes the crawl). The pool needs Scrapy's asyncio reactor, which
    the project's settings install; under another reactor the crawl extracts in-process.
    """

    def __init__(self, workers: int, function: str, timeout: float):
        self.workers = workers
        self.function = function
        self.config: PoolConfig | None = (
            PoolConfig(
                workers=workers,
                target=f"{__name__}.process_page",
                args=(function,),
                timeout=timeout,
            )
            if workers > 0
            else None
        )
        self._pool: asyncio.Future[ExtractionPool] | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PageExtractor:
        """From the crawl's settings; a bad value raises ValueError with a one-line message."""
        function = settings.get("NEWSARCHIVE_EXTRACT_FUNCTION") or DEFAULT_EXTRACT_FUNCTION
        try:  # a wrong name fails here, in one line, not in every worker
            extract_function(function)
        except (ImportError, NameError, ValueError, TypeError) as exc:
            raise ValueError(
                f"NEWSARCHIVE_EXTRACT_FUNCTION: cannot use {function!r}: {exc}"
            ) from None
        return cls(
            workers=parse_workers(settings.get("NEWSARCHIVE_EXTRACT_WORKERS")),
            function=function,
            timeout=settings.getfloat("NEWSARCHIVE_EXTRACT_TIMEOUT"),
        )

    def open(self) -> None:
        """Start the pool in the background; pages wait for it in :meth:`run`."""
        if self.config is None or self._pool is not None:
            return
        if not is_asyncio_reactor_installed():
            logger.warning("not the asyncio reactor: extracting pages in the crawl's process")
            self.config = None
            return
        self._pool = asyncio.ensure_future(acquire_pool(self.config))

    async def run(self, job: PageJob) -> PageOutcome:
        """The job's outcome; raises :class:`~crawler.pool.ExtractionFailed`."""
        if self._pool is None:
            return process_page(job, self.function)
        pool = await asyncio.shield(self._pool)
        outcome: PageOutcome = await pool.run(job)
        return outcome

    async def close(self) -> None:
        if self._pool is not None and self.config is not None:
            self._pool = None
            await release_pool(self.config)
