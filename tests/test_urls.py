"""URL rules: canonical form, classification by shape, crawl scope."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.urls import canonicalize_url, classify_url, scope_for


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://News.Example.COM:80/a/b.html#top", "http://news.example.com/a/b.html"),
        ("https://n.example:443/a?b=2&a=1", "https://n.example/a?a=1&b=2"),
        ("http://n.example/a.html?utm_source=x&utm_medium=y&id=3", "http://n.example/a.html?id=3"),
        ("http://n.example/a.html?from=timeline&spm=1.2", "http://n.example/a.html"),
        ("http://n.example/a.html;jsessionid=ABC123?x=1", "http://n.example/a.html?x=1"),
        ("http://n.example:8080/a.html", "http://n.example:8080/a.html"),
        ("http://n.example", "http://n.example/"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://h/hulianwang/2024/0520/12345.html", "article"),
        ("http://h/xxgk/qzdt/content/post_1234567.html", "article"),
        ("http://www.news.cn/local/2024-05/20/c_1130147245.htm", "article"),
        ("http://h/a/t20240520_11312345.html", "article"),
        ("http://h/news/12345678.shtml", "article"),
        ("http://h/hulianwang/", "listing"),
        ("http://h/hulianwang/index.html", "listing"),
        ("http://h/hulianwang/index_2.html", "listing"),
        ("http://h/list.php?page=3", "listing"),
        ("http://h/img/logo.png", "asset"),
        ("http://h/files/report.PDF", "asset"),
        ("http://h/about.html", "other"),
        ("mailto:a@b.c", "other"),
        ("javascript:void(0)", "other"),
    ],
)
def test_classify_url(url: str, kind: str) -> None:
    assert classify_url(url) == kind


def test_scope_follows_listings_under_start_folder_and_articles_anywhere_on_host() -> None:
    scope = scope_for("http://h.example:8000/hulianwang/index.html")
    assert scope.allows("http://h.example:8000/hulianwang/index_2.html")
    assert scope.allows("http://h.example:8000/shenzhen/2024/0520/12.html")
    assert not scope.allows("http://h.example:8000/shenzhen/index.html")
    assert not scope.allows("http://other.example:8000/hulianwang/2024/0520/1.html")
    assert not scope.allows("http://h.example:8001/hulianwang/index_2.html")
    assert not scope.allows("http://h.example:8000/hulianwang/pic.jpg")
    home = scope_for("http://h.example/")
    assert home.allows("http://h.example/shenzhen/index.html")


@given(
    st.text(max_size=60),
    st.sampled_from(["http", "https"]),
    st.sampled_from(["a.example", "B.Example:81"]),
)
def test_canonicalize_is_idempotent(path: str, scheme: str, host: str) -> None:
    url = f"{scheme}://{host}/{path}"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
