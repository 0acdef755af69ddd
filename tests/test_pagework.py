"""What a worker does with a page (crawler/pagework.py): the same links as Scrapy's
LinkExtractor, the canonical link, split-article pages, dead ends, and the in-process path."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from archive.search import prepare_search_text
from archive.textkey import text_key
from crawler.pagework import PageExtractor, PageJob, page_links, process_page
from crawler.urls import canonicalize_url
from newsarchive.testsite import SyntheticSite

FETCHED_AT = datetime(2024, 6, 2, tzinfo=UTC)

TRICKY_LINKS = """<!DOCTYPE html><html><head><meta charset="gbk"><title>链接</title>
<base href="http://news.example.cn/zh/news/"></head><body>
<a href="2024/0601/t20240601_1.html">relative to the base</a>
<a href="/zh/news/index_2.html">root-relative</a>
<a href=" /zh/news/index_3.html
">whitespace around</a>
<a href="//news.example.cn/zh/other.html">scheme-relative</a>
<a href="http://news.example.cn/a.html?utm_source=x&amp;id=2#top">tracking and fragment</a>
<a href="http://news.example.cn/a.html?id=2">the same, once</a>
<a href="/zh/search?q=罗湖">non-ASCII query</a>
<a href="/zh/photo.jpg">an image</a>
<a href="/zh/report.PDF">a document</a>
<a href="javascript:void(0)">script</a>
<a href="mailto:news@example.cn">mail</a>
<a href="/zh/private.html" rel="nofollow">nofollow</a>
<area href="/zh/map.html">
<a>no href</a>
<a href="http://[::1/broken">broken</a>
<a href="https://other.example.org/x.html">another host</a>
</body></html>"""


def response(html: str, url: str = "http://news.example.cn/zh/news/page.html") -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("gbk"), headers={"Content-Type": "text/html"})


def test_links_match_scrapys_link_extractor() -> None:
    page = response(TRICKY_LINKS)
    scrapy_links = [
        canonicalize_url(link.url)
        for link in LinkExtractor(unique=True, canonicalize=False).extract_links(page)
        if not link.nofollow
    ]
    ours = page_links(page)
    assert ours == list(dict.fromkeys(scrapy_links))
    assert "http://news.example.cn/zh/news/2024/0601/t20240601_1.html" in ours
    assert "http://news.example.cn/a.html?id=2" in ours
    assert "http://news.example.cn/zh/map.html" in ours
    assert not any(u.endswith((".jpg", ".PDF", "private.html")) for u in ours)
    assert not any(u.startswith(("javascript", "mailto")) or "[::1" in u for u in ours)


def test_root_relative_links_resolve_per_host() -> None:
    html = '<html><body><a href="/news/1.html">x</a></body></html>'
    one = page_links(response(html, "http://a.example.cn/x/y.html"))
    two = page_links(response(html, "https://b.example.cn:8443/z.html"))
    assert one == ["http://a.example.cn/news/1.html"]
    assert two == ["https://b.example.cn:8443/news/1.html"]


def job(body: bytes, url: str, *, want_links: bool = True) -> PageJob:
    return PageJob(url, body, "text/html; charset=utf-8", "utf-8", FETCHED_AT, want_links)


def test_an_article_outcome_carries_links_and_canonical_link() -> None:
    site = SyntheticSite(articles=3)
    path = site.article_paths()[0]
    _status, _kind, body, _modified = site.page(path)
    outcome = process_page(job(body, f"http://127.0.0.1:8000{path}?from=timeline"))
    assert outcome.result.kind == "article"
    assert outcome.result.article is not None
    assert outcome.canonical_url == f"http://127.0.0.1:8000{path}"
    assert "http://127.0.0.1:8000/news/" in outcome.links
    assert outcome.first_page_url is None
    assert outcome.continuation_urls == []
    assert outcome.extract_cpu > 0
    # The archive's derived values, computed here for the record's very title and text.
    article = outcome.result.article
    assert outcome.prepared is not None
    assert outcome.prepared.matches(article.title, article.text)
    assert outcome.prepared.text_key == text_key(article.title, article.text)
    assert outcome.prepared.search_text == prepare_search_text(article.text)


def test_split_article_pages_are_found_in_the_worker() -> None:
    site = SyntheticSite(articles=1)
    _status, _kind, body, _modified = site.page(site.article_paths()[0])
    pager = b'<div class="pages"><a href="/news/9_2.html">2</a><a href="/news/9_3.html">3</a></div>'
    first = process_page(job(body.replace(b"</body>", pager + b"</body>"), "http://h/news/9.html"))
    assert first.continuation_urls == ["http://h/news/9_2.html", "http://h/news/9_3.html"]
    back = b'<a href="/news/9.html">1</a>'
    second = process_page(
        job(body.replace(b"</body>", back + b"</body>"), "http://h/news/9_2.html")
    )
    assert second.first_page_url == "http://h/news/9.html"
    assert first.prepared is not None
    assert second.prepared is None  # page 2 is no article of its own


def test_dead_ends_and_parts_carry_no_links() -> None:
    empty = process_page(job(b"   ", "http://h/empty.html"))
    assert empty.result.kind == "empty"
    assert empty.links == []
    site = SyntheticSite(articles=1)
    _status, _kind, body, _modified = site.page(site.article_paths()[0])
    part = process_page(job(body, "http://h/news/9_2.html", want_links=False))
    assert part.result.kind == "article"
    assert part.links == []
    assert part.links_cpu == 0
    assert part.prepared is None


def test_in_process_extractor_needs_no_pool() -> None:
    extractor = PageExtractor(workers=0, function="crawler.extraction.extract_page", timeout=0)
    assert extractor.config is None
    site = SyntheticSite(articles=1)
    _status, _kind, body, _modified = site.page(site.article_paths()[0])
    outcome = asyncio.run(extractor.run(job(body, "http://h/news/1.html")))
    assert outcome.result.kind == "article"


_SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "mailto", "javascript"])
_HOSTS = st.sampled_from(
    ["news.example.com", "WWW.Example.COM", "例子.中国", "127.0.0.1:8080", "[::1]", "a.b", "x"]
)
_PATHS = st.lists(
    st.sampled_from(["", "a", "..", ".", "新闻", "a b", "%E6%96%B0", "x.html", "img.jpg"]),
    max_size=4,
).map("/".join)
_QUERIES = st.sampled_from(["", "?", "?a=1&b=2", "?q=罗湖", "?b=2&a=1#frag", "#top", "?s=a%20b"])
_BASES = st.sampled_from(
    [
        "http://site.example/news/2024/a.html",
        "https://site.example/",
        "https://other.example/deep/path/?x=1",
        "http://127.0.0.1:8765/index.html",
    ]
)


@given(
    scheme=_SCHEMES,
    host=_HOSTS,
    path=_PATHS,
    query=_QUERIES,
    base=_BASES,
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
@settings(max_examples=400)
def test_an_absolute_link_is_followed_as_joined_against_the_page(
    scheme: str, host: str, path: str, query: str, base: str, encoding: str
) -> None:
    """The shortcut for absolute links (remembered by scheme and href) gives what joining
    the link against the page's own address and canonicalizing gives."""
    from urllib.parse import urljoin, urlsplit

    from crawler.pagework import _ABSOLUTE_RE, _followable, _followable_absolute

    href = f"{scheme}://{host}/{path}{query}"
    assert _ABSOLUTE_RE.match(href)
    try:
        expected = _followable(urljoin(base, href), encoding)
    except ValueError:
        expected = None
    assert _followable_absolute(urlsplit(base).scheme, href, encoding) == expected


def test_links_of_a_page_with_absolute_and_relative_links() -> None:
    """Absolute, root-relative, relative and protocol-relative links of one page, in order."""
    html = (
        b"<html><body><a href='https://Site.example/a/../b.html?y=2&x=1'>1</a>"
        b"<a href='/c.html'>2</a><a href='d.html'>3</a><a href='//cdn.example/e.html'>4</a>"
        b"<a href='http://site.example/f.jpg'>5</a><a href='mailto:x@y.z'>6</a>"
        b"<a href='HTTPS://SITE.EXAMPLE/b.html?x=1&y=2'>7</a></body></html>"
    )
    response = HtmlResponse("https://site.example/news/index.html", body=html)
    assert page_links(response) == [
        canonicalize_url("https://site.example/a/../b.html?y=2&x=1"),
        "https://site.example/c.html",
        "https://site.example/news/d.html",
        "https://cdn.example/e.html",
    ]
