"""Site footers never reach the body: a page and its print version give the same text.

Each case renders one invented article twice: as the site's page (navigation, breadcrumbs,
widgets, a share bar, an editor line and a site footer, in one of several layouts) and as its
print version (``?print=1``: the headline, the date bar and the text, nothing else). Both must
give exactly the same ``text`` and ``title``, which is what lets the archive tell a print
version for an alias of the article. Footers are generated from the forms seen on Chinese
government and news sites (address and postcode, ICP numbers, ``版权所有``, ``主办单位``,
``技术支持``, telephone, "best viewed" lines) and their English kin.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from crawler.extraction import extract_page
from crawler.extraction.clean import (
    is_address_line,
    is_footer_line,
    is_furniture_line,
    is_site_contact,
    is_site_notice,
    trim_footer,
)

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)

ZH_TITLES = [
    "罗湖区开展夏季消防安全大检查",
    "青溪县召开二季度经济运行分析会",
    "东湖街道举办社区邻里文化节",
    "市交通局发布端午假期出行提示",
]
ZH_PARAGRAPHS = [
    "5月20日上午，区应急管理局联合消防救援大队对辖区大型商场、学校和老旧小区开展消防安全检查，"
    "共检查单位42家，发现并督促整改隐患87处。",
    "检查组要求各单位切实落实主体责任，定期开展消防演练，确保疏散通道畅通、消防设施完好有效。",
    "据介绍，今年以来全区已累计开展各类安全检查320余次，组织居民参加应急培训5000多人次，"
    "群众安全意识明显提升。",
    "下一步，相关部门将持续加大检查力度，对屡查屡犯的单位依法从严处理，切实保障人民群众生命财产安全。",
    "会议强调，要坚持稳中求进工作总基调，全力以赴抓项目、促投资、稳增长，确保完成全年目标任务。",
    "活动现场设置了非遗展示、亲子游戏和便民服务等多个区域，吸引了近千名居民参与。",
]
EN_TITLES = [
    "Council approves new riverside cycle path",
    "Local library extends weekend opening hours",
    "Harbour festival returns after three-year break",
]
EN_PARAGRAPHS = [
    "The city council voted on Tuesday to approve a four-kilometre cycle path along the river, "
    "linking the old town with the new business district.",
    "Construction is expected to begin in the spring and to take about eighteen months, "
    "according to the council's transport committee.",
    "Residents who spoke at the public hearing mostly welcomed the plan, although several "
    "shop owners raised concerns about parking during the works.",
    "The project will be funded jointly by the city and a regional infrastructure grant, with "
    "a total budget of 12 million pounds.",
    "Officials said a consultation on the final route would open next month and run for six "
    "weeks, with drop-in sessions at the central library.",
]

#: Site footers, as lists of lines.
ZH_FOOTERS = [
    [
        "主办单位：深圳市罗湖区人民政府办公室",
        "地址：深圳市罗湖区文锦中路1008号 邮编：518001",
        "联系电话：0755-25666666",
        "粤ICP备05000000号 粤公网安备 44030302000001号",
        "建议使用1366×768分辨率浏览",
    ],
    [
        "版权所有：青溪县人民政府 技术支持：青溪信息技术有限公司",
        "浙ICP备12345678号-1",
        "浙公网安备33012702000001号",
    ],
    [
        "地址：北京市东城区某某街18号　邮编：100010",
        "网站标识码：1100000001 京ICP备10000001号",
        "建议使用IE9及以上版本浏览器",
    ],
    [
        "Copyright © 2019-2024 东湖日报社 All Rights Reserved",
        "主办：东湖日报社 承办：东湖新媒体中心",
        "联系电话：027-88888888 传真：027-88888889",
    ],
    [
        "东湖网版权与免责声明：",
        "凡本网注明“来源：东湖网”的所有作品，版权均属于东湖网，未经本网授权不得转载、摘编。",
        "※ 联系电话：027-63070957",
        "版权所有：东湖网 鄂ICP备10000001号",
    ],
    [
        "关于我们 | 联系我们 | 网站地图 | 法律声明",
        "版权所有 © 某某市交通运输局",
        "最佳浏览分辨率 1920×1080",
    ],
]
EN_FOOTERS = [
    [
        "© 2024 Riverside Media Group. All rights reserved.",
        "Privacy Policy | Terms of Use | Cookie Settings",
        "Contact: newsdesk@riverside.example",
    ],
    [
        "Copyright 2024 The Harbour Gazette",
        "Best viewed in Chrome or Firefox at 1280×800",
        "Privacy Policy | Terms and Conditions",
    ],
    [
        "Tel: 01234 567890 | Address: 1 High Street, Riverside",
        "All rights reserved. Riverside Weekly Ltd.",
    ],
]


def _lines_html(lines: list[str], how: str) -> str:
    if how == "p":
        return "".join(f"<p>{line}</p>" for line in lines)
    return "<p>" + "<br>".join(lines) + "</p>"


def _bar(chinese: bool) -> str:
    if chinese:
        return "发布时间：2024-05-20 10:30　来源：罗湖区融媒体中心"
    return "Published 20 May 2024 · By Staff Reporter"


def _chrome_top(chinese: bool) -> str:
    if chinese:
        nav = "".join(
            f"<li><a href='/{i}/'>{name}</a></li>"
            for i, name in enumerate(["首页", "新闻中心", "政务公开", "办事服务", "互动交流"])
        )
        return (
            "<div class='top'>今天是2024年5月20日 星期一 <a href='/search'>站内搜索</a></div>"
            f"<ul class='menu'>{nav}</ul>"
            "<div class='location'>当前位置：<a href='/'>首页</a> &gt; "
            "<a href='/news/'>新闻中心</a> &gt; <a href='/news/qn/'>区内动态</a></div>"
        )
    nav = "".join(
        f"<li><a href='/{i}/'>{name}</a></li>"
        for i, name in enumerate(["Home", "News", "Sport", "Business", "Opinion"])
    )
    return f"<ul class='menu'>{nav}</ul>"


def _widgets(chinese: bool) -> str:
    if chinese:
        items = "".join(
            f"<li><a href='/news/{n}.html'>区领导调研重点项目建设进展情况第{n}期</a></li>"
            for n in range(6)
        )
        return (
            "<div class='share'>分享到：<a href='#'>微信</a> <a href='#'>微博</a></div>"
            "<div class='zrbj'>责任编辑：李晓明</div>"
            f"<div class='xgtj'><h3>相关推荐</h3><ul>{items}</ul></div>"
        )
    items = "".join(
        f"<li><a href='/news/{n}.html'>Schools prepare for the new term in district {n}</a></li>"
        for n in range(6)
    )
    return (
        "<div class='share'>Share this article <a href='#'>Facebook</a> <a href='#'>X</a></div>"
        f"<div class='related'><h3>Related stories</h3><ul>{items}</ul></div>"
    )


def page_html(
    title: str, paragraphs: list[str], footer: list[str], layout: str, chrome: str, *, chinese: bool
) -> str:
    """The article as the site serves it: its chrome (``full``: header, navigation,
    breadcrumbs, share bar, editor line and widgets; ``bare``: none), its footer in one of
    several layouts."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = f"<h1>{title}</h1><div class='info'>{_bar(chinese)}</div>"
    suffix = "_罗湖区政府在线" if chinese else " | Riverside News"
    top = _chrome_top(chinese) if chrome == "full" else ""
    widgets = _widgets(chinese) if chrome == "full" else ""
    as_p, as_br = _lines_html(footer, "p"), _lines_html(footer, "br")
    article = f"<div class='article'>{head}<div class='content'>{body}"
    main = {
        "in_container": f"{article}{as_p}</div></div>{widgets}",
        "in_container_br": f"{article}{as_br}</div></div>{widgets}",
        "table_cell": (
            f"<table width='1000'><tr><td>{article}</div></div>{widgets}</td></tr>"
            f"<tr><td class='bottom'>{'<br>'.join(footer)}</td></tr></table>"
        ),
        "footer_div": f"{article}</div></div>{widgets}<div class='footer'>{as_p}</div>",
        "footer_tag": f"{article}</div></div>{widgets}<footer>{as_br}</footer>",
        "bare_lines": f"{article}</div></div>{widgets}" + "<br>".join(footer),
    }[layout]
    return (
        f"<html><head><meta charset='utf-8'><title>{title}{suffix}</title></head>"
        f"<body>{top}{main}</body></html>"
    )


def print_html(title: str, paragraphs: list[str], url: str, *, chinese: bool) -> str:
    """The same article's print version: headline, date bar, text, print and close buttons."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    tools = "<div>【打印】【关闭】</div>" if chinese else "<div>Print | Close window</div>"
    link = f"本文链接：{url}" if chinese else f"URL: {url}"
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><div>{_bar(chinese)}</div><div class='content'>{body}</div>"
        f"<p>{link}</p>{tools}</body></html>"
    )


LAYOUTS = [
    "in_container",
    "in_container_br",
    "table_cell",
    "footer_div",
    "footer_tag",
    "bare_lines",
]
CHROMES = ["full", "bare"]


def _cases() -> list[tuple[bool, int, int, str, str, int]]:
    cases: list[tuple[bool, int, int, str, str, int]] = []
    for chinese, footers, titles in ((True, ZH_FOOTERS, ZH_TITLES), (False, EN_FOOTERS, EN_TITLES)):
        for footer, layout, chrome in itertools.product(range(len(footers)), LAYOUTS, CHROMES):
            n = len(cases)
            cases.append((chinese, footer, n % len(titles), layout, chrome, 1 + n % 5))
    return cases


@pytest.mark.parametrize(("chinese", "footer", "title", "layout", "chrome", "size"), _cases())
def test_page_and_its_print_version_give_the_same_text(
    chinese: bool, footer: int, title: int, layout: str, chrome: str, size: int
) -> None:
    titles, pool, footers = (
        (ZH_TITLES, ZH_PARAGRAPHS, ZH_FOOTERS)
        if chinese
        else (EN_TITLES, EN_PARAGRAPHS, EN_FOOTERS)
    )
    headline = titles[title]
    paragraphs = [pool[(title + i) % len(pool)] for i in range(size)]
    url = f"http://news.example.gov.cn/2024/05/20/content_{title}{size}.html"
    html = page_html(headline, paragraphs, footers[footer], layout, chrome, chinese=chinese)
    page = extract_page(html, url, fetched_at=FETCHED_AT)
    printed = extract_page(
        print_html(headline, paragraphs, url, chinese=chinese),
        url + "?print=1",
        fetched_at=FETCHED_AT,
    )
    assert page.article is not None
    assert printed.article is not None
    assert page.article.text == printed.article.text
    assert page.article.title == printed.article.title == headline
    assert page.article.text == "\n".join(paragraphs)


@pytest.mark.parametrize(
    "line",
    [line for footer in [*ZH_FOOTERS, *EN_FOOTERS] for line in footer if "地址" not in line]
    + [
        "粤ICP备05000000号",
        "京公网安备11010502000001号",
        "© 2024 Example Ltd. All rights reserved.",
    ],
)
def test_footer_lines(line: str) -> None:
    # Contact lines alone are no footer (an article may end with one); a row of links is
    # navigation; all others are footer lines.
    if line.lstrip("※ ").startswith(("联系电话", "Tel:", "Contact:")):
        assert not is_footer_line(line)
        assert is_site_contact(line)
    elif line.count("|") >= 2 and "Privacy" not in line:
        assert is_furniture_line(line)
    elif "声明" in line or "本网" in line:
        assert is_site_notice(line)
    else:
        assert is_footer_line(line), line


@pytest.mark.parametrize(
    "line",
    [
        "据了解，该公司对上述作品享有版权所有权，并已向法院提起诉讼。",
        "The court ruled that the copyright belonged to the photographer.",
        "Read our privacy policy before you sign up for the newsletter, the council said.",
        "会议由区委办主办，区直各单位主要负责人参加了会议。",
        "市民可拨打咨询电话：12345 了解详情。",
    ],
)
def test_sentences_are_no_footer(line: str) -> None:
    assert not is_footer_line(line)


def test_trim_footer_keeps_a_contact_line_that_ends_a_notice() -> None:
    # A contact line naming a person ends a notice; a bare telephone line is the site's.
    notice = ["报名时间为6月1日至6月10日，逾期不予受理。", "联系人：王老师 联系电话：0755-12345678"]
    assert trim_footer([notice[0], "联系电话：0755-12345678"]) == notice[:1]
    assert trim_footer(notice) == notice
    footer = ["主办单位：某某区人民政府", "地址：某某路1号 邮编：518000", "粤ICP备05000000号"]
    assert trim_footer([*notice, *footer]) == notice
    # Lines between the footer's marked lines go with it; a body without footer is untouched.
    assert trim_footer([*notice, footer[0], "某某区人民政府网站", footer[2]]) == notice
    assert trim_footer(notice[:1]) == notice[:1]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("地址：深圳市罗湖区文锦中路1008号 邮编：518001", True),
        ("通讯地址：北京市东城区某某街18号，邮政编码：100010", True),
        ("地址：某某路1号 电话：0755-1234567 传真：0755-1234568", True),
        ("Address: 1 High Street, Riverside. Tel: 01234 567890. Fax: 01234 567891", True),
        ("Tel: 01234 567890 | Address: 1 High Street, Riverside", True),
        ("联系人：王老师，联系电话：0755-12345678，地址：罗湖区某某路1号", False),
        ("Press contact: Jane Doe, Tel: 01234 567890, email: jane@example.org", False),
        ("咨询电话：12345", False),
    ],
)
def test_address_lines(line: str, expected: bool) -> None:
    assert is_address_line(line) is expected
    # A site's contact lines go with or without a footer after them, a person's stay: the
    # same either way, so a page and its print version agree.
    notice = ["报名截止时间为6月10日，逾期不予受理。", line]
    footer = ["粤ICP备05000000号"]
    kept = notice if "联系人" in line or "contact" in line else notice[:1]
    assert trim_footer(notice) == kept
    assert trim_footer([*notice, *footer]) == kept


SITE_NOTICES = [
    [
        "振兴东北网版权与免责声明：",
        "① 凡本网注明“来源：振兴东北网”的所有作品，版权均属于本网，未经本网授权不得转载。",
    ],
    ["【免责声明】本文仅代表作者个人观点，不代表本网立场，如有侵权请联系删除。"],
    ["版权声明：", "本站所载文章、图片等内容，未经本站书面授权，任何单位和个人不得转载、摘编。"],
    ["本文转载自其他媒体，转载目的在于传递更多信息，并不代表本平台赞同其观点。"],
]


@pytest.mark.parametrize("notice", SITE_NOTICES)
@pytest.mark.parametrize("contact", ["", "※ 联系电话：010-63070957 010-63070958"])
def test_a_site_notice_trailing_the_body_goes_with_the_footer(
    notice: list[str], contact: str
) -> None:
    body = [
        "会议强调，要坚持稳中求进工作总基调，全力以赴抓项目、促投资、稳增长，确保完成全年目标任务。"
    ]
    tail = [*notice, *([contact] if contact else []), "主办单位：某某网 京ICP备10000001号"]
    assert trim_footer([*body, *tail]) == body
    assert trim_footer([*body, *notice]) == body


def test_an_article_sentence_about_rights_is_no_site_notice() -> None:
    body = [
        "法院审理查明，该公司未经授权使用他人商标，构成侵权，判决其赔偿损失十万元。",
        "据了解，该作品的版权归作者本人所有，出版社已与其续签合同。",
    ]
    assert trim_footer(body) == body
    assert not any(is_site_notice(line) for line in body)
