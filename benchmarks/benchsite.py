"""The crawl benchmark's site: generated news pages on disk, and a fast static server for them.

:func:`generate_site` writes a deterministic site (the same bytes for the same arguments) of
article pages in Chinese and English, each 30-80 KB as news portals serve them: a head with
styles and scripts, navigation, breadcrumbs, the article with its date, source and byline, side
widgets (hot list, related articles, pictures), a footer, trailing scripts. Each language has a
paginated listing (``index.html``, ``index_2.html``, ...) leading to its articles, and related
widgets link articles to each other.

:func:`corpus_site` builds a site of real pages instead: each page of a corpus folder (the
labelled dev corpus, ``../shared/eval/dev``, read where it lies) served several times under
dated article URLs, each copy with a sentence of its own after its first long paragraph (so
that copies are distinct articles, not one text under many URLs), its links made absolute
against the page's own address (so that neither spider follows them to this server), and
listings leading to them. Its bytes keep each page's own encoding; serve it with
``StaticServer(..., charset=None)`` so that the page's ``<meta charset>`` decides.

:class:`StaticServer` serves the folder on 127.0.0.1: nginx when it is installed (C, sendfile,
keep-alive: it costs the crawl's cores least), else Python's threaded ``http.server`` with
HTTP/1.1 keep-alive, in a subprocess either way. It says which it is.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

PER_PAGE = 20

_ZH_PLACES = ("罗湖区", "福田区", "南山区", "盐田区", "龙岗区", "宝安区", "龙华区", "坪山区")
_ZH_BODIES = (
    "区委区政府",
    "街道办事处",
    "区住房和建设局",
    "区教育局",
    "社区工作站",
    "区卫生健康局",
)
_ZH_VERBS = ("召开", "部署", "推进", "开展", "启动", "完成", "举办", "印发")
_ZH_TOPICS = (
    "城市更新项目",
    "民生实事工作",
    "营商环境优化行动",
    "口岸经济带建设",
    "老旧小区改造",
    "社区养老服务",
    "学位建设攻坚",
    "河道综合治理",
    "消防安全检查",
    "文化惠民活动",
)
_ZH_CLAUSES = (
    "会议强调，要坚持以人民为中心的发展思想，把群众满意作为检验工作的标准",
    "据了解，今年以来全区共安排重点项目一百余个，年度计划投资稳步增长",
    "相关负责人表示，下一步将继续加大统筹力度，确保各项任务按期完成",
    "现场，工作人员向居民详细介绍了政策内容，并耐心解答大家关心的问题",
    "截至目前，项目主体结构已基本完工，预计年底前投入使用",
    "活动吸引了周边社区数百名居民参与，大家纷纷表示收获满满",
    "该区还将建立健全长效机制，推动工作常态化、制度化开展",
    "记者在现场看到，施工人员正在有序作业，各项安全措施落实到位",
    "据统计，上半年全区新增市场主体一万余户，同比增长百分之十二",
    "下一步，街道将联合多个部门开展专项检查，及时消除各类隐患",
)
_ZH_SOURCES = ("深圳特区报", "深圳商报", "南方都市报", "晶报", "罗湖融媒", "深圳新闻网")
_ZH_NAMES = ("张一鸣", "陈晓华", "李文静", "王志强", "刘思远", "黄丽娟", "周建国", "吴敏")

_EN_PLACES = ("Riverside", "Harbor District", "Old Town", "Northgate", "Westfield", "Lakeview")
_EN_SUBJECTS = (
    "The city council",
    "Local officials",
    "The transport authority",
    "School board members",
    "Residents of the district",
    "The health department",
)
_EN_VERBS = ("approved", "debated", "announced", "postponed", "unveiled", "reviewed")
_EN_TOPICS = (
    "a new budget for road repairs",
    "plans to expand the public library",
    "a pilot program for electric buses",
    "changes to parking rules downtown",
    "funding for after-school programs",
    "a study of flood defenses along the river",
    "rules for short-term rentals",
    "a new clinic on the east side",
)
_EN_CLAUSES = (
    "according to documents released ahead of the meeting",
    "after months of public consultation and several heated hearings",
    "a move that supporters say is long overdue",
    "although critics warned that costs could rise sharply next year",
    "with work expected to begin before the end of the summer",
    "in a vote that split the chamber along familiar lines",
    "citing a sharp increase in complaints from local businesses",
    "while promising a full review of the results within two years",
)
_EN_NAMES = ("Jane Morrow", "David Okafor", "Priya Raman", "Tom Becker", "Lucia Alvarez", "Sam Ito")

_CSS = (
    "body{margin:0;font-family:'Microsoft YaHei',Arial,sans-serif;color:#333;background:#f5f5f5}"
    ".wrap{width:1200px;margin:0 auto}.top-bar{background:#222;color:#ccc;font-size:12px}"
    ".nav ul{list-style:none;margin:0;padding:0}.nav li{float:left;padding:0 14px;line-height:46px}"
    ".article h1{font-size:28px;line-height:40px}.info{color:#999;font-size:13px}"
    ".content p{text-indent:2em;line-height:30px;font-size:16px}.sidebar{float:right;width:320px}"
    ".widget h3{border-left:4px solid #c00;padding-left:8px}.footer{background:#333;color:#aaa}"
)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    root: Path
    start_paths: tuple[str, ...]
    articles: int
    listing_pages: int
    total_bytes: int

    @property
    def article_bytes_mean(self) -> float:
        return self.total_bytes / max(self.articles, 1)


def _script(rng: random.Random, kilobytes: int) -> str:
    """Inline JavaScript of about ``kilobytes`` KB (analytics, ads, share buttons)."""
    parts = []
    size = 0
    while size < kilobytes * 1024:
        name = f"_{rng.randrange(16**6):06x}"
        chunk = (
            f"var {name}=function(e,t){{var n=document.createElement('script');n.async=!0;"
            f"n.src='https://stat.example.com/c.js?id={rng.randrange(10**8)}&r='+Math.random();"
            f"var r=document.getElementsByTagName('script')[0];r.parentNode.insertBefore(n,r);"
            f"window['{name}_q']=(window['{name}_q']||[]).concat([e,t,{rng.randrange(999)}])}};"
        )
        parts.append(chunk)
        size += len(chunk)
    return "".join(parts)


def _zh_paragraph(rng: random.Random, place: str) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        sentences.append(
            f"{place}{rng.choice(_ZH_BODIES)}{rng.choice(_ZH_VERBS)}{rng.choice(_ZH_TOPICS)}，"
            f"{rng.choice(_ZH_CLAUSES)}。"
        )
    return "".join(sentences)


def _en_paragraph(rng: random.Random, place: str) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        sentences.append(
            f"{rng.choice(_EN_SUBJECTS)} in {place} {rng.choice(_EN_VERBS)} "
            f"{rng.choice(_EN_TOPICS)} on {rng.choice(('Monday', 'Tuesday', 'Thursday'))}, "
            f"{rng.choice(_EN_CLAUSES)}."
        )
    return " ".join(sentences)


@dataclass(frozen=True, slots=True)
class _Article:
    number: int
    lang: str
    published: datetime
    title: str

    @property
    def path(self) -> str:
        if self.lang == "zh":
            return f"/zh/news/{self.published:%Y%m/%d}/t{self.published:%Y%m%d}_{self.number}.html"
        slug = self.title.lower().replace(" ", "-").replace(",", "")[:60].strip("-")
        return f"/en/news/{self.published:%Y/%m/%d}/{slug}-{self.number}.html"


def _articles(count: int, rng: random.Random) -> list[_Article]:
    base = datetime(2024, 3, 1, 8, 0)
    articles = []
    for number in range(count):
        lang = "zh" if number % 2 == 0 else "en"
        published = base + timedelta(hours=number * 3, minutes=rng.randrange(60))
        if lang == "zh":
            title = (
                f"{rng.choice(_ZH_PLACES)}{rng.choice(_ZH_VERBS)}"
                f"{rng.choice(_ZH_TOPICS)}（第{number}期）"
            )
        else:
            title = (
                f"{rng.choice(_EN_PLACES)} {rng.choice(_EN_SUBJECTS).split()[-1]} "
                f"{rng.choice(_EN_VERBS)} {rng.choice(_EN_TOPICS)} ({number})"
            )
        articles.append(_Article(number + 1000, lang, published, title))
    return articles


def _nav(lang: str) -> str:
    if lang == "zh":
        items = [
            "首页", "要闻", "区内动态", "街道新闻", "政务公开", "民生服务", "图片新闻", "视频",
            "专题", "评论", "财经", "教育", "健康", "文旅", "交通", "互动",
        ]  # fmt: skip
        links = "".join(
            f'<li class="menu-item"><a href="/zh/{i}/">{name}</a>{_submenu(f"/zh/{i}", name)}</li>'
            for i, name in enumerate(items)
        )
        return (
            '<div class="top-bar"><div class="wrap">欢迎访问深圳区域新闻网 | '
            '<a href="/zh/login.html">登录</a> | <a href="/zh/wap/">手机版</a> | '
            '<a href="http://www.example.gov.cn/">政府门户</a></div></div>'
            '<div class="header wrap"><div class="logo"><a href="/"><img src="/img/logo.png" '
            f'alt="区域新闻网"></a></div><div class="nav"><ul>{links}</ul></div>'
            '<form class="search" action="/search"><input name="q" placeholder="请输入关键词">'
            "<button>搜索</button></form></div>"
        )
    items = [
        "Home", "Local", "Politics", "Business", "Education", "Health", "Transport",
        "Opinion", "Sport", "Culture", "Weather", "Obituaries", "Newsletters", "Subscribe",
    ]  # fmt: skip
    links = "".join(
        f'<li class="menu-item"><a href="/en/{n.lower()}/">{n}</a>{_submenu(f"/en/{n.lower()}", n)}'
        "</li>"
        for n in items
    )
    return (
        '<div class="top-bar"><div class="wrap"><a href="/en/subscribe/">Subscribe for $1</a> | '
        '<a href="/en/login/">Sign in</a></div></div><header class="header wrap">'
        '<a class="logo" href="/"><img src="/img/logo-en.png" alt="The District Ledger"></a>'
        f'<nav class="nav"><ul>{links}</ul></nav></header>'
    )


def _submenu(prefix: str, name: str) -> str:
    """A drop-down of the menu item: portals draw every section's sub-sections on each page."""
    items = "".join(
        f'<li><a class="sub-link" href="{prefix}/s{i}/"><span class="icon"></span>'
        f"<span>{name} {i}</span></a></li>"
        for i in range(1, 9)
    )
    return f'<div class="dropdown"><div class="dropdown-inner"><ul>{items}</ul></div></div>'


def _ad(rng: random.Random) -> str:
    slot = rng.randrange(10**6)
    return (
        f'<div class="ad-slot" id="ad_{slot}"><div class="ad-inner"><ins class="adsbygoogle" '
        f'data-ad-client="ca-pub-{slot}" data-ad-slot="{slot}"></ins>'
        '<span class="ad-label">广告 Advertisement</span></div></div>'
    )


def _widgets(lang: str, others: list[_Article]) -> str:
    hot, related, pictures = others[:10], others[10:18], others[18:22]
    if lang == "zh":
        titles = ("热点排行", "相关推荐", "图片新闻")
    else:
        titles = ("Most read", "Related stories", "In pictures")
    hot_list = "".join(
        f'<li class="item"><div class="row"><span class="n n{i + 1}">{i + 1}</span>'
        f'<div class="txt"><a href="{a.path}" target="_blank">{a.title}</a></div>'
        f'<div class="meta"><span class="views">{a.number * 7 % 9999}</span></div></div></li>'
        for i, a in enumerate(hot)
    )
    related_list = "".join(
        f'<li><a href="{a.path}">{a.title}</a><span>{a.published:%Y-%m-%d}</span></li>'
        for a in related
    )
    picture_list = "".join(
        f'<li><a href="{a.path}"><img src="/img/p{a.number}.jpg" alt=""><p>{a.title}</p></a></li>'
        for a in pictures
    )
    return (
        f'<div class="sidebar"><div class="widget"><h3>{titles[0]}</h3><ul>{hot_list}</ul></div>'
        f'<div class="widget"><h3>{titles[1]}</h3><ul>{related_list}</ul></div>'
        f'<div class="widget pics"><h3>{titles[2]}</h3><ul>{picture_list}</ul></div></div>'
    )


def _footer(lang: str, rng: random.Random) -> str:
    if lang == "zh":
        links = "".join(
            f'<a href="/zh/about/{i}.html">{name}</a> | '
            for i, name in enumerate(("关于我们", "联系我们", "网站地图", "版权声明", "广告服务"))
        )
        friends = "".join(
            f'<li><a href="http://www.site{i}.example.cn/" target="_blank">合作网站{i}</a></li>'
            for i in range(40)
        )
        return (
            f'<div class="friend-links wrap"><h4>友情链接</h4><ul>{friends}</ul></div>'
            f"{_sitemap('/zh', rng)}"
            f'<div class="footer"><div class="wrap"><p>{links}</p>'
            "<p>主办单位：区委宣传部 承办：区融媒体中心 版权所有 2016-2024</p>"
            f"<p>粤ICP备{rng.randrange(10**7, 10**8)}号 粤公网安备 {rng.randrange(10**13)}号</p>"
            '<p><a href="http://bszs.conac.cn/">党政机关</a> 违法和不良信息举报电话：12345</p>'
            "</div></div>"
        )
    links = "".join(
        f'<a href="/en/{slug}/">{name}</a> '
        for slug, name in (
            ("about", "About us"), ("contact", "Contact"), ("privacy", "Privacy policy"),
            ("terms", "Terms of use"), ("advertise", "Advertise"),
        )
    )  # fmt: skip
    return (
        f"{_sitemap('/en', rng)}"
        f'<footer class="footer"><div class="wrap"><p>{links}</p>'
        "<p>© 2024 The District Ledger. All rights reserved.</p></div></footer>"
    )


def _sitemap(prefix: str, rng: random.Random) -> str:
    columns = "".join(
        f'<div class="col"><h5>{prefix[1:]}-{c}</h5><ul>'
        + "".join(
            f'<li><a href="{prefix}/map/{c}/{i}/">{prefix[1:]} {c}.{i} '
            f"{rng.randrange(100)}</a></li>"
            for i in range(10)
        )
        + "</ul></div>"
        for c in range(6)
    )
    return f'<div class="sitemap wrap"><div class="cols">{columns}</div></div>'


def _comments(rng: random.Random) -> str:
    items = "".join(
        f'<div class="comment"><div class="avatar"><img src="/img/u{i}.png" alt=""></div>'
        f'<div class="c-body"><div class="c-head"><span class="c-name">{rng.choice(_EN_NAMES)}'
        f'</span><span class="c-time">{rng.randrange(1, 59)} minutes ago</span></div>'
        f'<p class="c-text">{_en_paragraph(rng, "town")[:140]}</p><div class="c-actions">'
        '<a href="#">Reply</a> <a href="#">Like</a></div></div></div>'
        for i in range(rng.randint(3, 12))
    )
    return f'<section class="comments"><h3>Comments</h3>{items}</section>'


def _article_page(article: _Article, others: list[_Article], rng: random.Random) -> str:
    lang = article.lang
    place = article.title[:3] if lang == "zh" else article.title.split()[0]
    head_script = _script(rng, rng.randint(6, 22))
    tail_script = _script(rng, rng.randint(8, 30))
    paragraphs = rng.randint(6, 16)
    if lang == "zh":
        body = "".join(
            '<p style="text-indent:2em;line-height:1.75"><span style="font-family:宋体;'
            f'font-size:16px">{_zh_paragraph(rng, place)}</span></p>'
            + (
                f'<p style="text-align:center"><img src="/img/a{article.number}_{i}.jpg" '
                'border="0"></p>'
                if i % 5 == 2
                else ""
            )
            for i in range(paragraphs)
        )
        body = f'<div class="TRS_Editor"><div class="Custom_UnionStyle">{body}</div></div>'
        reporter, other = rng.sample(_ZH_NAMES, 2)
        source = rng.choice(_ZH_SOURCES)
        article_html = (
            '<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; '
            '<a href="/zh/news/index.html">新闻中心</a> &gt; <a href="/zh/news/index.html">区内动态'
            f'</a></div><div class="article"><h1>{article.title}</h1><div class="info">'
            f"<span>发布时间：{article.published:%Y-%m-%d %H:%M}</span> <span>来源：{source}</span>"
            f' <span>浏览次数：<em id="hits">{rng.randrange(100, 99999)}</em></span>'
            '<span class="font">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>'
            f'</span></div><div class="content" id="zoom"><p>{source}记者 {reporter} 通讯员 '
            f"{other}</p>{body}</div><div class='editor'>责任编辑：{rng.choice(_ZH_NAMES)}</div>"
            '<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>'
            '<div class="prev-next"><a href="#">上一篇</a> <a href="#">下一篇</a></div></div>'
        )
    else:
        body = "".join(
            f"<p>{_en_paragraph(rng, place)}</p>"
            + (
                f'<figure><img src="/img/e{article.number}_{i}.jpg" alt="">'
                f"<figcaption>A view of {place}. (Staff photo)</figcaption></figure>"
                if i % 4 == 1
                else ""
            )
            + (_ad(rng) if i % 6 == 3 else "")
            for i in range(paragraphs)
        )
        article_html = (
            '<nav class="breadcrumb"><a href="/">Home</a> › <a href="/en/news/index.html">Local'
            f'</a></nav><article class="article"><h1>{article.title}</h1><div class="info">'
            f'By <a rel="author" href="/en/staff/{article.number % 7}/">'
            f"{rng.choice(_EN_NAMES)}</a> · <time datetime="
            f'"{article.published:%Y-%m-%dT%H:%M}:00-05:00">{article.published:%B %d, %Y}</time>'
            f'</div><div class="content">{body}</div><div class="share">Share: '
            '<a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div></article>'
            '<div class="newsletter">Sign up for our morning briefing. <a href="/en/newsletters/">'
            f"Subscribe</a></div>{_comments(rng)}"
        )
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{article.title}_{"区域新闻网" if lang == "zh" else "Ledger"}'
        '</title><meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<link rel="canonical" href="{article.path}"><style>{_CSS}</style>'
        f"<script>{head_script}</script></head><body>{_nav(lang)}"
        f'<div class="ticker wrap">{_ad(rng)}</div>'
        f'<div class="main wrap">{article_html}{_widgets(lang, others)}{_ad(rng)}</div>'
        f"{_footer(lang, rng)}<script>{tail_script}</script></body></html>"
    )


def _listing_page(lang: str, number: int, pages: int, chunk: list[_Article]) -> str:
    prefix = f"/{lang}/news/"
    items = "".join(
        f'<li><a href="{a.path}">{a.title}</a><span class="date">{a.published:%Y-%m-%d}</span></li>'
        for a in chunk
    )
    pager = []
    for n in sorted({1, *range(max(1, number - 2), min(pages, number + 2) + 1), pages}):
        pager.append(f'<a href="{prefix}{"index" if n == 1 else f"index_{n}"}.html">{n}</a>')
    if number < pages:
        label = "下一页" if lang == "zh" else "Next"
        pager.append(f'<a href="{prefix}index_{number + 1}.html">{label}</a>')
    title = f"新闻中心_第{number}页" if lang == "zh" else f"Local news - page {number}"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_CSS}</style></head><body>{_nav(lang)}<div class='main wrap'>"
        f"<ul class='list'>{items}</ul><div class='pager'>{' '.join(pager)}</div></div>"
        "</body></html>"
    )


def _finish_site(root: Path, every: list[_Article], total: int) -> SiteInfo:
    """Write the listings of ``every`` article (per language, newest first, paginated),
    robots.txt and readable folders under ``root``; the site's :class:`SiteInfo`
    (``total``: bytes of its article pages)."""
    listing_pages = 0
    for lang in ("zh", "en"):
        newest_first = sorted(
            (a for a in every if a.lang == lang), key=lambda a: a.published, reverse=True
        )
        pages = max(1, -(-len(newest_first) // PER_PAGE))
        listing_pages += pages
        for number in range(1, pages + 1):
            chunk = newest_first[(number - 1) * PER_PAGE : number * PER_PAGE]
            name = "index.html" if number == 1 else f"index_{number}.html"
            path = root / lang / "news" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_listing_page(lang, number, pages, chunk), encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /search\n", encoding="utf-8")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)  # nginx's workers run as an unprivileged user
    return SiteInfo(root, ("/zh/news/index.html", "/en/news/index.html"), len(every),
                    listing_pages, total)  # fmt: skip


def generate_site(root: Path, articles: int = 1200, seed: int = 11) -> SiteInfo:
    """Write the site under ``root`` (emptied first); the same arguments give the same bytes."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    every = _articles(articles, rng)
    total = 0
    for index, article in enumerate(every):
        same_lang = [a for a in every if a.lang == article.lang and a is not article]
        start = (index * 7) % max(len(same_lang) - 22, 1)
        page = _article_page(article, same_lang[start : start + 22], rng).encode()
        path = root / article.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(page)
        total += len(page)
    return _finish_site(root, every, total)


#: An ``href`` and its value: quoted (2, 3) or not (``href=page.htm``: 4).
_HREF_RE = re.compile(rb"""(\bhref\s*=\s*)(?:(["'])([^"']*)\2|([^\s"'<>]+))""", re.IGNORECASE)
#: Runs of text that get a copy's sentence on a page whose article text is not labelled.
_MARKED_BLOCKS = 6


#: A tag, then a run of at least 40 characters of text (no markup, no code's braces).
_LONG_TEXT_RE = re.compile(rb"(<[a-z0-9]+)[^<>]*>([^<>{};=]{40,})<", re.IGNORECASE)
_NOT_TEXT_TAG_RE = re.compile(rb"^<(?:script|style|title|textarea|option|noscript)$", re.I)


def _absolute_links(page: bytes, base: str) -> bytes:
    """``page`` with its relative ``href`` values joined to ``base`` (its original address)."""

    def join(match: re.Match[bytes]) -> bytes:
        whole: bytes = match.group(0)
        opening: bytes = match.group(1)
        quote: bytes = match.group(2) or b'"'
        raw: bytes = match.group(3) if match.group(2) else match.group(4)
        value = raw.decode("ascii", "replace")
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", value, re.IGNORECASE) or not value:
            return whole
        joined = urljoin(base, value).encode("ascii", "replace")
        return opening + quote + joined + quote

    return _HREF_RE.sub(join, page)


def _in_text(page: bytes, at: int) -> bool:
    """Whether ``page[at]`` is in the text of an element that a reader sees as text: not in a
    tag, a script, a style, the title, a form field or a heading."""
    tag = page.rfind(b"<", 0, at)
    if tag >= 0 and page.find(b">", tag, at) < 0:
        return False  # inside a tag's attributes
    before = page[:at].lower()
    for name in (b"script", b"style", b"title", b"textarea", b"h1", b"h2", b"h3"):
        if before.rfind(b"<" + name) > before.rfind(b"</" + name):
            return False
    return True


def _in_body(page: bytes, encoding: str, body: str, title: str, sentence: str) -> bytes | None:
    """``page`` with ``sentence`` inside the article's text: after the first stretch of the
    labelled ``body`` (a line's first 24 characters, longest lines first, not the headline)
    found verbatim in the page's text (:func:`_in_text`); None if none is."""
    lines = sorted((line.strip() for line in body.splitlines()), key=len, reverse=True)
    opening = re.search(rb"<body[\s>]", page, re.IGNORECASE)
    start = opening.end() if opening else 0  # not the <head>'s description of the lead
    for line in lines[:20]:
        if len(line) < 12:
            break
        if title and (line in title or title in line):
            continue
        needle = line[:24].encode(encoding, "ignore")
        at = page.find(needle, start)
        while at >= 0:
            if _in_text(page, at):
                end = at + len(needle)
                return page[:end] + sentence.encode(encoding) + page[end:]
            at = page.find(needle, at + 1)
    return None


def _with_sentence(page: bytes, sentence: str, body: str = "", title: str = "") -> bytes:
    """``page`` with ``sentence`` in its article text, in its own encoding (UTF-8, else
    GB18030: the corpus's encodings): inside the labelled ``body``'s text when it is found
    in the page, else at the end of each of the first long runs of text that follow the
    headline (``title``, when found in the page's body); unchanged if neither encoding
    decodes the page."""
    for encoding in ("utf-8", "gb18030"):
        try:
            page.decode(encoding)
        except UnicodeDecodeError:
            continue
        anchored = _in_body(page, encoding, body, title, sentence) if body else None
        if anchored is not None:
            return anchored
        # No label: the article's text follows its headline, not the page's first long run
        # of text (a menu's blurb, a header's hotline).
        opening = re.search(rb"<body[\s>]", page, re.IGNORECASE)
        start = opening.end() if opening else 0
        headline = page.find(title[:12].encode(encoding, "ignore"), start) if title else -1
        if headline >= 0:
            start = headline
        # Where the text is cannot be told for sure: the sentence joins each of the first
        # long runs of text there (not in a script, a style or the title), so that whichever
        # of them is kept carries it.
        runs = _LONG_TEXT_RE.finditer(page, start)
        ends = [m.end(2) for m in runs if not _NOT_TEXT_TAG_RE.search(m.group(1))]
        for end in reversed(ends[:_MARKED_BLOCKS]):
            page = page[:end] + sentence.encode(encoding) + page[end:]
        return page
    return page


def corpus_site(root: Path, corpus: Path, articles: int = 1200, seed: int = 11) -> SiteInfo:
    """A site of ``articles`` article pages made of the corpus's real pages (``<id>.html``
    beside ``<id>.json`` with its ``url``, in any subfolder), each served as often as it takes,
    with listings per language (the ``.json``'s ``lang``, else ``zh`` for ids starting
    ``zh``/``cwced``/``gne``, else ``en``); written under ``root`` (emptied first). Each copy
    holds a sentence of its own inside the article's text (anchored on the ``.json``'s
    labelled ``body``, :func:`_with_sentence`), so that copies are distinct articles, and the
    page's relative links are made absolute against its ``url`` (off the site)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    sources = sorted(corpus.rglob("*.html"))
    if not sources:
        raise SystemExit(f"{corpus}: no .html pages")
    rng = random.Random(seed)
    pages: list[tuple[str, bytes, str, str]] = []
    for source in sources:
        meta_path = source.with_suffix(".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        lang = str(meta.get("lang") or "")
        if not lang:
            lang = "zh" if source.stem.startswith(("zh", "cwced", "gne")) else "en"
        base = str(meta.get("url") or "http://example.invalid/")
        page = _absolute_links(source.read_bytes(), base)
        lang = "zh" if lang.startswith("zh") else "en"
        pages.append((lang, page, str(meta.get("body") or ""), str(meta.get("title") or "")))
    first_day = datetime(2024, 1, 1)
    every: list[_Article] = []
    total = 0
    for number in range(articles):
        lang, page, label, headline = pages[number % len(pages)]
        copy = number // len(pages) + 1
        published = first_day + timedelta(minutes=rng.randrange(365 * 24 * 60))
        article = _Article(number=number, lang=lang, published=published, title="Copy")
        path = article.path
        sentence = (
            f"（本页为基准测试第{copy}份副本，编号{number}。）"
            if lang == "zh"
            else f"(This is copy {copy} of the report in the benchmark, number {number}.)"
        )
        body = _with_sentence(page, sentence, label, headline)
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        total += len(body)
        every.append(article)
    return _finish_site(root, every, total)


_NGINX_CONF = """
worker_processes 1;
daemon off;
error_log {tmp}/error.log error;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    {charset}
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""

_PYTHON_SERVER = """
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
server.daemon_threads = True
server.serve_forever()
"""


class StaticServer:
    """Serves a folder on 127.0.0.1 from a subprocess: nginx if installed, else http.server."""

    def __init__(self, root: Path, tmp: Path, charset: str | None = "utf-8") -> None:
        """``charset``: what nginx declares in ``Content-Type`` (None: nothing, the pages'
        own ``<meta charset>`` decides; Python's server never declares one)."""
        self.root = root
        self.charset = charset
        self.tmp = tmp
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        self.name = "nginx" if self.nginx else "Python http.server (threaded, HTTP/1.1)"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StaticServer:
        if self.nginx:
            conf = self.tmp / "nginx.conf"
            conf.write_text(
                _NGINX_CONF.format(
                    tmp=self.tmp,
                    port=self.port,
                    root=self.root,
                    charset=f"charset {self.charset};" if self.charset else "",
                ),
                encoding="utf-8",
            )
            command = [self.nginx, "-p", str(self.tmp), "-c", str(conf)]
        else:
            command = [sys.executable, "-c", _PYTHON_SERVER, str(self.root), str(self.port)]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"the static server ({self.name}) did not start")

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
