"""Split articles: page 1 finds its later pages; later pages find page 1."""

from __future__ import annotations

from crawler.pagination import continuation_urls, first_page_url

BASE = "http://n.example/news/2024/0520/12345"


def test_underscore_pages_in_order_without_gaps() -> None:
    links = [
        f"{BASE}_3.html",
        "http://n.example/other.html",
        f"{BASE}_2.html",
        f"{BASE}_2.html",
        f"{BASE}_5.html",
    ]
    assert continuation_urls(f"{BASE}.html", links) == [f"{BASE}_2.html", f"{BASE}_3.html"]


def test_query_pages() -> None:
    url = "http://n.example/show.php?id=7"
    links = ["http://n.example/show.php?id=7&page=2", "http://n.example/show.php?id=8&page=2"]
    assert continuation_urls(url, links) == ["http://n.example/show.php?id=7&page=2"]


def test_later_pages_point_back_to_page_one() -> None:
    assert first_page_url(f"{BASE}_2.html", [f"{BASE}.html", f"{BASE}_3.html"]) == f"{BASE}.html"
    assert first_page_url(f"{BASE}.html", [f"{BASE}_2.html"]) is None
    assert first_page_url(f"{BASE}_2.html", ["http://n.example/"]) is None


def test_ids_with_underscores_are_not_pages() -> None:
    url = "http://n.example/content/post_1234567.html"
    assert continuation_urls(url, ["http://n.example/content/post_1234568.html"]) == []
    assert first_page_url(url, ["http://n.example/content/post.html"]) is None


def test_a_page_that_is_not_page_one_has_no_continuations() -> None:
    assert continuation_urls(f"{BASE}_2.html", [f"{BASE}_3.html"]) == []
