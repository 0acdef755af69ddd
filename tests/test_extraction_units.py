"""Unit tests of the extraction steps: encodings, bylines, dates, titles, sources."""

from __future__ import annotations

import codecs
import itertools
from datetime import UTC, datetime

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.record import Byline
from crawler.extraction import decode_html, extract_page
from crawler.extraction.bylines import (
    BylineFinds,
    parse_credit,
    parse_dated_by,
    parse_english_credit,
    parse_labelled_handle,
    parse_posted_by,
    structured_authors,
)
from crawler.extraction.credits import closing_credits, lead_credits
from crawler.extraction.dates import extract_date, parse_date, parse_relative
from crawler.extraction.metadata import read_meta
from crawler.extraction.names import Evidence, is_person_name
from crawler.extraction.source import extract_source, source_from_lead
from crawler.extraction.titles import drop_confirmed_tag, extract_title, strip_site_suffix

RARE = "朱镕基 陈喆 王堃 刘䶮"


def test_decode_gb18030_labelled_gbk() -> None:
    html = f"<meta charset='gbk'><p>{RARE}</p>"
    assert RARE in decode_html(html.encode("gb18030"))
    assert RARE in decode_html(html.encode("gb18030"), http_charset="gb2312")


def test_decode_utf8_labelled_gb2312() -> None:
    html = f"<meta charset='gb2312'><p>{RARE}</p>"
    assert RARE in decode_html(html.encode("utf-8"), http_charset="gb2312")


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_decode_bom(bom: bytes, codec: str) -> None:
    text = decode_html(bom + f"<p>{RARE}</p>".encode(codec), http_charset="iso-8859-1")
    assert text == f"<p>{RARE}</p>"


def test_decode_unlabelled_gbk() -> None:
    text = "<p>" + "深圳罗湖，改革开放的起点，无数个第一从这里诞生。" * 4 + "</p>"
    assert decode_html(text.encode("gbk")) == text


def test_decode_latin1_label_is_cp1252() -> None:
    assert decode_html("café “quoted”".encode("cp1252"), http_charset="iso-8859-1") == (
        "café “quoted”"
    )


def names_line(text: str) -> BylineFinds:
    """A line of names alone, as read under a headline."""
    return parse_credit(text, bare="line")


def bylines(text: str) -> list[tuple[str, str]]:
    return [(b.name, b.role) for b in parse_credit(text).bylines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("南都记者 张一鎏 通讯员 陈杏花", [("张一鎏", "reporter"), ("陈杏花", "correspondent")]),
        ("澎湃新闻记者 段彦超 廖艳", [("段彦超", "reporter"), ("廖艳", "reporter")]),
        ("采写：南都记者 余毅菁 向雪妮", [("余毅菁", "reporter"), ("向雪妮", "reporter")]),
        ("文/张三 图/李四", [("张三", "author"), ("李四", "photographer")]),
        ("撰文：王小丫、赵大宝", [("王小丫", "author"), ("赵大宝", "author")]),
        ("执笔：欧阳娜娜", [("欧阳娜娜", "author")]),
        ("编译：刘洋 校对：孙悦", [("刘洋", "compiler"), ("孙悦", "editor")]),
        ("翻译：刘洋 校对：孙悦", [("刘洋", "translator"), ("孙悦", "editor")]),
        ("责任编辑：王小明", [("王小明", "editor")]),
        ("本报首席记者 周杰", [("周杰", "reporter")]),
        ("摄影：陈平", [("陈平", "photographer")]),
        ("中新社记者 贾天勇 摄", [("贾天勇", "photographer")]),
        ("通讯员刘娟 摄", [("刘娟", "photographer")]),
        ("作者：佚名", []),
        ("记者了解到，该项目已开工", []),
        ("编辑部的故事", []),
        ("来源：新京报 作者：陆一夫 编辑：赵丽", [("陆一夫", "author"), ("赵丽", "editor")]),
        # A photo label before a name is no photo suffix of the name before it.
        ("通讯员 孙蕾 摄影 冯晨", [("孙蕾", "correspondent"), ("冯晨", "photographer")]),
        # ``图/`` holds for the outlet's reporter right after it; ``文/`` yields to 记者.
        ("文/晶报记者 谢婷婷 图/晶报记者 高原", [("谢婷婷", "reporter"), ("高原", "photographer")]),
        ("编译/本报记者 钱程", [("钱程", "compiler")]),
    ],
)
def test_parse_credit(text: str, expected: list[tuple[str, str]]) -> None:
    assert bylines(text) == expected


def test_outlet_prefix_is_kept_apart() -> None:
    finds = parse_credit("南都记者 张一鎏 通讯员 陈杏花")
    assert finds.outlets == ["南都"]
    assert Byline("南都", "reporter") not in finds.bylines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "本报讯(记者 王五)今年以来，我市老旧小区改造工作全面提速，" + "惠及居民。" * 40,
            [("王五", "reporter")],
        ),
        (
            "新京报讯（记者 陆一夫）9月22日，北京市交通委员会约谈了企业。" + "详情。" * 60,
            [("陆一夫", "reporter")],
        ),
        (
            "（职工通讯员 李琴雯 刘会）为深入推进党建与业务工作紧密结合，" + "内容。" * 80,
            [("李琴雯", "correspondent"), ("刘会", "correspondent")],
        ),
    ],
)
def test_parse_paragraph_leads(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(b.name, b.role) for b in lead_credits([text]).bylines] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("By Jane Doe, John Roe and Mary Major | Reuters", ["Jane Doe", "John Roe", "Mary Major"]),
        ("by Staff Reporter", []),
        ("Bypass road opens", []),
    ],
)
def test_english_credit(text: str, expected: list[str]) -> None:
    assert parse_english_credit(text) == expected


@pytest.mark.parametrize(
    ("text", "chinese", "expected"),
    [
        ("2023-05-12 10:21", True, "2023-05-12T10:21:00+08:00"),
        ("2023年5月12日 10:21", True, "2023-05-12T10:21:00+08:00"),
        ("2023/05/12", True, "2023-05-12"),
        ("发布时间：2023.05.12 10:21:33", True, "2023-05-12T10:21:33+08:00"),
        ("2024-03-02T14:05:00-05:00", False, "2024-03-02T14:05:00-05:00"),
        ("2024-03-02T14:05:00Z", False, "2024-03-02T14:05:00+00:00"),
        ("2024-03-02 14:05", False, "2024-03-02"),
        ("版权所有 2019-2024", True, None),
        ("2023-13-40", True, None),
    ],
)
def test_parse_date(text: str, chinese: bool, expected: str | None) -> None:
    assert parse_date(text, chinese=chinese) == expected


FETCHED = datetime(2024, 7, 1, 6, 30, tzinfo=UTC)  # 14:30 in China


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3小时前", "2024-07-01T11:30:00+08:00"),
        ("25分钟前", "2024-07-01T14:05:00+08:00"),
        ("2天前", "2024-06-29"),
        ("昨天 10:21", "2024-06-30T10:21:00+08:00"),
        ("前天", "2024-06-29"),
        ("12月30日 08:00", "2023-12-30T08:00:00+08:00"),
    ],
)
def test_relative_dates(text: str, expected: str) -> None:
    assert parse_relative(text, FETCHED, chinese=True) == expected


def test_date_order_meta_first_then_near_title_then_url() -> None:
    near = ["标题", "2023-05-12 10:21 来源：新京报"]
    assert extract_date([], near, near, "", FETCHED, chinese=True) == "2023-05-12T10:21:00+08:00"
    assert (
        extract_date(["2022-01-02T03:04:05+08:00"], near, near, "", FETCHED, chinese=True)
        == "2022-01-02T03:04:05+08:00"
    )
    url = "https://x.example/2021/03/04/a.html"
    assert extract_date([], ["标题"], ["标题"], url, FETCHED, chinese=True) == "2021-03-04"
    # A date after the fetch is no publish date.
    assert extract_date([], ["2030-01-01 10:00"], [], "", FETCHED, chinese=True) is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("罗湖怎么样(罗湖区穷吗)_互联网_某某资讯网", "罗湖怎么样(罗湖区穷吗)"),
        ("共享单车企业被约谈_网易订阅", "共享单车企业被约谈"),
        ("习近平会见外宾-新华网", "习近平会见外宾"),
        (
            "City council approves new bike lanes | The Riverside Gazette",
            "City council approves new bike lanes",
        ),
        ("A well-known title without suffix", "A well-known title without suffix"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert strip_site_suffix(title) == expected


def test_title_prefers_heading_that_agrees_with_title_tag() -> None:
    headings = ["热门推荐", "罗湖怎么样(罗湖区穷吗)"]
    assert extract_title(headings, "罗湖怎么样(罗湖区穷吗)_互联网_某某资讯网", []) == (
        "罗湖怎么样(罗湖区穷吗)"
    )
    # A logo heading that is the site's name never wins.
    assert extract_title(["新华网"], "习近平会见外宾-新华网", [], ["新华网"]) == "习近平会见外宾"


@pytest.mark.parametrize(
    ("lead", "site", "expected"),
    [
        ("新京报讯（记者 陆一夫）9月22日", "www.bjnews.com.cn", "新京报"),
        ("南都讯 记者张三", "x.example", "南方都市报"),
        ("新华社北京5月12日电 记者", "x.example", "新华社"),
        ("中新网深圳12月28日电 深圳地铁", "x.example", "中国新闻网"),
        ("本报讯(记者 王五)", "www.oeeee.com", "南方都市报"),
        ("本报讯(记者 王五)", "unknown.example", None),
        ("今天天气很好", "x.example", None),
    ],
)
def test_source_from_lead(lead: str, site: str, expected: str | None) -> None:
    assert source_from_lead(lead, site) == expected


@pytest.mark.parametrize(
    ("paper", "day", "page"),
    list(
        itertools.product(
            ["南方都市报", "滨海晚报", "人民日报", "某某周刊"],
            ["2026-11-05", "2026年11月5日", "2026.11.05", "2026年11月05日 星期四"],
            ["A07版", "第5版", "第 04 版", "B12版"],
        )
    ),
)
def test_source_from_a_papers_edition_line(paper: str, day: str, page: str) -> None:
    header = [f"{paper} {day} {page}", f"《{paper}》（{day} {page}）"]
    for line in header:
        assert extract_source([], [], [], "x.example", [line]) == paper, line
    # A ``来源`` label and a dateline lead speak first; a date without a page names nothing.
    assert extract_source(["来源：新华社"], [], [], "x.example", header) == "新华社"
    assert extract_source([], [f"{paper}讯 记者"], [], "x.example", header) == paper
    assert extract_source([], [], [], "x.example", [f"{paper} {day} 10:21"]) is None
    assert extract_source([], [], [], "x.example", [f"据{paper}{day}报道"]) is None


def test_source_priority_and_placeholders() -> None:
    assert extract_source(["来源：网络"], [], ["南都"], "x.example") == "南方都市报"
    assert extract_source(["来源: 新京报 作者：张三"], [], [], "x.example") == "新京报"
    assert extract_source(["转载自澎湃"], [], [], "x.example") == "澎湃新闻"
    assert extract_source([], [], [], "x.example") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("原创： 路闻卓立编译 人民币交易与研究", [("路闻卓立", "compiler")]),
        (
            "执笔人：闵乐夫 赵兰波 刘韬",
            [("闵乐夫", "author"), ("赵兰波", "author"), ("刘韬", "author")],
        ),
    ],
)
def test_credit_forms_with_role_after_or_suffixed(
    text: str, expected: list[tuple[str, str]]
) -> None:
    finds = parse_credit(text)
    assert [(b.name, b.role) for b in finds.bylines] == expected


def test_posted_by_names_line_and_closing_names() -> None:
    assert [
        b.name for b in parse_posted_by("[ 打印 ] 由海姑娘张贴 @ 2005-03-21 01:20").bylines
    ] == ["海姑娘"]
    assert [b.name for b in names_line("赵延东、陈风笑").bylines] == ["赵延东", "陈风笑"]
    assert names_line("跳到导航").bylines == []
    assert names_line("昨天").bylines == []
    closing = "大家认认真真剪出了“廉洁”两字，过一个平安、祥和的新春佳节。（常书香 马丹阳）"
    assert [b.name for b in closing_credits([closing]).bylines] == ["常书香", "马丹阳"]
    # One bracketed name is as often the editor's signature: not taken.
    assert closing_credits(["南美站活动将先后在巴西、乌拉圭、阿根廷举行。（张巨峰）"]).bylines == []


def test_one_person_keeps_the_more_specific_writing_role() -> None:
    finds = parse_credit("作者：王五")
    finds.extend(lead_credits(["本报讯(记者 王五)今年以来" + "内容。" * 80]))
    assert [(b.name, b.role) for b in finds.bylines] == [("王五", "reporter")]


def test_midnight_timestamp_is_a_day() -> None:
    assert parse_date("2022-01-28 00:00:00", chinese=True) == "2022-01-28"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_extract_page_never_raises_on_junk(body: bytes | str) -> None:
    result = extract_page(body, "https://x.example/a")
    assert (result.article is None) == (result.kind != "article")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("作者： 放飞&心情", ["放飞&心情"]),
        ("作者：kingname", ["kingname"]),
        ("作者：本报评论员", []),
        ("作者：新华社", []),
        ("作者：2005-08-28", []),
    ],
)
def test_labelled_handle(line: str, expected: list[str]) -> None:
    assert [b.name for b in parse_labelled_handle(line).bylines] == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("〓 娱乐 明星话题 发布时间 2005/03/15 22:36:13 by duscha 〓", ["duscha"]),
        ("2019-05-01 posted by 海姑娘", ["海姑娘"]),
        ("Copyright © 1997-2019 by www.example.com.cn. all rights reserved", []),
        ("由于天气原因，比赛推迟", []),
    ],
)
def test_dated_by(line: str, expected: list[str]) -> None:
    assert [b.name for b in parse_dated_by(line).bylines] == expected


def test_names_line_with_a_rarer_surname_among_coauthors() -> None:
    assert [b.name for b in names_line("赵延东、风笑天").bylines] == ["赵延东", "风笑天"]
    # Alone, or among names without known surnames, it is still not taken.
    assert names_line("风笑天").bylines == []
    assert names_line("茉莉、风笑天").bylines == []


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["正文", "——《北京之春》1998年3月号"], "1998-03"),
        (["原载《读书》2001年第12期"], None),
        (["《某某杂志》2030年1月号"], None),
    ],
)
def test_magazine_issue_month(lines: list[str], expected: str | None) -> None:
    assert extract_date([], [], lines, "", FETCHED, chinese=True) == expected


def test_a_full_date_wins_over_a_magazine_issue() -> None:
    lines = ["发布时间：2005-07-03", "——《北京之春》1998年3月号"]
    assert extract_date([], [], lines, "", FETCHED, chinese=True) == "2005-07-03"


def test_tag_before_headline_dropped_when_the_original_title_confirms_it() -> None:
    lines = ["[某某化妆品]阿婆接来电被骗上百万", "原标题：阿婆接来电被骗上百万", "正文"]
    title = "[某某化妆品]阿婆接来电被骗上百万"
    assert drop_confirmed_tag(title, lines) == "阿婆接来电被骗上百万"
    # Without the confirmation the tag stays (it may be part of the headline).
    assert drop_confirmed_tag("【独家】阿婆接来电被骗上百万", lines[:1]) == (
        "【独家】阿婆接来电被骗上百万"
    )


def test_title_line_that_opens_a_title_with_a_long_suffix() -> None:
    title_tag = (
        "社会资本与再就业(页 1) - 学术前沿 - 某某大学社会学论坛 - powered by Discuz! Archiver"
    )
    lines = ["某某大学社会学论坛 » 学术前沿 » 社会资本与再就业", "社会资本与再就业", "赵延东"]
    assert extract_title([], title_tag, [], [], lines) == "社会资本与再就业"


def test_title_line_equal_to_the_cleaned_title_beats_a_shorter_prefix_line() -> None:
    title_tag = "2024年度学术研讨会会议日程_研讨会组委会_学术会议_EN_某某大学社会发展研究院"
    lines = [title_tag, "当前位置：首页>>会议", "2024年度学术研讨会会议日程", "2024年度学术研讨会"]
    assert extract_title([], title_tag, [], [], lines) == "2024年度学术研讨会会议日程"


def test_title_line_equal_to_the_headline_segment_drops_a_kept_leading_segment() -> None:
    title_tag = "Pixel Notes - 给新入职程序员的十条建议"
    lines = [
        title_tag,
        "Pixel Notes 技术随笔",
        "其他文章",
        "给新入职程序员的十条建议",
        "作者：某某",
    ]
    assert extract_title([], title_tag, [], [], lines) == "给新入职程序员的十条建议"
    # Without the line, nothing says the leading segment is not part of the headline.
    assert extract_title([], title_tag, [], [], lines[:3]) == title_tag


PROSE = "这是正文的一个段落，交代事情的经过、各方的说法和接下来的安排。"


def test_credit_under_a_summary_box_and_headline_repeated_in_the_body() -> None:
    markup = (
        "<html><head><meta charset='utf-8'><title>数据业大整顿_财经_某某网</title></head><body>"
        "<h1>数据业大整顿</h1><div class='info'>2019-09-23 07:48</div><div class='content'>"
        "<p>数据业大整顿</p><p>划重点：</p>"
        + "".join(f"<p>- 要点{i}：{PROSE}</p>" for i in range(3))
        + "<p>《棱镜》作者 周纯</p>"
        + "".join(f"<p>第{i}段。{PROSE}{PROSE}</p>" for i in range(8))
        + "</div></body></html>"
    )
    record = extract_page(markup, "https://news.example.cn/a/1.html", fetched_at=FETCHED).article
    assert record is not None
    assert record.authors == ["周纯"]
    assert not record.text.startswith("数据业大整顿")
    assert "周纯" not in record.text


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # A publish label wins over an update label, whatever their order.
        (["更新时间：2024-06-01 发布时间：2024-05-20"], "2024-05-20"),
        # 成文日期 labels the signing; 发布日期 in the next cell is the publish date.
        (["成文日期：", "2022年01月27日", "发布日期：", "2022年01月28日"], "2022-01-28"),
        (["發佈時間：2023-05-12 10:21"], "2023-05-12T10:21:00+08:00"),
        # The site header's "today" is skipped, even below the headline.
        (["今天是2024年6月3日 星期一", "2023-05-12"], "2023-05-12"),
    ],
)
def test_labels_of_other_dates(head: list[str], expected: str) -> None:
    assert extract_date([], ["标题", *head], [], "", FETCHED, chinese=True) == expected


def test_date_inside_the_headline_is_not_the_publish_date() -> None:
    title = "2024年6月1日起新规施行"
    near = [title, "2024-05-20 10:21 来源：新华社", "正文" * 30]
    assert (
        extract_date([], near, near, "", FETCHED, chinese=True, title=title, text_start=2)
        == "2024-05-20T10:21:00+08:00"
    )


def test_relative_date_and_url_beat_dates_below_the_article() -> None:
    near = ["标题", "昨天 10:21", "正文" * 30, "相关新闻", "另一条新闻 2024-05-30 09:00"]
    got = extract_date([], near, near, "", FETCHED, chinese=True, title="标题", text_start=2)
    assert got == "2024-06-30T10:21:00+08:00"
    url = "http://www.gov.example.cn/xw/202305/t20230512_123.html"
    near = ["标题", "浏览次数：12", "正文" * 30, "相关文章 2023-05-08"]
    assert extract_date([], near, near, url, FETCHED, chinese=True, text_start=2) == "2023-05-12"
    url = "http://www.example.cn/news/2023/0512/88.shtml"
    assert extract_date([], near, near, url, FETCHED, chinese=True, text_start=2) == "2023-05-12"


def test_reprint_own_header_after_the_headline_copy() -> None:
    title = "儿童心理素质发展现状调查研究报告"
    near = [title, "2005-03-06 16:17:00", title, "某某市妇女儿童工作委员会课题组", "2003年5月"]
    near.append("为了解全市儿童的心理发展现状，课题组开展了本次调查和研究，现将结果报告如下。")
    assert (
        extract_date([], near, near, "", FETCHED, chinese=True, title=title, text_start=5)
        == "2003-05"
    )
    # Without a copy of the headline the portal's timestamp is the date.
    del near[2]
    assert (
        extract_date([], near, near, "", FETCHED, chinese=True, title=title, text_start=4)
        == "2005-03-06T16:17:00+08:00"
    )


@pytest.mark.parametrize("marker", ["Heading", "article-heading"])
def test_heading_class_marks_a_headline(marker: str) -> None:
    html = f"<html><body><div class='{marker}'>某某会议在京召开</div><p>正文</p></body></html>"
    root = lxml.html.fromstring(html)
    assert read_meta(root).headings == ["某某会议在京召开"]


def test_decode_gb_page_behind_a_latin1_http_header() -> None:
    html = f"<meta http-equiv='Content-Type' content='text/html; charset=gb2312'><p>{RARE}</p>"
    assert RARE in decode_html(html.encode("gb18030"), http_charset="iso-8859-1")


@pytest.mark.parametrize("name", ["网友投稿", "本站小编", "佚名"])
def test_placeholder_credits_name_nobody(name: str) -> None:
    assert parse_credit(f"作者：{name}").bylines == []


@pytest.mark.parametrize(
    ("name", "evidence", "expected"),
    [
        # A label admits any well-formed name; the surname table only raises confidence.
        ("仉立群", Evidence.LABELLED, True),
        ("仉立群", Evidence.GLUED, False),
        ("仉立群", Evidence.BARE, False),
        ("周启航", Evidence.BARE, True),
        ("邓嘉文", Evidence.BARE, True),
        ("次仁旺堆", Evidence.GLUED, True),
        ("次仁旺堆", Evidence.BARE, False),
        ("乌云其木格", Evidence.LABELLED, True),
        ("乌云其木格", Evidence.BARE, False),
        ("买买提·艾力", Evidence.BARE, True),
        ("欧阳娜娜", Evidence.BARE, True),
        ("阿里巴巴", Evidence.BARE, False),
        ("南美站", Evidence.BARE, False),
        ("了解到", Evidence.LABELLED, False),
        ("王五介绍", Evidence.GLUED, False),
        ("关注", Evidence.LABELLED, False),
        ("新华社", Evidence.LABELLED, False),
        ("本报评论员", Evidence.LABELLED, False),
        ("从区教育局获悉", Evidence.LABELLED, False),
    ],
)
def test_names_by_evidence(name: str, evidence: Evidence, expected: bool) -> None:
    assert is_person_name(name, evidence) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("作者：邓嘉文", [("邓嘉文", "author")]),
        ("作者：记者 王海峰", [("王海峰", "reporter")]),
        ("作者：李明远、何婧", [("李明远", "author"), ("何婧", "author")]),
        ("光明网记者 王建国 张文强", [("王建国", "reporter"), ("张文强", "reporter")]),
        ("作者：周启航", [("周启航", "author")]),
        ("记者 次仁旺堆", [("次仁旺堆", "reporter")]),
        ("记者 乌云其木格 那顺·巴雅尔", [("乌云其木格", "reporter"), ("那顺·巴雅尔", "reporter")]),
        ("（姚明辉 上海报道）", [("姚明辉", "reporter")]),
        ("【作者】孙文静", [("孙文静", "author")]),
        ("文/图 张三", [("张三", "author"), ("张三", "photographer")]),
        ("记者 张一鸣 通讯员 李晓雯 摄", [("张一鸣", "photographer"), ("李晓雯", "photographer")]),
        ("撰文丨张三 编辑丨李四", [("张三", "author"), ("李四", "editor")]),
        ("（新华社发 张三摄）", [("张三", "photographer")]),
        ("记者 王　军", [("王军", "reporter")]),
        ("作者：张三 关注", [("张三", "author")]),
        ("记者 张三 表示", [("张三", "reporter")]),
    ],
)
def test_credit_forms_of_the_issue(text: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(bylines(text)) == sorted(expected)


def test_bare_names_only_where_allowed() -> None:
    info_bar = "2024-05-20 10:21 [ 黄晓宇 ] 来源：新京报"
    assert bylines(info_bar) == []
    assert [b.name for b in parse_credit(info_bar, bare="bracketed").bylines] == ["黄晓宇"]
    # A bracket in a headline-like line is no info bar.
    assert parse_credit("山西品牌丝路行（王府井）正式启动", bare="line").bylines == []
    assert [b.name for b in names_line("（袁芳）").bylines] == ["袁芳"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["周启航"], ["周启航"]),
        (["记者 张三，李四"], ["张三", "李四"]),
        (["张三 关注"], ["张三"]),
        (["By Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["关注", "订阅", "分享", "name", "author", "admin"], []),
        (["某某新闻网", "新华网", "南方都市报", "https://example.cn/u/1", "{{author}}"], []),
        (["某某新闻网科技"], []),
        (["Jill Disis, CNN Business"], ["Jill Disis"]),
    ],
)
def test_structured_authors_are_validated(values: list[str], expected: list[str]) -> None:
    sites = ["某某新闻网", "news.example.com", "edition.cnn.com"]
    assert structured_authors(values, sites, chinese=True) == expected


def test_a_channel_in_an_author_field_is_nobody() -> None:
    assert structured_authors(["腾讯科技", "今日头条"], [], chinese=True) == []
    assert structured_authors(["次仁旺堆", "买买提·艾力"], [], chinese=True) == [
        "次仁旺堆",
        "买买提·艾力",
    ]


def _credit_page(head: str = "", bar: str = "", lead: str = "", tail: str = "") -> str:
    paragraphs = [
        f"{lead}今年以来，区里把民生项目放在突出位置，各部门按照时间节点推进各项工作。",
        "据介绍，项目总投资约三亿元，预计明年年底前建成投入使用，届时将惠及周边居民。",
        "不少居民表示，新设施建成后，日常出行和办事都方便了许多，希望早日投入使用。",
        "此外，街道还组织志愿者上门走访，收集意见建议一百余条，并逐条研究落实。",
        "新建的口袋公园占地约三千平方米，设有步道、座椅和儿童游乐区，周末人气很旺。",
        "截至目前，已有一千二百多户家庭通过线上平台提交了申请，审核工作正在进行。",
        f"相关负责人说，下一步将继续完善配套服务，让群众有更多获得感。{tail}",
    ]
    return (
        f"<html><head><meta charset='utf-8'><title>城东新建社区服务中心_某某网</title>{head}"
        "</head><body><h1>城东新建社区服务中心</h1>"
        f"<div class='info'>2024-05-20 10:21 {bar}</div><div class='content'>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div></body></html>"
    )


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # One person in the bar and in the lead: the more specific role.
        (
            _credit_page(bar="作者：张文强", lead="本报讯（记者 张文强 李明远）"),
            [("张文强", "reporter"), ("李明远", "reporter")],
        ),
        # A meta author that the page credits as editor is the editor.
        (
            _credit_page(head="<meta name='author' content='王小明'>", bar="责任编辑：王小明"),
            [("王小明", "editor")],
        ),
        # A meta author the page never prints, beside the page's own writers: dropped.
        (
            _credit_page(head="<meta name='author' content='赵晓东'>", lead="本报讯（记者 何婧）"),
            [("何婧", "reporter")],
        ),
        # A meta author the page prints, beside its credits: kept.
        (
            _credit_page(head="<meta name='author' content='赵晓东'>", bar="赵晓东 编辑：王小明"),
            [("赵晓东", "author"), ("王小明", "editor")],
        ),
        # No credit on the page: the meta author is the author.
        (_credit_page(head="<meta name='author' content='次仁旺堆'>"), [("次仁旺堆", "author")]),
    ],
)
def test_page_credits_and_structured_authors_merge(
    page: str, expected: list[tuple[str, str]]
) -> None:
    record = extract_page(page, "https://news.example.cn/a/2.html", fetched_at=FETCHED).article
    assert record is not None
    assert sorted((b.name, b.role) for b in record.bylines) == sorted(expected)
