"""A bare ``<time datetime>`` (no ``itemprop``, no ``pubdate``) dates the page when nothing
better does: the first one outside lists, sidebars, footers and comments, when it stands in
``<article>``, ``<header>`` or ``<main>`` or is the page's only one (metadata.page_time).
Generated layouts: where the page's own time stands × what else on the page carries a time."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product

import pytest

from crawler.extraction import extract_page

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
URL = "https://news.example.cn/a/1.html"
OWN = "2024-05-01T09:30:00+08:00"
OTHER = "2024-04-11T18:05:00+08:00"
PROSE = "".join(
    f"<p>区里把民生项目放在突出位置，各部门按照时间节点推进第{i}项工作，群众反映良好。</p>"
    for i in range(6)
)


def _time(value: str) -> str:
    return f"<time datetime='{value}'>五月一日</time>"


#: Where the page's own time stands: the template takes the time's HTML.
OWN_PLACES = {
    "article_header": "<article><header><h1>{title}</h1>{time}</header>{body}</article>",
    "article": "<article><h1>{title}</h1><div class='meta'>{time}</div>{body}</article>",
    "main": "<main><h1>{title}</h1><p class='x'>{time}</p>{body}</main>",
    "div_only": "<div class='post'><h1>{title}</h1><span>{time}</span>{body}</div>",
}
#: Other times on the page, which must never date it.
OTHERS = {
    "none": "",
    "related_before": "<div class='related'><a href='/b'>另一篇文章</a>{other}</div>",
    "sidebar": "<aside><a href='/c'>热门文章</a>{other}</aside>",
    "comments": "<div id='comment-list'><p>网友甲：说得好</p>{other}</div>",
    "footer": "<footer>{other}</footer>",
}
TITLE = "区人民医院启用智慧药房 取药时间缩短一半"


def _page(own: str, other: str, *, other_first: bool, own_time: str = OWN) -> str:
    article = OWN_PLACES[own].format(title=TITLE, time=_time(own_time), body=PROSE)
    extra = OTHERS[other].format(other=_time(OTHER))
    parts = [extra, article] if other_first else [article, extra]
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{TITLE}_某某网</title></head><body>{''.join(parts)}</body></html>"
    )


def _published(html: str) -> str | None:
    record = extract_page(html, URL, fetched_at=FETCHED_AT).article
    assert record is not None
    return record.published_at


@pytest.mark.parametrize(
    ("own", "other", "other_first"), list(product(OWN_PLACES, OTHERS, [True, False]))
)
def test_the_pages_own_time_dates_it_whatever_else_carries_a_time(
    own: str, other: str, other_first: bool
) -> None:
    assert _published(_page(own, other, other_first=other_first)) == OWN


@pytest.mark.parametrize("other", [o for o in OTHERS if o != "none"])
def test_a_time_in_a_list_a_sidebar_comments_or_a_footer_never_dates_the_page(
    other: str,
) -> None:
    html = _page("div_only", other, other_first=True).replace(_time(OWN), "")
    assert _published(html) is None


def test_two_bare_times_outside_an_article_date_nothing() -> None:
    """Neither is known to be the page's: a list of items with no list class."""
    body = f"<div><h1>{TITLE}</h1><p>{_time(OWN)}</p>{PROSE}<p>{_time(OTHER)}</p></div>"
    html = f"<html lang='zh-CN'><head><title>{TITLE}</title></head><body>{body}</body></html>"
    assert _published(html) is None


def test_a_printed_date_wins_and_takes_the_times_clock_on_the_same_day() -> None:
    page = _page("article", "none", other_first=False)
    same_day = page.replace("<div class='meta'>", "<div class='meta'>发布时间：2024年05月01日 ")
    assert _published(same_day) == OWN
    other_day = page.replace("<div class='meta'>", "<div class='meta'>发布时间：2024年05月02日 ")
    assert _published(other_day) == "2024-05-02"


@pytest.mark.parametrize(
    "marked",
    [
        "<time class='updated' datetime='{t}'>五月一日</time>",
        "<li class='modified-date'><time datetime='{t}'>五月一日</time></li>",
        "<span id='last-modified'><time datetime='{t}'>五月一日</time></span>",
    ],
)
def test_a_time_marked_as_the_last_update_never_dates_the_page(marked: str) -> None:
    page = _page("article_header", "none", other_first=False)
    html = page.replace(_time(OWN), marked.format(t=OWN))
    assert _published(html) is None
