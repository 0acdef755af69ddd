"""URL rules, as pure functions: canonical form, what a URL looks like, and crawl scope.

Canonicalization builds on w3lib (the library Scrapy itself uses): it sorts the query, normalises
percent-encoding and drops the fragment. On top of that the tracking parameters that news sites
and their share buttons add are removed, so that one article keeps one URL.

``classify_url`` only guesses from the URL's shape. Whether a page is archived is decided later,
from its content (``crawler.extraction``); the guess decides what is followed and how eagerly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url

UrlKind = Literal["article", "listing", "asset", "other"]

#: Query parameters that identify a visit, not a page.
TRACKING_PARAMS: Final = frozenset(
    {
        "from",
        "spm",
        "share",
        "share_token",
        "sharesource",
        "isappinstalled",
        "scene",
        "clicktime",
        "enterid",
        "fbclid",
        "gclid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "wfr",
        "_hsenc",
        "_hsmi",
        "jsessionid",
        "phpsessid",
        "sessionid",
    }
)
_TRACKING_PREFIXES: Final = ("utm_", "pk_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")

#: File types that are never pages.
_ASSET_RE: Final = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|css|js|mjs|json|xml|rss|atom|pdf|docx?|xlsx?|pptx?"
    r"|zip|rar|7z|gz|tgz|bz2|exe|apk|dmg|mp[34]|m4a|m4v|avi|mov|wmv|flv|wav|ogg|webm|woff2?|ttf|eot)$",
    re.IGNORECASE,
)
# Shapes of article URLs on Chinese and international news sites: a date in the path
# (/2024/0520/, /2024-05-20/, /20240520/, t20240520_123.html), a long numeric id in the last
# segment, or a CMS content prefix (post_123, content_123, art_123, detail).
_ARTICLE_RES: Final = (
    re.compile(r"/(?:19|20)\d{2}[-/_]?(?:0[1-9]|1[0-2])(?:[-/_]?(?:0[1-9]|[12]\d|3[01]))?/"),
    re.compile(r"/t?(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])_\d+\.s?html?$"),
    re.compile(r"/[^/]*\d{5,}[^/]*\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE),
    re.compile(r"/(?:post|content|art|article|detail|news|show)[_-]?\d+", re.IGNORECASE),
    re.compile(r"/(?:article|story|news|detail)s?/[^/]+-[^/]+/?$", re.IGNORECASE),
)
# Listing shapes: an index page (index_2.html, list_3.shtml), a folder, or a page number.
_LISTING_RE: Final = re.compile(
    r"/(?:index|list|default|node_\d+)(?:[_-]\d+)?\.(?:s?html?|php|aspx?|jsp)$|/$",
    re.IGNORECASE,
)
_PAGE_PARAM_RE: Final = re.compile(r"(?:^|&)(?:page|p|pn|pageno|pageindex)=\d+", re.IGNORECASE)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """The canonical form of ``url``: one article, one URL.

    Lower-cased scheme and host, default port dropped, path percent-encoding normalised, query
    sorted without tracking parameters, fragment and ``;jsessionid=`` path parameters dropped.
    Idempotent: ``canonicalize_url(canonicalize_url(u)) == canonicalize_url(u)``. A URL whose
    host or port cannot be read (``http://[::1/``, port 99999) is returned stripped, as given:
    it will fail where it is fetched, and be counted there.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    path = re.sub(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, path or "/", query, ""))
    try:
        return str(w3lib_canonicalize_url(rebuilt, keep_fragments=False))
    except ValueError:
        return rebuilt


def classify_url(url: str) -> UrlKind:
    """Guess from its shape what ``url`` leads to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "other"
    path = parts.path or "/"
    if _ASSET_RE.search(path):
        return "asset"
    if any(pattern.search(path) for pattern in _ARTICLE_RES) and not _LISTING_RE.search(path):
        return "article"
    if _LISTING_RE.search(path) or _PAGE_PARAM_RE.search(parts.query):
        return "listing"
    return "other"


@dataclass(frozen=True, slots=True)
class Scope:
    """What one start URL lets a crawl follow: its host, and listings under its folder."""

    scheme: str
    host: str
    path_prefix: str

    def allows(self, url: str) -> bool:
        """Articles anywhere on the host; other pages only under the start URL's folder."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _netloc(url) != self.host:
            return False
        kind = classify_url(url)
        if kind == "asset":
            return False
        if kind == "article":
            return True
        return (parts.path or "/").startswith(self.path_prefix)


def _netloc(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port in (None, default_port) else f"{host}:{port}"


def scope_for(start_url: str) -> Scope:
    """The scope of a crawl started at ``start_url``."""
    parts = urlsplit(start_url)
    path = parts.path or "/"
    folder = path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"
    return Scope(scheme=parts.scheme, host=_netloc(start_url), path_prefix=folder)


def in_any_scope(url: str, scopes: tuple[Scope, ...]) -> bool:
    return any(scope.allows(url) for scope in scopes)
