"""Page kinds on generated pages: short news are articles; listings, home pages, galleries,
error pages, search and tag pages are not.

A short news item (``快讯``) has a headline, a date or source bar and one paragraph of 80 or
more characters; it is an article whatever its length and however much navigation and how
many dated sidebar lists surround it. The other side is generated over as many layouts: list
items (linked headline, date, a teaser with or without an ellipsis) in ``ul``, ``div`` and
table markup, with and without a section heading and a date beside it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from crawler.extraction import extract_page

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
URL = "http://www.example.gov.cn/xwzx/qndt/202405/t20240520_1234567.html"

HEADLINES = [
    "快讯｜罗湖口岸今日起延长通关时间",
    "快讯：深圳地铁16号线二期开通运营",
    "青溪县发布暴雨橙色预警",
    "东湖街道开展燃气安全专项检查",
    "市民服务中心端午假期照常办公",
]
PARAGRAPHS = [
    "记者从罗湖口岸获悉，自5月20日起，罗湖口岸旅客通关时间延长至每日凌晨1时，方便深港两地居民往来，"
    "口岸管理部门已做好人员调配和查验设备保障工作，请旅客合理安排出行。",
    "深圳地铁16号线二期今日正式开通运营，线路全长约9.5公里，设8座车站，进一步完善了龙岗区和"
    "坪山区的轨道交通网络，沿线居民出行更加便捷，早晚高峰行车间隔为4分钟。",
    "县气象台5月20日10时发布暴雨橙色预警信号，预计未来6小时内全县将出现50毫米以上降雨，请市民"
    "注意防范，尽量减少外出，远离河道、山塘等危险区域，确保人身安全。",
    "为切实做好燃气安全工作，东湖街道近日组织执法队、社区工作站对辖区餐饮场所开展专项检查，共检查"
    "商户36家，现场督促整改隐患12处，对两家拒不整改的商户依法立案查处。",
]
BARS = [
    "2024-05-20 10:30",
    "发布时间：2024年05月20日 10:30",
    "来源：罗湖区融媒体中心",
    "2024/05/20 来源：新华社",
    "时间：2024-05-20　来源：本网　浏览次数：1024",
    "5分钟前 来源：青溪发布",
]


def _nav(count: int) -> str:
    names = ["首页", "新闻中心", "政务公开", "办事服务", "互动交流", "专题专栏", "数据开放"]
    links = "".join(
        f"<li><a href='/n{i}/'>{names[i % len(names)]}{i}</a></li>" for i in range(count)
    )
    return f"<ul class='nav'>{links}</ul>"


def _dated_list(count: int, heading: str = "最新动态") -> str:
    items = "".join(
        f"<li><a href='/xwzx/{i}.html'>区领导调研重点项目建设进展情况第{i}期</a>"
        f"<span>05-{10 + i % 20:02d}</span></li>"
        for i in range(count)
    )
    return f"<div class='side'><h3>{heading}</h3><ul>{items}</ul></div>" if count else ""


def _footer() -> str:
    return (
        "<div class='footer'>主办单位：某某区人民政府办公室 粤ICP备05000000号 "
        "网站标识码：4403030000</div>"
    )


def short_news(headline: str, bar: str, paragraph: str, layout: str, nav: int, side: int) -> str:
    """One short news item in a portal's page."""
    if layout == "div":
        main = (
            f"<div class='article'><h1>{headline}</h1><div class='info'>{bar}</div>"
            f"<div class='content'><p>{paragraph}</p></div></div>"
        )
    elif layout == "table":
        main = (
            "<table width='1000'><tr><td><table><tr><td class='title'>"
            f"{headline}</td></tr><tr><td class='info'>{bar}</td></tr>"
            f"<tr><td class='content'><p>{paragraph}</p></td></tr></table></td></tr></table>"
        )
    elif layout == "h2_span":
        main = (
            f"<div class='detail'><h2 class='title'>{headline}</h2><p><span>{bar}</span></p>"
            f"<div id='zoom'>{paragraph}</div></div>"
        )
    else:
        raise ValueError(layout)
    return (
        f"<html><head><meta charset='utf-8'><title>{headline}_某某区政府门户网站</title></head>"
        f"<body>{_nav(nav)}{main}{_dated_list(side)}{_dated_list(side // 2, '热点新闻')}"
        f"{_footer()}</body></html>"
    )


SHORT_NEWS = list(
    itertools.product(range(len(HEADLINES)), range(len(BARS)), ["div", "table", "h2_span"], [8, 40])
)


@pytest.mark.parametrize(("headline", "bar", "layout", "nav"), SHORT_NEWS)
def test_short_news_is_an_article(headline: int, bar: int, layout: str, nav: int) -> None:
    paragraph = PARAGRAPHS[(headline + bar) % len(PARAGRAPHS)]
    assert 80 <= len(paragraph) <= 120
    side = (10, 20, 0)[(headline + bar) % 3]
    html = short_news(HEADLINES[headline], BARS[bar], paragraph, layout, nav, side)
    result = extract_page(html, URL, fetched_at=FETCHED_AT)
    assert result.kind == "article", result.reason
    assert result.article is not None
    assert result.article.text == paragraph
    assert result.article.title == HEADLINES[headline]


# --------------------------------------------------------------------------- the other side

TEASER = (
    "为切实做好燃气安全工作，东湖街道近日组织执法队、社区工作站对辖区餐饮场所开展专项检查，"
    "共检查商户36家，现场督促整改隐患12处，要求商户落实主体责任"
)


def _items(markup: str, count: int, *, teaser: str, dated: bool) -> str:
    def date(i: int) -> str:
        return f"2024-05-{1 + i % 28:02d}" if dated else ""

    titles = [f"区领导调研重点项目建设进展情况第{i}期" for i in range(count)]
    if markup == "ul":
        rows = "".join(
            f"<li><a href='/xwzx/{i}.html'>{t}</a><span>{date(i)}</span>"
            + (f"<p>{teaser}</p>" if teaser else "")
            + "</li>"
            for i, t in enumerate(titles)
        )
        return f"<ul class='list'>{rows}</ul>"
    if markup == "div":
        return "".join(
            f"<div class='item'><h3><a href='/xwzx/{i}.html'>{t}</a></h3>"
            f"<div class='time'>{date(i)}</div>" + (f"<p>{teaser}</p>" if teaser else "") + "</div>"
            for i, t in enumerate(titles)
        )
    if markup == "table":
        rows = "".join(
            f"<tr><td><a href='/xwzx/{i}.html'>{t}</a></td><td>{date(i)}</td></tr>"
            + (f"<tr><td colspan='2'>{teaser}</td></tr>" if teaser else "")
            for i, t in enumerate(titles)
        )
        return f"<table class='list'>{rows}</table>"
    raise ValueError(markup)


def listing_page(markup: str, count: int, teaser: str, *, dated: bool, heading: bool) -> str:
    head = "<h1>区内动态</h1><div class='date'>2024-05-20</div>" if heading else ""
    pages = (
        "<div class='page'><a href='index_1.html'>下一页</a> <a href='index_9.html'>尾页</a></div>"
    )
    return (
        "<html><head><meta charset='utf-8'><title>区内动态_某某区政府门户网站</title></head>"
        f"<body>{_nav(12)}{head}{_items(markup, count, teaser=teaser, dated=dated)}{pages}"
        f"{_footer()}</body></html>"
    )


def home_page() -> str:
    featured = (
        f"<div class='focus'><h2><a href='/xwzx/1.html'>{HEADLINES[0]}</a></h2>"
        f"<p>{PARAGRAPHS[0]}</p></div>"
    )
    return (
        "<html><head><meta charset='utf-8'><title>某某区政府门户网站</title></head><body>"
        "<div class='top'>今天是2024年5月20日 星期一</div>"
        f"{_nav(20)}{featured}{_dated_list(12, '要闻')}{_dated_list(10, '通知公告')}"
        f"{_dated_list(8, '政策文件')}{_footer()}</body></html>"
    )


def gallery_page(bar: str) -> str:
    pictures = "".join(
        f"<div class='pic'><img src='/img/{i}.jpg' width='800' height='533'>"
        f"<p>图{i}：端午龙舟赛现场</p></div>"
        for i in range(1, 7)
    )
    return (
        "<html><head><meta charset='utf-8'><title>组图：端午龙舟赛_图片新闻</title></head><body>"
        f"{_nav(10)}<h1>组图：端午龙舟赛</h1><div class='info'>{bar}</div>"
        f"<div class='gallery'>{pictures}</div>{_footer()}</body></html>"
    )


def error_page(message: str) -> str:
    return (
        "<html><head><meta charset='utf-8'><title>提示信息_某某区政府门户网站</title></head><body>"
        f"{_nav(15)}<div class='error'><h2>{message}</h2>"
        "<p>您访问的页面不存在或已被删除，请检查网址是否正确，或返回首页继续浏览本站的其他内容，"
        "给您带来的不便敬请谅解。如有疑问请联系网站管理员。</p>"
        "<p><a href='/'>返回首页</a></p></div>"
        f"{_dated_list(10)}{_footer()}</body></html>"
    )


def search_page(count: int) -> str:
    results = "".join(
        f"<div class='result'><h3><a href='/xwzx/{i}.html'>罗湖区开展专项检查行动第{i}次</a></h3>"
        f"<p>{TEASER}</p><div class='url'>www.example.gov.cn/xwzx/{i}.html "
        f"2024-05-{1 + i:02d}</div></div>"
        for i in range(count)
    )
    return (
        "<html><head><meta charset='utf-8'><title>搜索结果_某某区政府门户网站</title></head><body>"
        f"{_nav(12)}<h1>搜索结果</h1><div class='info'>共找到 {count} 条结果，用时0.02秒</div>"
        f"{results}{_footer()}</body></html>"
    )


def tag_page(count: int) -> str:
    return (
        "<html><head><meta charset='utf-8'><title>标签：罗湖_某某新闻网</title></head><body>"
        f"{_nav(12)}<h1>标签：罗湖</h1>"
        f"{_items('div', count, teaser=TEASER, dated=True)}{_footer()}</body></html>"
    )


def _teaser_kind(teaser: str) -> str:
    return "cut" if teaser.endswith("…") else "teaser" if teaser else "none"


OTHER_PAGES = [
    *(
        (
            f"listing-{markup}-{count}-{_teaser_kind(teaser)}-{dated}-{heading}",
            listing_page(markup, count, teaser, dated=dated, heading=heading),
        )
        for markup, count, teaser, dated, heading in itertools.product(
            ["ul", "div", "table"],
            [5, 20],
            ["", TEASER, TEASER + "…"],
            [True, False],
            [True, False],
        )
    ),
    ("home", home_page()),
    *((f"gallery-{n}", gallery_page(bar)) for n, bar in enumerate(BARS)),
    ("error-404", error_page("页面不存在")),
    ("error-missing", error_page("抱歉，您访问的页面找不到了")),
    *((f"search-{count}", search_page(count)) for count in (3, 10)),
    *((f"tag-{count}", tag_page(count)) for count in (3, 12)),
]


@pytest.mark.parametrize(("name", "html"), OTHER_PAGES, ids=[name for name, _ in OTHER_PAGES])
def test_other_pages_are_no_articles(name: str, html: str) -> None:
    result = extract_page(html, "http://www.example.gov.cn/xwzx/qndt/", fetched_at=FETCHED_AT)
    assert result.kind != "article", name
    expected = name.split("-", maxsplit=1)[0]
    if expected == "error":
        assert result.reason == "soft_404"
    elif expected == "gallery":
        assert result.kind == "gallery"
    else:
        assert result.kind in {"listing", "error"}


EN_NEWS = [
    (
        "Bridge reopens after overnight repairs",
        "The Riverside bridge reopened to traffic at 6 a.m. on Monday after crews finished "
        "emergency repairs to a damaged expansion joint overnight.",
    ),
    (
        "Storm warning issued for the coast",
        "Forecasters issued an amber warning for strong winds along the coast on Tuesday, "
        "with gusts of up to 70 mph expected in exposed places.",
    ),
]
EN_BARS = ["May 20, 2024 10:30 AM", "Published 20 May 2024", "By Staff Reporter", "2 hours ago"]


@pytest.mark.parametrize(
    ("news", "bar", "layout"), list(itertools.product(range(2), range(4), ["div", "h2_span"]))
)
def test_english_short_news_is_an_article(news: int, bar: int, layout: str) -> None:
    headline, paragraph = EN_NEWS[news]
    html = short_news(headline, EN_BARS[bar], paragraph, layout, 30, 10).replace(
        "区领导调研重点项目建设进展情况", "Council leaders visit project site "
    )
    result = extract_page(
        html, "https://news.example.com/2024/05/20/flash.html", fetched_at=FETCHED_AT
    )
    assert result.kind == "article", result.reason
    assert result.article is not None
    assert result.article.text == paragraph


EN_TEASER = (
    "The city council voted on Tuesday to approve a four-kilometre cycle path along the river, "
    "linking the old town with the new business district"
)


def english_listing(markup: str, count: int, *, ellipsis: bool, heading: bool) -> str:
    teaser = EN_TEASER + ("…" if ellipsis else ".")
    titles = [f"Council approves new riverside cycle path, part {n}" for n in range(count)]
    if markup == "ul":
        items = "".join(
            f"<li><a href='/news/{n}.html'>{t}</a> <time>May {n + 1}, 2024</time>"
            f"<p>{teaser}</p></li>"
            for n, t in enumerate(titles)
        )
        body = f"<ul class='stories'>{items}</ul>"
    else:
        body = "".join(
            f"<article><h2><a href='/news/{n}.html'>{t}</a></h2><p class='byline'>By Jane Doe"
            f"</p><p>{teaser}</p></article>"
            for n, t in enumerate(titles)
        )
    head = "<h1>Local news</h1><p>Updated May 20, 2024</p>" if heading else ""
    nav = "".join(f"<li><a href='/{s}/'>{s}</a></li>" for s in ("News", "Sport", "Business"))
    return (
        "<html><head><meta charset='utf-8'><title>Local news | The Riverside Gazette</title>"
        f"</head><body><nav><ul>{nav}</ul></nav>{head}{body}</body></html>"
    )


@pytest.mark.parametrize(
    ("markup", "count", "ellipsis", "heading"),
    list(itertools.product(["ul", "article"], [3, 12], [False, True], [False, True])),
)
def test_english_listings_are_no_articles(
    markup: str, count: int, ellipsis: bool, heading: bool
) -> None:
    html = english_listing(markup, count, ellipsis=ellipsis, heading=heading)
    result = extract_page(html, "https://news.example.com/local/", fetched_at=FETCHED_AT)
    # A short list whose teasers trafilatura drops is "too short"; no list is an article.
    assert result.kind in {"listing", "error"}, result.reason
    if count > 3:
        assert result.kind == "listing"


STATIC_PAGES = [
    (
        "关于我们",
        "鹏城资讯网创办于2019年，是一家关注深圳本地新闻的综合资讯网站，内容涵盖时政、民生和文化生活。",
        ["新闻热线：0755-00000000　电子邮箱：news@example.com", "广告合作请致电：0755-00000001"],
    ),
    (
        "联系我们",
        "如您对本站内容有任何意见或建议，欢迎通过以下方式与我们联系，我们将尽快答复。",
        ["地址：深圳市罗湖区某某路1号 邮编：518000", "电话：0755-00000002"],
    ),
    (
        "About us",
        "The Riverside Gazette has covered the town and its villages since 1952.",
        ["Email: newsdesk@riverside.example", "Tel: 01234 567890"],
    ),
]


@pytest.mark.parametrize(("heading", "intro", "contacts"), STATIC_PAGES)
def test_a_static_page_without_metadata_is_no_article(
    heading: str, intro: str, contacts: list[str]
) -> None:
    sections = "".join(f"<h2>{heading}{n}</h2><p>{line}</p>" for n, line in enumerate(contacts))
    html = (
        f"<html><head><meta charset='utf-8'><title>{heading}_某某网</title></head><body>"
        f"{_nav(8)}<div class='about'><h1>{heading}</h1><p>{intro}</p>{sections}</div>"
        f"{_footer()}</body></html>"
    )
    result = extract_page(html, "http://www.example.com/about.html", fetched_at=FETCHED_AT)
    assert result.kind != "article"
