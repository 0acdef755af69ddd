"""The news spider: start pages -> listings, pagination and related links -> article items.

``scrapy crawl news -a start_urls=URL[,URL...] [-a max_pages=N] [-a db=DB_URL]`` and
``newsarchive crawl URL... [--max-pages N] [--db DB_URL]`` run this spider with the same
arguments. Every fetched HTML page is classified from its content; article pages become
:class:`~crawler.items.ArticleItem`, everything else is only followed (or skipped) and counted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.record import content_hash, site_of
from archive.store import RawPageData
from crawler.extraction import PageResult, extract_page
from crawler.items import ArticleItem
from crawler.middlewares import PageLimitReached
from crawler.pagination import continuation_urls, first_page_url
from crawler.urls import Scope, canonicalize_url, classify_url, in_any_scope, scope_for

DEFAULT_CONTACT_URL = "https://github.com/newsarchive/newsarchive"

try:
    __version__ = version("newsarchive")
except PackageNotFoundError:  # running from a checkout that was not installed
    __version__ = "0+unknown"

logger = logging.getLogger(__name__)

_PROJECT_PRIORITY = 20  # Scrapy's priority of settings.py values; -s on the command line is 40


def user_agent(contact_url: str | None) -> str:
    """``$NEWSARCHIVE_USER_AGENT``, else one that names the tool, its version and a contact URL."""
    explicit = os.environ.get("NEWSARCHIVE_USER_AGENT")
    if explicit:
        return explicit
    return f"newsarchive/{__version__} (+{contact_url or DEFAULT_CONTACT_URL})"


# Pages whose links are not followed: nothing there, or an error page (whose links are only the
# site's navigation, reached from elsewhere anyway). A "too_short" page may still be a listing.
_DEAD_ENDS = frozenset({"empty", "not_html", "soft_404", "extraction_failed"})

# Articles first: under a page limit, a crawl archives more when it fetches what it found.
_PRIORITY = {"article": 10, "listing": 0, "other": -5, "asset": -10}


def parse_start_urls(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Start URLs from a spider argument: a list, or one string separated by commas or spaces."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return [url.strip() for url in items if url.strip()]


class NewsSpider(Spider):
    """Crawls news sites from their start pages and yields their articles."""

    name = "news"

    def __init__(
        self,
        start_urls: str | list[str] | None = None,
        max_pages: str | int | None = None,
        db: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_urls = parse_start_urls(start_urls)
        if not self.start_urls:
            raise ValueError("no start URL: pass -a start_urls=URL[,URL...]")
        for url in self.start_urls:
            if classify_url(url) == "other" and not url.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {url!r}")
        self.max_pages = int(max_pages) if max_pages not in (None, "", 0, "0") else 0
        self.db_url = db or None
        self.scopes: tuple[Scope, ...] = tuple(scope_for(u) for u in self.start_urls)
        self._start_set = {canonicalize_url(u) for u in self.start_urls}
        self._links = LinkExtractor(unique=True, canonicalize=False)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
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
        return spider

    def _on_response(self, response: Response, request: Request, spider: Spider) -> None:
        stats = self.crawler.stats
        if stats is None or request.meta.get("dont_obey_robotstxt"):  # robots.txt: not a page
            return
        stats.inc_value("newsarchive/pages_fetched")
        if canonicalize_url(request.url) in self._start_set:
            stats.inc_value("newsarchive/start_urls_fetched")

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            yield Request(url, callback=self.parse, errback=self.on_error, priority=100)

    def _extract(self, response: Response) -> tuple[PageResult, datetime] | None:
        """Extract ``response``; None (and a counted skip) when it is not an HTML page."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or (
            content_type and "html" not in content_type.lower()
        ):
            self._skip("not_html", response.url)
            return None
        fetched_at = datetime.now(UTC)
        result = extract_page(
            response.body,
            response.url,
            http_charset=_charset_of(content_type),
            content_type=content_type or None,
            fetched_at=fetched_at,
        )
        return result, fetched_at

    def parse(self, response: Response, **_kwargs: Any) -> Iterator[Request | ArticleItem]:
        extracted = self._extract(response)
        if extracted is None:
            return
        result, fetched_at = extracted
        assert isinstance(response, TextResponse)
        dead_end = result.kind in _DEAD_ENDS or result.reason in _DEAD_ENDS
        links = [] if dead_end else self._page_links(response)
        url = canonicalize_url(response.url)
        more_pages: list[str] = []
        if result.kind == "article":
            first = first_page_url(url, links)
            if first is not None:  # page 2+ of an article: archived with its page 1
                self._skip("continuation_page", response.url)
                links = [first, *links]
                result = PageResult(kind="listing", article=None, reason="continuation_page")
            else:
                more_pages = continuation_urls(url, links)
        yield from self._follow(links, exclude=set(more_pages))
        if result.kind != "article" or result.article is None:
            self._skip(result.reason or result.kind, response.url)
            return
        record = result.article
        record.url = url
        record.site = site_of(url)
        item = ArticleItem(record=record, raw=_raw_page(response, fetched_at))
        if more_pages:
            yield self._next_part(item, more_pages)
            return
        self._count_article()
        yield item

    def _next_part(self, item: ArticleItem, pages: list[str]) -> Request:
        return Request(
            pages[0],
            callback=self.parse_part,
            errback=self.on_part_error,
            cb_kwargs={"item": item, "pages": pages[1:]},
            priority=_PRIORITY["article"] + 1,
        )

    def parse_part(
        self, response: Response, item: ArticleItem, pages: list[str]
    ) -> Iterator[Request | ArticleItem]:
        """Page 2+ of a split article: its text is appended to the item of page 1."""
        extracted = self._extract(response)
        if extracted is not None and extracted[0].article is not None:
            part = extracted[0].article
            record = item.record
            record.text = f"{record.text}\n{part.text}" if record.text else part.text
            record.content_hash = content_hash(record.title, record.text)
            self.crawler.stats.inc_value("newsarchive/article_parts_merged")
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

    def _count_article(self) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsarchive/articles_extracted")

    def _page_links(self, response: TextResponse) -> list[str]:
        """Canonical URLs of the page's links, in page order."""
        try:
            links = self._links.extract_links(response)
        except (ValueError, TypeError) as exc:  # unparsable markup: nothing to follow
            logger.debug("no links extracted from %s: %s", response.url, exc)
            return []
        return [canonicalize_url(link.url) for link in links if not link.nofollow]

    def _follow(self, links: list[str], exclude: set[str]) -> Iterator[Request]:
        for url in links:
            if url in exclude or not in_any_scope(url, self.scopes):
                continue
            yield Request(
                url,
                callback=self.parse,
                errback=self.on_error,
                priority=_PRIORITY.get(classify_url(url), 0),
            )

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
        if isinstance(error, HttpError):
            self._skip(f"http_{error.response.status}", request.url)
        elif isinstance(error, IgnoreRequest):
            self._skip("robots_txt" if "robots" in str(error).lower() else "ignored", request.url)
        else:
            kind = failure.type.__name__ if failure.type else "error"
            stats.inc_value(f"newsarchive/errors/{kind}")
            logger.warning("error fetching %s: %s", request.url, failure.getErrorMessage())


def _raw_page(response: Response, fetched_at: datetime) -> RawPageData:
    return RawPageData(
        url=response.url,
        status=response.status,
        headers={
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        },
        body=response.body,
        fetched_at=fetched_at,
    )


def _charset_of(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
