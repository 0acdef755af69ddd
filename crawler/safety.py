"""Downloader middlewares that keep a crawl safe on the hostile web.

Each guards against one kind of trouble and turns it into a counted, logged skip
(``newsarchive/skipped/<reason>``, the spider's convention) rather than a crash, a hang or a
page stored wrong:

- :class:`AddressGuardMiddleware`: every request, first or redirected, is checked against the
  address its host resolves to. A crawl of public sites never reaches a private, loopback,
  link-local or otherwise non-global address (cloud metadata services, the machine's own
  network), nor a non-HTTP scheme.
- :class:`TrapGuardMiddleware`: endless calendars, session IDs in URLs, endless pagination and
  ever-repeating paths are cut off by per-host limits.
- :class:`RobotsTxtGate`: Scrapy's robots.txt middleware, fixed for concurrent first requests
  to a host (Scrapy 2.14-2.19 check only the first of them), and treating a robots.txt that
  answers 5xx or 429 as "disallow everything" (RFC 9309, 2.3.1.4).
- :class:`BackoffRetryMiddleware`: Scrapy's retries, with exponential backoff between tries.
- :class:`RetryAfterMiddleware`: a 429 or 503 with ``Retry-After`` pauses that host (capped),
  then retries.
- :class:`BodyGuardMiddleware`: Scrapy's decompression, with decompression bombs, oversized
  bodies and corrupt encodings counted as skips.
- :class:`RedirectGuardMiddleware`: redirect loops, over-long chains, redirects out of the
  crawl's scope and to non-HTTP schemes are skipped with their reason.

Address checks are pure functions (:func:`is_public_address`, :func:`embedded_ipv4`), tested
without any network.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import re
import socket
import time
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor as _reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from crawler.urls import classify_url

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SKIP_PREFIX: Final = "newsarchive/skipped/"

# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local use): the last 32 bits are an IPv4 address.
_NAT64: Final = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
# IPv4-compatible IPv6 (deprecated ::a.b.c.d); ::/96 holds :: and ::1 too, handled apart.
_IPV4_COMPATIBLE: Final = ipaddress.IPv6Network("::/96")


class SafetySkip(IgnoreRequest):
    """A request refused or a response dropped for a safety reason, already counted and logged.

    ``reason`` is the skip's statistics key (``newsarchive/skipped/<reason>``); ``counted`` tells
    the spider's errback not to count it a second time.
    """

    counted = True

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def skip(crawler: Crawler, request: Request, reason: str, detail: str) -> SafetySkip:
    """Count and log a skip of ``request``; returns the exception to raise."""
    # Scrapy's own robots.txt requests are not pages: log them, count nothing.
    if not request.meta.get("dont_obey_robotstxt") and crawler.stats is not None:
        crawler.stats.inc_value(f"{SKIP_PREFIX}{reason}")
    logger.info("skipped (%s): %s: %s", reason, request.url, detail)
    return SafetySkip(reason, detail)


async def _sleep(seconds: float) -> None:
    """Wait without blocking the reactor (works with any Twisted reactor)."""
    if seconds > 0:
        await maybe_deferred_to_future(deferLater(_reactor, seconds, lambda: None))


# -- addresses -------------------------------------------------------------------------------


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the forms that carry one.

    IPv4-mapped (``::ffff:10.0.0.1``), IPv4-compatible (``::10.0.0.1``), 6to4
    (``2002:0a00:0001::``), Teredo (client address) and NAT64 (``64:ff9b::10.0.0.1``). Traffic to
    these can reach the IPv4 address inside, so that address is the one to judge.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    for network in _NAT64:
        if address in network:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress, blocked: Iterable[IPNetwork] = ()) -> bool:
    """True when ``address`` is globally routable and not in ``blocked``.

    Private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 with the
    cloud metadata address 169.254.169.254, fe80::/10), shared (100.64/10, Alibaba's metadata
    100.100.100.200), reserved and documentation ranges are not public; nor is an IPv6 address
    whose embedded IPv4 address (see :func:`embedded_ipv4`) is not.
    """
    candidates: list[IPAddress] = [address]
    inner = embedded_ipv4(address)
    if inner is not None:
        candidates.append(inner)
    for candidate in candidates:
        if not candidate.is_global or candidate.is_multicast:
            return False
        if any(candidate.version == net.version and candidate in net for net in blocked):
            return False
    # Teredo (2001::/32) relays tunnel to anywhere; is_global is already False for it, but
    # keep it explicit.
    return not (isinstance(address, ipaddress.IPv6Address) and address.teredo is not None)


def in_networks(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """True when ``address``, or the IPv4 address inside it, is in one of ``networks``."""
    candidates: list[IPAddress] = [address]
    inner = embedded_ipv4(address)
    if inner is not None:
        candidates.append(inner)
    return any(c.version == n.version and c in n for c in candidates for n in networks)


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings (``127.0.0.2/32``, ``fd00::/8``) as networks; a bad one is a ValueError."""
    networks: list[IPNetwork] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"NEWSARCHIVE_BLOCKED_NETWORKS: {text!r} is not a network") from exc
    return tuple(networks)


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is written as one (``[::1]`` brackets removed)."""
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class AddressPolicy:
    """Which addresses a crawl may connect to.

    ``allow_private``: True allows non-public addresses, False refuses them, None ("auto")
    allows them only for hosts that a start URL names and whose first address was itself not
    public (the demo, a test site, an intranet the operator pointed at). Addresses in
    ``blocked`` are refused in every mode, even for start URLs.
    """

    def __init__(
        self,
        allow_private: bool | None,
        blocked: tuple[IPNetwork, ...],
        start_hosts: Iterable[str] = (),
    ) -> None:
        self.allow_private = allow_private
        self.blocked = blocked
        self.start_hosts = frozenset(h.lower() for h in start_hosts)
        #: host -> whether its first address was private (decided once, against rebinding).
        self._private_start: dict[str, bool] = {}

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why a connection to ``address`` for ``host`` is refused; None when it is allowed."""
        if in_networks(address, self.blocked):
            return f"{address} is in NEWSARCHIVE_BLOCKED_NETWORKS"
        public = is_public_address(address)
        host = host.lower()
        if host in self.start_hosts and host not in self._private_start:
            self._private_start[host] = not public
        if public or self.allow_private is True:
            return None
        if self.allow_private is None and self._private_start.get(host, False):
            return None
        return f"{address} is not a public address"


def _truthy(value: Any) -> bool | None:
    """The NEWSARCHIVE_ALLOW_PRIVATE value: True, False, or None for "auto"."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "auto"):
        return None
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"NEWSARCHIVE_ALLOW_PRIVATE: expected auto, true or false, got {value!r}")


def address_settings(settings: BaseSettings) -> tuple[bool | None, tuple[IPNetwork, ...]]:
    """``NEWSARCHIVE_ALLOW_PRIVATE`` (None: auto) and ``NEWSARCHIVE_BLOCKED_NETWORKS``, read."""
    allow = _truthy(settings.get("NEWSARCHIVE_ALLOW_PRIVATE", "auto"))
    return allow, parse_networks(settings.getlist("NEWSARCHIVE_BLOCKED_NETWORKS"))


def allowed_address(
    host: str, port: int, policy: AddressPolicy, resolve: Any = socket.getaddrinfo
) -> IPAddress:
    """The first address of ``host`` that ``policy`` allows, to connect to that very address.

    For connections made outside Scrapy's downloader (the alert webhook): the same policy as
    :class:`AddressGuardMiddleware`, resolved once, so that a second lookup cannot answer
    otherwise. Raises :class:`OSError` when the host does not resolve, and :class:`ValueError`
    with the policy's reason when no address of it is allowed.
    """
    literal = literal_address(host)
    if literal is not None:
        candidates = [literal]
    else:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
        candidates = []
        for info in infos:
            address = literal_address(str(info[4][0]))
            if address is not None and address not in candidates:
                candidates.append(address)
    reasons = []
    for address in candidates:
        reason = policy.refusal(host, address)
        if reason is None:
            return address
        reasons.append(reason)
    raise ValueError(reasons[0] if reasons else f"{host} has no address")


class AddressGuardMiddleware:
    """Refuses requests to non-HTTP schemes and to addresses the crawl must not reach.

    The host is resolved through the reactor's resolver, which is Scrapy's caching resolver, so
    the address checked is the address then connected to. Redirected requests come back through
    here, so a public page cannot redirect the crawl into the machine's own network.
    """

    def __init__(
        self, crawler: Crawler, allow_private: bool | None, blocked: tuple[IPNetwork, ...]
    ):
        self.crawler = crawler
        self.allow_private = allow_private
        self.blocked = blocked
        self._policy: AddressPolicy | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        allow, blocked = address_settings(crawler.settings)
        return cls(crawler, allow, blocked)

    @property
    def policy(self) -> AddressPolicy:
        if self._policy is None:
            spider = self.crawler.spider
            urls = [
                *getattr(spider, "start_urls", ()),
                *getattr(spider, "feeds", ()),
                *getattr(spider, "sitemaps", ()),
            ]
            hosts = {urlsplit(u).hostname or "" for u in urls}
            self._policy = AddressPolicy(self.allow_private, self.blocked, hosts - {""})
        return self._policy

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            raise skip(self.crawler, request, "bad_scheme", f"scheme {parts.scheme!r} refused")
        host = parts.hostname or ""
        address = literal_address(host)
        if address is None:
            try:
                resolved = await maybe_deferred_to_future(_reactor.resolve(host))  # type: ignore[arg-type]
            except Exception:  # the download fails the same way, and is counted then
                return
            address = literal_address(str(resolved))
            if address is None:
                return
        reason = self.policy.refusal(host, address)
        if reason is not None:
            raise skip(self.crawler, request, "blocked_address", f"{host}: {reason}")


# -- traps -----------------------------------------------------------------------------------

# Query parameters that carry a session, whatever their value looks like.
_SESSION_PARAM_RE: Final = re.compile(
    r"^(?:s|sid|ssid|sess|session|sessid|session_?id|jsessionid|phpsessid|aspsessionid\w*"
    r"|cfid|cftoken|zenid|oscsid|token|sessiontoken)$",
    re.IGNORECASE,
)
# ASP.NET cookieless sessions put the session in a path segment: /(S(abc123...))/page.aspx.
_SESSION_SEGMENT_RE: Final = re.compile(r"^\((?:[A-Z]\([^()/]*\))+\)$")
# Dates in paths and query values: 2024-06-01, 20240601, 2024/06/01, 2024-06.
_DATE_RE: Final = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:[-/_.]?(?:0?[1-9]|1[0-2]))(?:[-/_.]?\d{1,2})?(?!\d)"
)
_CALENDAR_PARAM_RE: Final = re.compile(
    r"^(?:date|day|month|year|ym|ymd|cal|calendar|d|m|y|from|to|start_?date|end_?date)$",
    re.IGNORECASE,
)
_PAGE_PARAM_RE: Final = re.compile(
    r"^(?:page|p|pn|pg|pageno|pagenum|page_?index|start|offset)$", re.IGNORECASE
)
# index_3.html, list_12.shtml, node_5_2.htm, /page/7/, /p/7
_PATH_PAGE_RE: Final = re.compile(
    r"(?:_\d{1,6}(?=\.[a-z]{2,5}$)|(?<=/)(?:page|p)/\d{1,6}(?=/?$))", re.IGNORECASE
)


def session_key(url: str) -> str | None:
    """``url`` with its session parameters masked, or None when it has none."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    masked_path = "/".join("(S)" if _SESSION_SEGMENT_RE.match(s) else s for s in segments)
    query = parse_qsl(parts.query, keep_blank_values=True)
    masked_query = [(k, "*" if _SESSION_PARAM_RE.match(k) else v) for k, v in query]
    if masked_path == parts.path and masked_query == query:
        return None
    return f"{parts.netloc}{masked_path}?{sorted(masked_query)}"


def calendar_key(url: str) -> str | None:
    """``url`` with its dates masked, or None when it carries no date."""
    parts = urlsplit(url)
    masked_path = _DATE_RE.sub("D", parts.path)
    query = parse_qsl(parts.query, keep_blank_values=True)
    masked_query = [
        (k, "D" if _CALENDAR_PARAM_RE.match(k) and re.fullmatch(r"[\d\-/_.]{1,12}", v) else v)
        for k, v in query
    ]
    masked_query = [(k, _DATE_RE.sub("D", v)) for k, v in masked_query]
    if masked_path == parts.path and masked_query == query:
        return None
    return f"{parts.netloc}{masked_path}?{sorted(masked_query)}"


def listing_key(url: str) -> str | None:
    """``url`` without its page number, or None when it has none."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    rest = [(k, v) for k, v in query if not (_PAGE_PARAM_RE.match(k) and v.isdigit())]
    path = _PATH_PAGE_RE.sub("", parts.path)
    if path == parts.path and rest == query:
        return None
    return f"{parts.netloc}{path}?{sorted(rest)}"


def repeated_segment(url: str, limit: int) -> str | None:
    """A path segment that occurs more than ``limit`` times (``/a/b/a/b/a/b/...``), if any."""
    counts: dict[str, int] = {}
    for segment in urlsplit(url).path.split("/"):
        if segment:
            counts[segment] = counts.get(segment, 0) + 1
            if counts[segment] > limit:
                return segment
    return None


class _Quota:
    """At most ``limit`` distinct URLs per key; a URL seen before always passes again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: dict[str, set[str]] = {}

    def admit(self, key: str, url: str) -> bool:
        seen = self._seen.setdefault(key, set())
        if url in seen:
            return True
        if len(seen) >= self.limit:
            return False
        seen.add(url)
        return True


class TrapGuardMiddleware:
    """Stops crawler traps with per-host limits; each limit is a setting, 0 turns it off.

    - ``NEWSARCHIVE_MAX_URL_VARIANTS``: URLs of one page that differ only in a session ID
      (``?sid=``, ``/(S(...))/``) (reason ``trap_session_ids``);
    - ``NEWSARCHIVE_MAX_CALENDAR_PAGES``: non-article URLs that differ only in a date
      (``?date=2024-06-01``, ``/calendar/2024/06/01/``) (reason ``trap_calendar``);
    - ``NEWSARCHIVE_MAX_LISTING_PAGES``: pages of one paginated listing (reason
      ``listing_page_limit``);
    - ``NEWSARCHIVE_MAX_PATH_REPEATS``: times one path segment may recur (reason
      ``trap_repeated_path``).

    Feeds, sitemaps and robots.txt are not limited here (discovery caps those).
    """

    _EXEMPT_KINDS: Final = frozenset({"robots", "feed", "sitemap"})

    def __init__(
        self,
        crawler: Crawler,
        *,
        variants: int,
        calendar: int,
        listing: int,
        path_repeats: int,
    ) -> None:
        self.crawler = crawler
        self.variants = _Quota(variants) if variants > 0 else None
        self.calendar = _Quota(calendar) if calendar > 0 else None
        self.listing = _Quota(listing) if listing > 0 else None
        self.path_repeats = path_repeats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapGuardMiddleware:
        s = crawler.settings
        return cls(
            crawler,
            variants=s.getint("NEWSARCHIVE_MAX_URL_VARIANTS"),
            calendar=s.getint("NEWSARCHIVE_MAX_CALENDAR_PAGES"),
            listing=s.getint("NEWSARCHIVE_MAX_LISTING_PAGES"),
            path_repeats=s.getint("NEWSARCHIVE_MAX_PATH_REPEATS"),
        )

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if meta.get("dont_obey_robotstxt") or meta.get("na_kind") in self._EXEMPT_KINDS:
            return
        url = request.url
        if self.path_repeats > 0:
            segment = repeated_segment(url, self.path_repeats)
            if segment is not None:
                raise skip(
                    self.crawler,
                    request,
                    "trap_repeated_path",
                    f"path segment {segment!r} recurs more than {self.path_repeats} times",
                )
        if self.variants is not None:
            key = session_key(url)
            if key is not None and not self.variants.admit(key, url):
                raise skip(
                    self.crawler,
                    request,
                    "trap_session_ids",
                    f"more than {self.variants.limit} session-ID variants of one URL",
                )
        if classify_url(url) == "article" and meta.get("na_kind") != "listing":
            return
        if self.calendar is not None:
            key = calendar_key(url)
            if key is not None and not self.calendar.admit(key, url):
                raise skip(
                    self.crawler,
                    request,
                    "trap_calendar",
                    f"more than {self.calendar.limit} dated pages of one calendar",
                )
        if self.listing is not None:
            key = listing_key(url)
            if key is not None and not self.listing.admit(key, url):
                raise skip(
                    self.crawler,
                    request,
                    "listing_page_limit",
                    f"more than {self.listing.limit} pages of one listing",
                )


# -- robots.txt ------------------------------------------------------------------------------

_DISALLOW_ALL: Final = b"User-agent: *\nDisallow: /\n"


class RobotsTxtGate(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with two fixes.

    1. Concurrent first requests. Scrapy 2.14-2.19 park every request to a new host on one
       Deferred while robots.txt downloads; the first awaiter's callback returns None, so every
       later awaiter gets None for "no parser" and is let through unchecked. Here a request that
       got None looks the host's parser up again once robots.txt is parsed.
    2. A robots.txt answering 5xx (or 429) means "disallow everything" (RFC 9309 2.3.1.4), not
       a page of junk to parse as rules; a 4xx other than 429 means "allow everything".
    """

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        if parser is None:
            # Parsed meanwhile (the Deferred bug above), or None for good (robots.txt failed).
            current = self._parsers.get(urlparse_cached(request).netloc)
            return None if isinstance(current, Deferred) else current
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            logger.warning(
                "robots.txt of %s answered %d: the host is treated as disallowed",
                netloc,
                response.status,
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsarchive/robots_txt_unavailable")
            response = response.replace(body=_DISALLOW_ALL)
        elif 400 <= response.status < 500:
            response = response.replace(body=b"")
        await super()._parse_robots(response, netloc, request)


# -- retries ---------------------------------------------------------------------------------


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting ``base * 2**(n-1)`` seconds (capped) before the n-th retry.

    The wait holds only the request being retried, not its host's other downloads.
    ``NEWSARCHIVE_RETRY_BACKOFF_BASE`` (0 turns backoff off) and
    ``NEWSARCHIVE_RETRY_BACKOFF_MAX`` set it.
    """

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        middleware.backoff_base = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_BASE")
        middleware.backoff_max = crawler.settings.getfloat("NEWSARCHIVE_RETRY_BACKOFF_MAX")
        return middleware

    backoff_base: float = 0.0
    backoff_max: float = 0.0

    def backoff(self, retry_times: int) -> float:
        """Seconds to wait before retry number ``retry_times`` (1, 2, ...)."""
        if self.backoff_base <= 0:
            return 0.0
        return float(min(self.backoff_base * 2 ** max(retry_times - 1, 0), self.backoff_max))

    async def _wait(self, result: Request | Response | None) -> Any:
        if isinstance(result, Request):
            delay = self.backoff(int(result.meta.get("retry_times", 1)))
            if delay:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("newsarchive/retry_backoff_ms", int(delay * 1000))
                await _sleep(delay)
        return result

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        return await self._wait(super().process_exception(request, exception))


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (seconds or HTTP date); None if unreadable."""
    text = value.strip()
    if text.isdigit():
        return float(int(text[:9]))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """A 429 or 503 with ``Retry-After`` pauses its host for that long, then the page is retried.

    The pause is capped at ``NEWSARCHIVE_RETRY_AFTER_MAX`` seconds. It starts the moment the
    response arrives (the ``response_downloaded`` signal, before Scrapy hands the host's download
    slot its next request): the slot's queue is held, and requests not yet queued wait in
    ``process_request``, so the host sees nothing from the crawl until the pause is over.
    Retries count against ``RETRY_TIMES``; a response without ``Retry-After`` is left to
    :class:`BackoffRetryMiddleware`.
    """

    def __init__(self, crawler: Crawler, max_pause: float) -> None:
        self.crawler = crawler
        self.max_pause = max_pause
        self._paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler, crawler.settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX"))
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    @staticmethod
    def _host(request: Request) -> str:
        return (urlparse_cached(request).hostname or "").lower()

    def pause_for(self, response: Response) -> float | None:
        """Seconds to pause the host for ``response`` (capped); None when it asks for no pause."""
        if response.status not in (429, 503):
            return None
        header = response.headers.get(b"Retry-After")
        if not header:
            return None
        seconds = parse_retry_after(header.decode("latin-1"))
        return None if seconds is None else min(seconds, self.max_pause)

    def response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        pause = self.pause_for(response)
        if pause is None or request.meta.get("dont_retry"):
            return
        host = self._host(request)
        until = time.monotonic() + pause
        if until <= self._paused_until.get(host, 0.0):
            return
        self._paused_until[host] = until
        self._hold_slot(request, pause)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsarchive/host_paused")
        logger.info(
            "%s answered %d with Retry-After: pausing %s for %.1f s",
            request.url,
            response.status,
            host,
            pause,
        )

    def _hold_slot(self, request: Request, seconds: float) -> None:
        """Hold the download slot's queue for ``seconds`` (Scrapy's own delay mechanism)."""
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        key = request.meta.get("download_slot")
        slot = getattr(downloader, "slots", {}).get(key) if downloader is not None else None
        if slot is None or not hasattr(slot, "latercall") or downloader is None:
            return  # process_request still holds new requests
        if slot.latercall is not None:
            slot.latercall.cancel()

        def resume() -> None:
            slot.latercall = None
            downloader._process_queue(slot)

        slot.latercall = call_later(seconds, resume)

    async def process_request(self, request: Request) -> None:
        until = self._paused_until.get(self._host(request))
        if until is not None:
            remaining = until - time.monotonic()
            if remaining > 0:
                await _sleep(remaining)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or self.pause_for(response) is None:
            return response
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=f"{response.status} Retry-After"
        )
        return response if retry is None else retry


# -- bodies ----------------------------------------------------------------------------------


# Modules whose exceptions mean "this body does not decode" (brotli and zstd have no common base).
_DECODER_MODULES: Final = frozenset({"brotli", "_brotli", "brotlicffi", "compression", "backports"})


class BodyGuardMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (gzip, deflate, br, zstd), bounded by ``DOWNLOAD_MAXSIZE``, with
    what goes wrong turned into skips.

    Scrapy 2.19 already stops inflating at ``DOWNLOAD_MAXSIZE`` and raises IgnoreRequest; here
    that is counted as ``decompression_bomb``. A body over ``DOWNLOAD_MAXSIZE`` on the wire
    (announced or received) is ``too_large``; a body that does not decode is ``bad_encoding``.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyGuardMiddleware:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler=crawler)
        middleware.crawler = crawler
        return middleware

    crawler: Crawler

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request, response)
        except SafetySkip:
            raise
        except IgnoreRequest as exc:
            raise skip(self.crawler, request, "decompression_bomb", str(exc)) from None
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            raise skip(
                self.crawler, request, "bad_encoding", f"{type(exc).__name__}: {exc}"
            ) from None
        except Exception as exc:  # brotli.error and zstd errors have no common base
            if type(exc).__module__.split(".")[0] in _DECODER_MODULES:
                raise skip(
                    self.crawler, request, "bad_encoding", f"{type(exc).__name__}: {exc}"
                ) from None
            raise

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError):
            # Scrapy cancels a download over DOWNLOAD_MAXSIZE (announced or received).
            message = str(exception)
            if not message or "max size" in message:
                limit = request.meta.get("download_maxsize", self._max_size)
                raise skip(
                    self.crawler, request, "too_large", f"body over DOWNLOAD_MAXSIZE ({limit} B)"
                ) from None


# -- redirects -------------------------------------------------------------------------------

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return host
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port in (None, default_port) else f"{host}:{port}"


class RedirectGuardMiddleware:
    """Checks every HTTP redirect before Scrapy follows it.

    Skips with reason: ``redirect_scheme`` (to anything but http(s): ``file:``, ``ftp:``,
    ``gopher:``...), ``redirect_loop`` (back to a URL of its own chain), ``redirect_too_long``
    (more than ``REDIRECT_MAX_TIMES`` hops), ``redirect_offsite`` (to a host outside the crawl's
    scope: the hosts of its start URLs, feeds and sitemaps and a profile's ``allowed_hosts``).
    Where a redirect leads by address is the :class:`AddressGuardMiddleware`'s to judge.
    """

    def __init__(self, crawler: Crawler, max_hops: int) -> None:
        self.crawler = crawler
        self.max_hops = max_hops

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        if not crawler.settings.getbool("REDIRECT_ENABLED"):
            raise NotConfigured
        return cls(crawler, crawler.settings.getint("REDIRECT_MAX_TIMES"))

    def in_scope(self, url: str) -> bool:
        """Whether ``url``'s host is one the crawl covers (a start URL's, or an allowed host)."""
        spider = self.crawler.spider
        netloc = _netloc(url)
        if any(netloc == getattr(scope, "host", None) for scope in getattr(spider, "scopes", ())):
            return True
        profile = getattr(spider, "profile", None)
        return profile is not None and bool(profile.allows_host(url))

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in _REDIRECT_STATUSES or request.meta.get("dont_redirect"):
            return response
        if response.status in request.meta.get("handle_httpstatus_list", ()):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        raw = location.decode("latin-1").strip()
        try:
            target = urljoin(request.url, raw)
            scheme = urlsplit(target).scheme.lower()
        except ValueError:
            raise skip(
                self.crawler, request, "redirect_invalid", f"unreadable Location {raw[:200]!r}"
            ) from None
        if scheme not in ("http", "https"):
            raise skip(
                self.crawler, request, "redirect_scheme", f"redirect to {target[:200]!r} refused"
            )
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#", 1)[0] in {u.split("#", 1)[0] for u in chain}:
            raise skip(
                self.crawler,
                request,
                "redirect_loop",
                f"redirect back to {target} after {len(chain)} hops",
            )
        if len(chain) > self.max_hops:
            raise skip(
                self.crawler,
                request,
                "redirect_too_long",
                f"more than {self.max_hops} redirects (REDIRECT_MAX_TIMES)",
            )
        if request.meta.get("dont_obey_robotstxt"):
            return response  # robots.txt may redirect to another host (RFC 9309 2.3.1.2)
        if _netloc(target) != _netloc(request.url) and not self.in_scope(target):
            raise skip(
                self.crawler,
                request,
                "redirect_offsite",
                f"redirect to {target[:200]} is outside the crawl's scope",
            )
        return response
