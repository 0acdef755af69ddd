"""CrawlState without a crawl: what the spider asks it about a page's text (is_copy)."""

from __future__ import annotations

from datetime import timedelta

from archive.record import ArticleRecord
from archive.store import Archive
from crawler.state import CrawlState

TEXT = "\n".join(
    [
        "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
        "全年计划完成固定资产投资超过三百亿元。",
        "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
        "同步完善交通、教育和医疗配套设施。",
    ]
)


def page(url: str, title: str = "罗湖加快城市更新", text: str = TEXT) -> ArticleRecord:
    return ArticleRecord(url=url, title=title, text=text)


def test_a_page_is_a_copy_when_its_text_was_seen_or_is_archived_elsewhere(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    archive.upsert_article(page("http://www.news.example/1.html"))
    state = CrawlState(archive, profile=None, start_urls=[], recheck_after=timedelta(0))
    # The archived article's own page, fetched again: not a copy.
    assert not state.is_copy(
        page("http://www.news.example/1.html"), "http://www.news.example/1.html"
    )
    # Seen in this run already: a copy, whatever the URL and headline.
    assert state.is_copy(page("http://www.news.example/1.html"), "http://www.news.example/1.html")
    state2 = CrawlState(archive, profile=None, start_urls=[], recheck_after=timedelta(0))
    # Archived under another URL of the site or of its mobile edition: a copy.
    mobile = "http://m.news.example/1.html"
    assert state2.is_copy(page(mobile, title="另一个标题"), mobile)
    # A new text, a text too short for a key, a text of another site: not copies.
    other = TEXT + "\n另据了解，项目将于年底前全部开工。"
    assert not state2.is_copy(
        page("http://www.news.example/2.html", text=other), "http://www.news.example/2.html"
    )
    short = page("http://www.news.example/3.html", text="本页面内容正在更新")
    assert not state2.is_copy(short, short.url)
    assert not state2.is_copy(short, short.url)
    assert not state2.is_copy(page("http://other.example/1.html"), "http://other.example/1.html")
    state.finish("finished", {}, {})
