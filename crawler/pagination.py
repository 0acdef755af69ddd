"""Articles split over several pages: find the other pages of one article from its links.

News sites split long articles as ``12345.html``, ``12345_2.html``, ``12345_3.html`` or as
``?page=2``. Page 1 links to the others (a 第1页/第2页/下一页 bar); they link back. These pure
functions read only URLs, so they work whatever the pager looks like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_STEM_RE: Final = re.compile(r"^(?P<stem>.*?)(?:_(?P<page>\d{1,3}))?(?P<ext>\.[a-z]{2,5})$", re.I)
_PAGE_PARAMS: Final = ("page", "p", "pn", "pageno", "pageindex")
#: More pages than this is a trap, not an article.
MAX_ARTICLE_PAGES: Final = 30
#: Distinct URLs whose key and page number a process remembers: a page's 200-400 links are
#: mostly the same navigation on every page, and each was read with ``urlsplit`` and
#: ``parse_qsl`` again for every article (about as much CPU as reading the links).
_PAGE_OF_CACHE: Final = 100_000


@lru_cache(maxsize=_PAGE_OF_CACHE)
def _page_of(url: str) -> tuple[str, int] | None:
    """(key identifying the article, page number) of an article-page URL, or None."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in query:
        if name.lower() in _PAGE_PARAMS and value.isdigit():
            rest = urlencode([(k, v) for k, v in query if k != name])
            return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")), int(value)
    match = _STEM_RE.match(parts.path)
    if match is None:
        return None
    key_path = match.group("stem") + match.group("ext")
    page = int(match.group("page")) if match.group("page") else 1
    return urlunsplit((parts.scheme, parts.netloc, key_path, parts.query, "")), page


def continuation_urls(url: str, links: Iterable[str]) -> list[str]:
    """Pages 2, 3, ... of the article at ``url`` (page 1), in order, found among ``links``."""
    own = _page_of(url)
    if own is None or own[1] != 1:
        return []
    pages: dict[int, str] = {}
    for link in links:
        other = _page_of(link)
        if other is not None and other[0] == own[0] and 1 < other[1] <= MAX_ARTICLE_PAGES:
            pages.setdefault(other[1], link)
    # Only a run 2, 3, ... without gaps: a lone "_7" link is more likely another article.
    ordered: list[str] = []
    for number in range(2, MAX_ARTICLE_PAGES + 1):
        if number not in pages:
            break
        ordered.append(pages[number])
    return ordered


def first_page_url(url: str, links: Iterable[str]) -> str | None:
    """Page 1 of the article when ``url`` is one of its later pages and links back to it."""
    own = _page_of(url)
    if own is None or own[1] == 1:
        return None
    key = own[0]
    for link in links:
        other = _page_of(link)
        if other is not None and other == (key, 1):
            return link
    return None


def is_next_listing_page(page_url: str, url: str) -> bool:
    """True when ``url`` is another page of the paginated listing at ``page_url``.

    ``index.html`` -> ``index_2.html`` (or ``index_1.html`` on sites that count from 1),
    ``list?page=1`` -> ``list?page=2``.
    """
    own, other = _page_of(page_url), _page_of(url)
    return own is not None and other is not None and own[0] == other[0] and url != page_url
