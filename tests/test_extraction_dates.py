"""Dates on unseen templates: datelines give the day, the site header's "today" never does.

Generated pages put an article whose only date is a dateline at the head of its text
(``新华社北京2月12日电``, ``（2月12日电）``, ``本报北京5月20日讯`` …) under a site header that
shows the day of the visit in its several forms; the year comes from the page's other dates,
the URL, or the fetch time, across the turn of the year.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from crawler.extraction import extract_page
from crawler.extraction.dates import parse_dateline

HEADERS = [
    "今天是2024年5月20日 星期一",
    "2024年5月20日 星期一 农历四月十三",
    "2024-05-20 10:30:15 星期一",
    "欢迎访问某某区政府门户网站 2024年05月20日",
    "",
]
BARS = ["来源：新华社", "来源：中国新闻网　作者：王海峰", "", "【字体：大 中 小】 打印"]
PARAGRAPH = (
    "记者从有关部门获悉，今年以来全市累计新增城镇就业12.3万人，城镇调查失业率保持在较低水平，"
    "就业形势总体稳定。"
)


def datelined(form: str, month: int, day: int) -> str:
    return {
        "xinhua": f"新华社北京{month}月{day}日电（记者 王海峰）{PARAGRAPH}",
        "chinanews": f"中新网深圳{month}月{day}日电 {PARAGRAPH}",
        "paper": f"本报北京{month}月{day}日讯（记者 李明远）{PARAGRAPH}",
        "bracket": f"据新华社消息（{month}月{day}日电）{PARAGRAPH}",
        "abroad": f"新华社华盛顿{month}月{day}日电 {PARAGRAPH}",
    }[form]


def page(header: str, bar: str, first: str, *, related: list[str] = ()) -> str:
    items = "".join(
        f"<li><a href='/x/{n}.html'>其他新闻{n}</a> {d}</li>" for n, d in enumerate(related)
    )
    return (
        "<html><head><meta charset='utf-8'><title>全市就业形势总体稳定_某某网</title></head><body>"
        f"<div class='top'>{header}</div><ul class='nav'><li><a href='/'>首页</a></li></ul>"
        f"<h1>全市就业形势总体稳定</h1><div class='info'>{bar}</div>"
        f"<div class='content'><p>{first}</p><p>{PARAGRAPH}</p></div>"
        + (f"<div class='rel'><h3>相关新闻</h3><ul>{items}</ul></div>" if related else "")
        + "<div class='footer'>版权所有 2003-2024 某某网 京ICP备10000001号</div></body></html>"
    )


FORMS = ["xinhua", "chinanews", "paper", "bracket", "abroad"]
FETCHED = datetime(2024, 6, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("header", "bar", "form"), list(itertools.product(HEADERS, BARS, FORMS)))
def test_dateline_gives_the_day_never_the_header_today(header: str, bar: str, form: str) -> None:
    html = page(header, bar, datelined(form, 2, 12))
    result = extract_page(
        html, "http://www.example.com/news/content_12345.html", fetched_at=FETCHED
    )
    assert result.article is not None
    assert result.article.published_at == "2024-02-12"


@pytest.mark.parametrize("header", HEADERS[:4])
def test_no_date_but_the_header_today_gives_no_date(header: str) -> None:
    html = page(header, "来源：本网", PARAGRAPH)
    result = extract_page(html, "http://www.example.com/news/content_1.html", fetched_at=FETCHED)
    assert result.article is not None
    assert result.article.published_at is None


@pytest.mark.parametrize(
    ("month", "day", "fetched", "expected"),
    [
        # Not after the fetch: a dateline later in the year is last year's.
        (2, 12, datetime(2024, 6, 3, 4, 0, tzinfo=UTC), "2024-02-12"),
        (12, 30, datetime(2024, 6, 3, 4, 0, tzinfo=UTC), "2023-12-30"),
        # The turn of the year, in China time: 17:00 UTC on 31 December is 1 January there.
        (1, 1, datetime(2024, 12, 31, 17, 0, tzinfo=UTC), "2025-01-01"),
        (1, 1, datetime(2024, 12, 31, 10, 0, tzinfo=UTC), "2024-01-01"),
        (12, 31, datetime(2025, 1, 2, 1, 0, tzinfo=UTC), "2024-12-31"),
        (2, 29, datetime(2025, 3, 1, 1, 0, tzinfo=UTC), "2024-02-29"),
    ],
)
def test_dateline_year_from_the_fetch_time(
    month: int, day: int, fetched: datetime, expected: str
) -> None:
    for form in FORMS:
        html = page(HEADERS[0], "", datelined(form, month, day))
        result = extract_page(html, "http://www.example.com/news/c_1.html", fetched_at=fetched)
        assert result.article is not None
        assert result.article.published_at == expected, form


def test_dateline_year_from_the_page_and_the_url() -> None:
    # Related news of 2015 under the article date it, not the fetch in 2024.
    html = page(HEADERS[0], "", datelined("xinhua", 2, 12), related=["2015-02-10", "2015-02-11"])
    result = extract_page(html, "http://www.example.com/news/c_1.html", fetched_at=FETCHED)
    assert result.article is not None
    assert result.article.published_at == "2015-02-12"
    # Across the turn of the year: page dates in late December, a dateline of 1月2日.
    html = page(HEADERS[4], "", datelined("paper", 1, 2), related=["2015-12-30", "2015-12-31"])
    result = extract_page(html, "http://www.example.com/news/c_2.html", fetched_at=FETCHED)
    assert result.article is not None
    assert result.article.published_at == "2016-01-02"
    # The URL's month: /2015/02/.
    html = page(HEADERS[2], "", datelined("chinanews", 2, 12))
    result = extract_page(html, "http://www.example.com/2015/02/c_3.html", fetched_at=FETCHED)
    assert result.article is not None
    assert result.article.published_at == "2015-02-12"


@pytest.mark.parametrize(
    "line",
    [
        "2月12日电视剧《繁花》开播以来收视率一路走高，引发观众热议和讨论。",
        "会议指出，自2月12日起，全市将开展为期一个月的安全生产大检查。",
        "记者2月12日从市交通局获悉，全市新增公交线路5条。",
    ],
)
def test_no_dateline(line: str) -> None:
    assert parse_dateline([line], [], "", date(2024, 6, 3)) is None


def test_dateline_with_a_year() -> None:
    line = "新华社北京2019年2月12日电 记者从有关部门获悉"
    assert parse_dateline([line], [date(2024, 1, 1)], "", date(2024, 6, 3)) == "2019-02-12"


#: A header that gives the day first and the same day with its time later (a paper's meta bar,
#: then its web publish time), in the forms such headers take.
DAY_FIRST = ["[ 日期：{day} ]　[ 版次：A07 ]", "{day} 星期四 第A07版", "日期：{cn}"]
TIME_LATER = ["发布时间：{day} 07:20", "{day} 07:20:00 来源：某某晚报", "发布于 {cn} 07:20"]


@pytest.mark.parametrize(("first", "later"), list(itertools.product(DAY_FIRST, TIME_LATER)))
def test_the_same_day_given_later_with_a_time_gives_the_time(first: str, later: str) -> None:
    values = {"day": "2024-05-30", "cn": "2024年5月30日"}
    bar = first.format(**values) + "</div><div class='pub'>" + later.format(**values)
    result = extract_page(
        page("", bar, PARAGRAPH), "http://www.example.com/news/content_1.html", fetched_at=FETCHED
    )
    assert result.article is not None
    assert result.article.published_at == "2024-05-30T07:20:00+08:00"


@pytest.mark.parametrize("later", ["发布时间：2024-05-29 07:20", "更新时间：2024-05-30 07:20"])
def test_another_day_or_an_update_time_never_lends_its_time(later: str) -> None:
    bar = "[ 日期：2024-05-30 ]</div><div class='pub'>" + later
    result = extract_page(
        page("", bar, PARAGRAPH), "http://www.example.com/news/content_1.html", fetched_at=FETCHED
    )
    assert result.article is not None
    assert result.article.published_at == "2024-05-30"
