"""The extraction's shortcuts give what the long way gives.

Speed-ups of ``extract_page`` and of the crawl's per-article work must not change a result:
``benchmarks/extract_dump.py`` checks that on whole corpora; these tests hold each shortcut to
the long way on small cases, the edge cases included.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crawler.extraction.clean as clean_module
import crawler.extraction.text as text_module
from crawler.extraction import extract_page
from crawler.extraction.clean import (
    DISCLAIMER_RE,
    SKIP_TAGS,
    clean_tree,
    find_breadcrumbs,
    has_prose,
    link_share,
)
from crawler.extraction.floor import _heads, drop_link_lists, is_link_item
from crawler.extraction.metadata import read_meta
from crawler.extraction.page import _parse
from crawler.extraction.text import MarkerTest, element_text, squash, squashed_length

FURNITURE = re.compile(r"(?:^|[\s_-])(?:share|side|nav)(?:$|[\s_-])", re.I)
COMMENTS = re.compile(r"comment|reply", re.I)


@given(st.text(alphabet="abcdehinorstvy _-CSN ", max_size=40))
@settings(max_examples=300)
def test_a_marker_test_answers_as_its_patterns_do(marker: str) -> None:
    test = MarkerTest(FURNITURE, COMMENTS)
    expected = bool(FURNITURE.search(marker) or COMMENTS.search(marker))
    assert test(marker) is expected
    assert test(marker) is expected  # remembered now


def test_a_marker_test_remembers_short_markers_only_and_forgets_when_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(text_module, "_MARKER_CACHE", 3)
    test = MarkerTest(FURNITURE)
    long_marker = "share " + "x" * text_module._MARKER_CHARS
    assert test(long_marker) is True
    assert long_marker not in test._known  # a hostile page's huge attributes are not kept
    for marker in ("nav", "a", "b"):
        test(marker)
    assert len(test._known) == 3
    assert test("side bar") is True  # full: forgotten, then this one remembered
    assert test._known == {"side bar": True}


PAGE = """<html><head><title>区里召开会议</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news">新闻</a></div>
<div class="position">您的位置：<a href="/">首页</a> &gt; <a href="/news">要闻</a> &gt; 正文</div>
<h1>区里召开会议</h1>
<form><label>搜索</label><input name="q" value="x"><select><option>1</option></select></form>
<div class="content">
<p>会议强调，要坚持以人民为中心的发展思想，把群众满意作为检验工作的标准，推动各项工作落地见效。</p>
<p>据了解，今年以来全区共安排重点项目一百余个，年度计划投资稳步增长，城市面貌持续改善。</p>
<p>相关负责人表示，下一步将继续加大统筹力度，确保各项任务按期完成，让群众有更多获得感。</p>
<p>现场，工作人员向居民详细介绍了政策内容，并耐心解答大家关心的问题，居民纷纷点赞。</p>
<p>该区还将建立健全长效机制，推动工作常态化、制度化开展，持续提升基层治理水平和能力。</p>
</div>
<div class="share">分享到：微信 微博</div>
<p>责任编辑：张三</p>
</body></html>"""


def test_clean_tree_given_the_breadcrumbs_found_before_cleans_as_it_would_alone() -> None:
    alone, given_crumbs = _parse(PAGE), _parse(PAGE)
    assert alone is not None
    assert given_crumbs is not None
    crumbs = find_breadcrumbs(given_crumbs)
    assert crumbs  # the page has one: the test says something
    clean_tree(alone, 200)
    clean_tree(given_crumbs, 200, crumbs)
    assert lxml.html.tostring(alone) == lxml.html.tostring(given_crumbs)
    assert "您的位置" not in given_crumbs.text_content()


def test_form_fields_parse_as_plain_elements_with_their_text() -> None:
    root = _parse(PAGE)
    assert root is not None
    for tag in ("form", "input", "select", "label"):
        element = next(root.iter(tag))
        assert type(element) is lxml.html.HtmlElement
    assert next(root.iter("label")).text_content() == "搜索"
    result = extract_page(PAGE.encode(), "http://www.example.gov.cn/a/1.html")
    assert result.article is not None
    assert "以人民为中心" in result.article.text


ANCHORS = ["Markets rally as rates fall", "Sport", "A longer headline of a story"]


@pytest.mark.parametrize(
    "line",
    [
        "Markets rally as rates fall",
        "- A longer headline of a story and its summary",
        "Sport and more sport",
        "Our own paragraph, not a link at all.",
        "",
    ],
)
def test_a_link_item_is_told_the_same_with_its_heads_precomputed(line: str) -> None:
    item = line.lstrip("-•*·> ")
    long_way = any(len(a) >= 12 and item.startswith(a) for a in ANCHORS)
    assert line.lstrip("-•*·> ").startswith(_heads(ANCHORS)) is long_way
    assert is_link_item(line, ANCHORS) is (link_share(line, ANCHORS) >= 0.6 or long_way)


def test_link_lists_are_dropped_with_the_heads_precomputed() -> None:
    lines = ["Most read", *ANCHORS, "Our own paragraph."]
    assert drop_link_lists(lines, ANCHORS) == ["Our own paragraph."]


# Random pages for the shortcuts below: nested blocks, links, skipped tags, classes that are
# and are not furniture or breadcrumbs (in capitals too, and with the two non-ASCII letters
# whose lower case is ASCII), texts with every kind of whitespace and 位置 openings.
_TAGS = ("div", "p", "a", "span", "li", "ul", "script", "noscript", "b", "td", "br", "section")
_CLASSES = ("", "nav", "Crumbs", "BREADCRUMB", "posİtion", "position", "side-bar", "share", "x")
_WORDS = (
    "您的位置：",
    "位置",
    "首页",
    " > ",
    "\u200b",
    "\u3000",
    "\n",
    "  ",
    "a" * 61,
    "版权声明：",
)


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    marker = draw(st.sampled_from(_CLASSES))
    attrs = f' class="{marker}"' if marker else ""
    if draw(st.booleans()):
        attrs += f' id="{draw(st.sampled_from(_CLASSES))}"'
    text = "".join(draw(st.lists(st.sampled_from(_WORDS), max_size=3)))
    tail = "".join(draw(st.lists(st.sampled_from(_WORDS), max_size=2)))
    children = [draw(_html(depth + 1)) for _ in range(draw(st.integers(0, 3 if depth < 3 else 0)))]
    return f"<{tag}{attrs}>{text}{''.join(children)}</{tag}>{tail}"


def _page_of(fragments: list[str]) -> lxml.html.HtmlElement:
    root = _parse(f"<html><body>{''.join(fragments)}<p>x</p></body></html>")
    assert root is not None
    return root


@given(st.lists(_html(), min_size=1, max_size=4))
@settings(max_examples=150, deadline=None)
def test_element_text_and_has_prose_answer_as_the_long_way(fragments: list[str]) -> None:
    root = _page_of(fragments)
    for el in root.iter():
        assert element_text(el) == el.text_content()
        long_way = any(
            chunk and len(chunk.strip()) >= 60
            for node in el.iter()
            if isinstance(node.tag, str) and node.tag not in SKIP_TAGS and node.tag != "a"
            for chunk in (node.text, node.tail if node is not el else None)
        )
        assert has_prose(el) is long_way


@given(st.lists(_html(), min_size=1, max_size=4))
@settings(max_examples=100, deadline=None)
def test_clean_tree_skipping_removed_subtrees_gives_the_same_tree(
    fragments: list[str],
) -> None:
    html = lxml.html.tostring(_page_of(fragments), encoding=str)
    short, long_way = _parse(html), _parse(html)
    assert short is not None
    assert long_way is not None
    clean_tree(short, 500)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clean_module, "_attached", lambda el, root: el.getparent() is not None)
        clean_tree(long_way, 500)
    assert lxml.html.tostring(short) == lxml.html.tostring(long_way)


@given(st.lists(st.text(alphabet=" \n\t\u3000\xa0\u200b\ufeffab位", max_size=8), max_size=6))
@settings(max_examples=300)
def test_squashed_length_is_the_sum_of_the_squashed_lengths(texts: list[str]) -> None:
    assert squashed_length(texts) == sum(len(squash(text)) for text in texts)


_DISCLAIMER_PIECES = (
    "声明",
    "免责",
    "版权",
    "与",
    "：",
    "本文",
    "仅代表作者",
    "系转载",
    "未经",
    "如需",
    "授权",
    "转载",
    "归",
    "某网",
    "所有",
    "如有侵权",
    "凡本网注明",
    "不代表本站",
    "【",
    " ",
)


@given(st.lists(st.sampled_from(_DISCLAIMER_PIECES), max_size=6).map("".join))
@settings(max_examples=500)
def test_a_disclaimer_always_holds_one_of_its_hint_words(text: str) -> None:
    if DISCLAIMER_RE.search(text):
        assert clean_module._DISCLAIMER_HINT_RE.search(text)


#: The XPath that ``read_meta`` used for headline candidates, kept as the long way.
_TITLE_XPATH = (
    "//h1|//*[self::h2 or self::div or self::p or self::span or self::td or self::strong]"
    "[contains(@class,'title') or contains(@id,'title') or contains(@class,'headline')"
    " or contains(@class,'heading') or contains(@class,'Heading')]"
)
_ATTRIBUTE_VALUES = st.sampled_from(
    [
        "",
        "title",
        "subtitle",
        "Title",
        "headline",
        "heading",
        "Heading",
        "sub-heading",
        "news_title",
        "nav",
        "byline",
        "author",
        "date",
    ]
)


@st.composite
def _marked_pages(draw: st.DrawFn) -> str:
    tags = ["h1", "h2", "h3", "div", "p", "span", "td", "strong", "em", "section", "a"]
    parts = []
    for number in range(draw(st.integers(1, 12))):
        tag = draw(st.sampled_from(tags))
        attributes = ""
        if draw(st.booleans()):
            attributes += f' class="{draw(_ATTRIBUTE_VALUES)} x"'
        if draw(st.booleans()):
            attributes += f' id="{draw(_ATTRIBUTE_VALUES)}"'
        text = draw(st.sampled_from(["头条新闻标题第一篇", "Short", "A headline of some length"]))
        inner = f"<{tag}{attributes}>{text} {number}</{tag}>"
        parts.append(f"<table><tr>{inner}</tr></table>" if tag == "td" else inner)
    return f"<html><body>{''.join(parts)}</body></html>"


@given(_marked_pages())
@settings(max_examples=300)
def test_headline_candidates_are_those_of_the_title_xpath(page: str) -> None:
    root = lxml.html.document_fromstring(page)
    expected = []
    for el in root.xpath(_TITLE_XPATH):
        text = squash(el.text_content())
        if 4 <= len(text) <= 150 and text not in expected:
            expected.append(text)
    assert read_meta(root).headings == expected


_DATE_FORMS = [
    '<meta property="article:published_time" content="2024-05-03T09:30:00+08:00">',
    '<meta name="date" content="2023-11-20">',
    "",  # the date only in the text, or the URL
]
_TITLE_FORMS = [
    '<meta property="og:title" content="Council Backs New Harbour Ferry Route">',
    "",
]
_TEXT_DATES = ["", "<p class='date'>Published March 7, 2022</p>", "<time>2021-08-15</time>"]
_URLS = ["https://news.example.org/2020/02/14/ferry-route.html", "https://example.com/story?id=7"]


def _english_page(head: str, text_date: str, headline: bool) -> str:
    paragraphs = "".join(
        f"<p>The council voted on item {n} of the harbour plan, which would add a ferry stop "
        f"near the old market and extend evening services through the winter months.</p>"
        for n in range(8)
    )
    h1 = "<h1>Council Backs New Harbour Ferry Route</h1>" if headline else ""
    return (
        f"<html><head><title>Harbour news | The Example Times</title>{head}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/local'>Local</a></nav><article>{h1}{text_date}"
        f"{paragraphs}</article><footer>© 2019 The Example Times</footer></body></html>"
    )


@pytest.mark.parametrize("url", _URLS)
@pytest.mark.parametrize("headline", [True, False])
@pytest.mark.parametrize("text_date", _TEXT_DATES)
@pytest.mark.parametrize("date_form", _DATE_FORMS)
@pytest.mark.parametrize("title_form", _TITLE_FORMS)
def test_trafilatura_metadata_read_apart_is_what_bare_extraction_reads(
    url: str, headline: bool, text_date: str, date_form: str, title_form: str
) -> None:
    """The fallback metadata, read only when a page needs it, is the title and date that
    ``bare_extraction(with_metadata=True)`` gave with the text, and reading it apart leaves
    the text as it was."""
    from trafilatura import bare_extraction

    import crawler.extraction.page as page_module

    html = _english_page(title_form + date_form, text_date, headline)
    max_date = "2026-12-05"
    root = _parse(html)
    assert root is not None
    long_way = bare_extraction(
        root,
        url=url,
        with_metadata=True,
        include_comments=False,
        deduplicate=False,
        favor_precision=False,
        date_extraction_params=page_module._date_params(max_date),
    )
    text_only = page_module._trafilatura(root, url, max_date)
    apart = page_module._trafilatura_metadata(root, url, max_date)
    assert long_way is not None
    assert text_only is not None
    assert text_only.text == long_way.text
    assert (apart.title, apart.date) == (long_way.title, long_way.date)


def test_trafilatura_metadata_is_read_only_when_our_readers_miss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not on Chinese pages, not when our title and date are found; on an English page with
    no date of ours, its date is the fallback."""
    import crawler.extraction.page as page_module

    calls: list[str] = []
    original = page_module._trafilatura_metadata

    def counted(root: object, url: str, max_date: str) -> object:
        calls.append(url)
        return original(root, url, max_date)  # type: ignore[arg-type]

    monkeypatch.setattr(page_module, "_trafilatura_metadata", counted)
    dated = _english_page(_DATE_FORMS[0], "", True)
    result = extract_page(dated, "https://example.com/a")
    assert result.article is not None
    assert result.article.published_at is not None
    assert calls == []
    zh = (
        "<html><head><title>罗湖区举行防汛演练</title></head><body><h1>罗湖区举行防汛演练</h1>"
        + "".join(f"<p>罗湖区应急管理局组织第{n}次防汛演练，各街道参加。</p>" for n in range(9))
        + "</body></html>"
    )
    assert extract_page(zh, "https://example.cn/b").article is not None
    assert calls == []
    undated = _english_page("", "", True)
    extract_page(undated, "https://example.com/story?id=9")
    assert calls == ["https://example.com/story?id=9"]
