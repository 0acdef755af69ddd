"""Extraction against hand-written fixture pages (``tests/fixtures/extraction``).

Each ``<name>.html`` has a ``<name>.json`` with the expected kind and exact metadata plus
``must_contain`` / ``must_not_contain`` body snippets; the test is parametrized over the
directory, so a new fixture needs no new code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.record import ArticleRecord
from crawler.extraction import EXTRACTOR_VERSION, PageResult, extract_article, extract_page

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json"))
#: The fixtures whose page is an article (the ones with metadata and a body to check).
ARTICLE_CASES = [
    name
    for name in CASES
    if json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["kind"] == "article"
]
#: A fixed fetch time, so that nothing depends on today's date.
FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


def load_case(name: str) -> tuple[bytes, dict[str, Any]]:
    expected: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return (FIXTURES / f"{name}.html").read_bytes(), expected


def run_case(name: str) -> tuple[PageResult, dict[str, Any]]:
    body, expected = load_case(name)
    fetched = expected.get("fetched_at")
    result = extract_page(
        body,
        expected["url"],
        http_charset=expected.get("http_charset"),
        content_type=expected.get("content_type"),
        fetched_at=datetime.fromisoformat(fetched) if fetched else FETCHED_AT,
    )
    return result, expected


def test_fixture_directory_is_not_empty() -> None:
    assert len(CASES) >= 14
    assert 0 < len(ARTICLE_CASES) < len(CASES)


@pytest.mark.parametrize("name", CASES)
def test_fixture_kind(name: str) -> None:
    result, expected = run_case(name)
    assert result.kind == expected["kind"]
    if expected["kind"] == "article":
        assert result.article is not None
        assert result.reason is None
    else:
        assert result.article is None
        assert result.reason == expected["reason"]


@pytest.mark.parametrize("name", ARTICLE_CASES)
def test_fixture_metadata(name: str) -> None:
    result, expected = run_case(name)
    assert expected["kind"] == "article"
    record = result.article
    assert isinstance(record, ArticleRecord)
    got = record.to_json_dict()
    for key in (
        "title",
        "published_at",
        "authors",
        "bylines",
        "source",
        "section",
        "tags",
        "language",
    ):
        if key in expected:
            assert got[key] == expected[key], key
    assert record.extractor_version == EXTRACTOR_VERSION
    assert record.url == expected["url"]
    assert record.fetched_at.tzinfo is not None


@pytest.mark.parametrize("name", ARTICLE_CASES)
def test_fixture_body(name: str) -> None:
    result, expected = run_case(name)
    assert expected["kind"] == "article"
    assert result.article is not None
    text = result.article.text
    assert "\n" in text or len(text) < 200
    for snippet in expected.get("must_contain", []):
        assert snippet in text, snippet
    for snippet in expected.get("must_not_contain", []):
        assert snippet not in text, snippet


def test_extract_article_is_extract_page_article() -> None:
    body, expected = load_case("luohu_portal")
    record = extract_article(body, expected["url"], fetched_at=FETCHED_AT)
    assert record is not None
    assert record.title == expected["title"]
    assert extract_article(b"", "https://x.example/") is None


def test_fetched_at_defaults_to_now() -> None:
    body, expected = load_case("luohu_portal")
    record = extract_article(body, expected["url"])
    assert record is not None
    assert abs((datetime.now(UTC) - record.fetched_at).total_seconds()) < 60


def test_str_input_is_accepted() -> None:
    body, expected = load_case("english_bom")
    record = extract_article(body.decode("utf-8-sig"), expected["url"], fetched_at=FETCHED_AT)
    assert record is not None
    assert record.authors == ["Jane Doe", "John Roe"]


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"%PDF-1.7 binary", None, "not_html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, "not_html"),
        (b"<html><body><p>x</p></body></html>", "application/json", "not_html"),
        (b"", None, "empty"),
        (b"<html><head><title></title></head><body>  </body></html>", None, "empty"),
        ("", "text/html", "empty"),
    ],
)
def test_non_articles(body: bytes | str, content_type: str | None, kind: str) -> None:
    result = extract_page(body, "https://x.example/a", content_type=content_type)
    assert result.kind == kind
    assert result.article is None
    assert result.reason


@pytest.mark.parametrize(
    "body",
    [
        b"<<<>>>",
        b"<?xml version='1.0' encoding='utf-8'?><html><body><p>hi</p></body></html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>你好</p></body></html>",
        b"\xff\xfe\x00",
        b"<html>" + b"<div>" * 3000 + b"deep" + b"</div>" * 3000 + b"</html>",
        "<html><body><p>" + "\ud800" + "</p></body></html>",
        b"<script>alert(1)</script>",
        b"\xe4\xb8\xad\xe6\x96",
    ],
)
def test_never_raises(body: bytes | str) -> None:
    result = extract_page(body, "not a url")
    assert result.kind in {"article", "listing", "error", "gallery", "empty", "not_html"}


def test_copyright_year_is_not_a_date() -> None:
    html = (
        "<html><head><meta charset='utf-8'><title>会议召开</title></head><body>"
        "<h1>会议召开</h1><p>发布时间:2024年05月20日</p>"
        "<div><p>" + "会议部署了下一阶段的重点工作，要求各部门认真落实。" * 5 + "</p></div>"
        "<div class='foot'>版权所有 2019-2024</div></body></html>"
    )
    record = extract_article(html, "http://gov.example.cn/a.html", fetched_at=FETCHED_AT)
    assert record is not None
    assert record.published_at == "2024-05-20"


def test_header_today_is_not_the_publish_date() -> None:
    html = (
        "<html><head><meta charset='utf-8'><title>新闻标题示例</title></head><body>"
        "<div class='top'>2024年6月3日 星期一</div><h1>新闻标题示例</h1>"
        "<div><p>" + "正文内容，说明事情的来龙去脉和各方的看法。" * 6 + "</p></div>"
        "</body></html>"
    )
    record = extract_article(
        html, "http://news.example.cn/2023/05/12/1.html", fetched_at=FETCHED_AT
    )
    assert record is not None
    assert record.published_at == "2023-05-12"


def test_heading_class_names_the_headline_of_a_page_without_title() -> None:
    # A table-layout template with no <title> and no <h1>: the headline sits in a cell
    # classed ``Heading``, and the reprinted report below repeats it with its own month.
    headline = "全市中学生课外阅读情况调查报告"
    html = (
        "<html><head><meta charset='utf-8'></head><body>"
        "<table><tr><td><a href='/'>首页</a> <a href='/news/'>工作动态</a></td></tr></table>"
        f"<div class='Heading'>{headline}</div>"
        "<div class='Date'>2006-04-10 09:30:00</div>"
        f"<table><tr><td class='Content'><p align='center'><strong>{headline}</strong></p>"
        "<p align='center'><strong>某某市教育科学研究院课题组</strong></p>"
        "<p align='center'><strong>2005年11月</strong></p>"
        + "<p>为了解全市中学生课外阅读的现状，课题组在十个区县开展了问卷调查和座谈。</p>" * 6
        + "</td></tr></table></body></html>"
    )
    record = extract_article(html, "http://edu.example.cn/a/1060.htm", fetched_at=FETCHED_AT)
    assert record is not None
    assert record.title == headline
    assert record.published_at == "2005-11"
