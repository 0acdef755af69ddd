"""The text key (archive.textkey): equal for one text under any headline and whatever furniture
lines a print, mobile or cross-posted copy adds or drops; absent for texts too short to tell
pages apart; different for different texts. Pure functions, no database."""

from __future__ import annotations

import pytest

from archive.textkey import (
    MIN_KEY_CHARS,
    boilerplate_kind,
    key_lines,
    normalise_line,
    site_base,
    site_family,
    text_key,
)

BODY = [
    "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
    "全年计划完成固定资产投资超过三百亿元。",
    "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
    "同步完善交通、教育和医疗配套设施。",
    "区相关负责人表示，将坚持“留改拆”并举，守住老城区的烟火气。",
]
TEXT = "\n".join(BODY)


def with_lines(before: list[str], after: list[str], body: list[str] = BODY) -> str:
    return "\n".join([*before, *body, *after])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            [],
            [
                "地址：深圳市罗湖区文锦中路1008号 邮编：518001",
                "建议使用1366×768分辨率浏览 粤ICP备12345678号-1",
                "版权所有：深圳市罗湖区人民政府 主办单位：罗湖区政务服务数据管理局",
            ],
            id="site-footer",
        ),
        pytest.param(
            [],
            [
                "主办：罗湖区委宣传部 | 承办：区融媒体中心 | 技术支持：某某科技"
                " | 网站标识码4403030001"
            ],
            id="footer-cell-in-one-line",
        ),
        pytest.param([], ["（责任编辑：王小明）", "审核：李四", "校对 赵五"], id="editor-lines"),
        pytest.param(
            ["分享到：微信 微博 QQ空间", "【字号 大 中 小】"],
            ["【打印】【关闭】", "打印"],
            id="share",
        ),
        pytest.param(
            ["发布时间：2024-05-20 10:21 来源：罗湖区融媒体中心", "作者：张一鎏", "浏览次数：1024"],
            ["来源：深圳特区报", "原标题：罗湖加快城市更新"],
            id="metadata-labels",
        ),
        pytest.param(["2024年05月20日 10:21"], [], id="date-line"),
        pytest.param(
            [], ["本文链接：http://www.szlh.gov.cn/xxgk/xwzx/content/post_1.html"], id="url"
        ),
        pytest.param(
            ["罗湖加快推进城市更新"], [], id="headline-repeated-first"
        ),  # a print page prints the headline inside the text
        pytest.param(
            [], ["Copyright © 2024 Luohu News. All rights reserved."], id="english-footer"
        ),
    ],
)
def test_furniture_lines_leave_the_key_unchanged(before: list[str], after: list[str]) -> None:
    key = text_key("罗湖加快推进城市更新", TEXT)
    assert key is not None
    assert text_key("罗湖加快推进城市更新", with_lines(before, after)) == key


def test_the_key_ignores_the_headline_whitespace_width_and_invisible_characters() -> None:
    key = text_key("标题一", TEXT)
    assert key is not None
    assert text_key("完全不同的标题", TEXT) == key
    assert text_key(None, TEXT) == key
    # Full-width letters, a zero-width space, paragraphs broken at other places.
    reflowed = TEXT.replace("三百亿元", "三百亿元\u200b").replace("，", "，\n", 1)
    assert text_key("标题一", "  " + reflowed.replace("区", "区 ", 3) + "\n\n") == key
    assert text_key("x", TEXT.replace("“", "\u201c")) == key


def test_different_texts_have_different_keys() -> None:
    key = text_key("标题", TEXT)
    changed = [
        TEXT + "\n另据了解，相关项目将于年底前全部开工。",
        TEXT.replace("三百亿元", "两百亿元"),
        "\n".join(BODY[:2]),
        "\n".join(reversed(BODY)),
    ]
    assert len({key, *(text_key("标题", t) for t in changed)}) == 1 + len(changed)


@pytest.mark.parametrize(
    "text",
    [
        "本页面内容正在更新",
        "本页面内容正在更新，请稍后访问。\n如有疑问请联系网站管理员。",
        "该信息已下线",
        # One line of notice, long-winded but still a notice.
        "尊敬的用户：根据相关法律法规和政策，该内容暂时无法显示，请您浏览其他内容。"
        "如需帮助，请在工作日上午九点至下午五点之间联系网站管理员，我们将尽快为您处理。",
        "This page is being updated. Please check back later.",
        # A long text made of furniture only.
        "\n".join(
            ["分享到：微信 微博", "责任编辑：王小明", "粤ICP备12345678号", "来源：深圳特区报"]
        ),
    ],
)
def test_texts_too_short_to_tell_pages_apart_have_no_key(text: str) -> None:
    assert text_key("标题", text) is None


def test_the_length_guard_counts_kept_characters() -> None:
    # Two lines of text just over the minimum have a key; just under, none.
    line = "甲" * (MIN_KEY_CHARS // 2)
    assert text_key(None, f"{line}\n{line}") is not None
    assert text_key(None, f"{line}\n{line[:-1]}") is None
    assert text_key(None, f"{line}\n{line[:-1]}\n责任编辑：王小明王小明") is None


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("责任编辑：王小明", "editor"),
        ("（责编：萧潇、张妍）", "editor"),
        ("编辑 李楠", "editor"),
        ("Editing by Jane Doe", "editor"),
        ("(Reporting by John Roe; Editing by Jane Doe)", "editor"),
        ("分享到：", "share"),
        ("上一篇：罗湖区召开会议", "share"),
        ("share this article", "share"),
        ("来源：新华社", "label"),
        ("发布日期：2024-05-20", "label"),
        ("source: reuters", "label"),
        ("2024-05-20 10:21", "date"),
        ("http://www.example.com/a/1.html", "url"),
        ("粤icp备12345678号", "footer"),
        ("copyright © 2024 example news", "footer"),
        ("转载请注明出处", "footer"),
        ("地址：深圳市罗湖区文锦中路1008号 邮编：518001", "footer"),
        # Lines of text that only look like furniture.
        ("编辑部成立于1990年，至今已出版三千余期", None),
        ("审核通过的项目将于下月公示。", None),
        ("时间：6月1日上午9点", None),
        ("地址：罗湖区东门步行街", None),
        ("联系电话：0755-12345678", None),
        ("记者 张一鎏 通讯员 陈杏花", None),
        (
            "市版权局表示，本次专项行动将严厉打击侵权盗版行为，切实保护著作权人的合法权益，"
            "维护良好的出版秩序和市场环境，同时加强对版权所有人的宣传和服务，提升全社会的版权意识。"
            "行动将持续到年底，重点检查网络平台、印刷企业和出版物市场。",
            None,
        ),
    ],
)
def test_boilerplate_kinds(line: str, kind: str | None) -> None:
    assert boilerplate_kind(normalise_line(line)) == kind


def test_key_lines_are_normalised_and_keep_the_text() -> None:
    lines = key_lines("标题", "  ＲＯＵＴＥ  66\t段落 \n\n责任编辑：王五\n第二段")
    assert lines == ("route 66 段落", "第二段")


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("www.example.com", ("www.example.com", "example.com", "m.example.com")),
        ("m.example.com", ("m.example.com", "example.com", "www.example.com", "wap.example.com")),
        ("example.com", ("example.com", "www.example.com", "m.example.com")),
        ("wap.news.example.com:8080", ("news.example.com:8080", "m.news.example.com:8080")),
    ],
)
def test_a_site_family_holds_its_desktop_and_mobile_editions(
    site: str, expected: tuple[str, ...]
) -> None:
    family = site_family(site)
    assert family[0] == site
    assert set(expected) <= set(family)
    assert len(family) == len(set(family))


@pytest.mark.parametrize(
    ("site", "not_expected"),
    [
        ("news.example.com", "example.com"),  # another site of the publisher: not an edition
        ("m.com", "www.com"),  # a two-label host is a site, not an edition
        ("127.0.0.1:8080", "m.127.0.0.1:8080"),
        ("::1:8080", "m.::1:8080"),
        ("localhost", "m.localhost"),
    ],
)
def test_other_sites_are_not_editions(site: str, not_expected: str) -> None:
    assert not_expected not in site_family(site)
    assert site_base(site) == site


def test_editions_share_their_base() -> None:
    bases = {site_base(s) for s in ("example.com", "www.example.com", "m.example.com")}
    assert bases == {"example.com"}
    assert site_base("wap.news.example.com:8080") == "news.example.com:8080"
