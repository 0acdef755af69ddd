"""A small archive for the browse and web tests, built through the archive's own API.

Two crawl runs with their pages in WARC files, as the crawler stores them: the first stores
five Chinese articles from two sites (one written in traditional characters, one undated, one
credited to an editor only); the second stores a new version of the first article (its
template lost the bylines and the section) under a second URL, and a page whose title and text
hold ``<script>`` and ``" onmouseover=``, extracted by the real extractor. Two English articles
come from an import (no run, no page). Every page is written here, for these tests.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.browse import article_ids
from archive.health import SiteHealth
from archive.record import ArticleRecord, Byline
from archive.store import Archive, ArticleVersion, PageFetch
from archive.warc import WarcWriter
from crawler.extraction import extract_page

FETCHED = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)

#: The page an article's revision came from: what the raw-page views must show.
RAW_MARKER = "archived-page-marker"

HOSTILE_TITLE = '<script>alert("t")</script> " onmouseover="alert(1) 罗湖通报'
_HOSTILE_PARAGRAPHS = (
    '罗湖区通报：页面中出现 &lt;script&gt;alert("x")&lt;/script&gt; 这样的文字时，'
    "应当原样显示，而不是被执行。",
    '同样，" onmouseover="alert(2) 也只是一段文字。'
    "这一段要足够长，以便提取器把它当作正文，而不是导航或者页脚的一部分内容。",
    "第三段继续说明情况，罗湖区有关部门表示将持续关注网站安全，确保转载内容不会带来风险。",
    # A closing credit (docs/bylines.md): a name inside running prose is never read.
    "（记者 赵敏 报道）",
)
_HOSTILE_HEADLINE = '&lt;script&gt;alert("t")&lt;/script&gt; " onmouseover="alert(1) 罗湖通报'
#: A page whose title and text hold markup as text, with a script and a handler of its own.
HOSTILE_HTML = (
    '<!doctype html><html lang="zh"><head><meta charset="utf-8">\n'
    f"<title>{_HOSTILE_HEADLINE}</title>\n"
    '<meta property="article:published_time" content="2024-05-23T08:00:00+08:00">\n'
    "</head><body>\n"
    '<div class="nav"><a href="/">首页</a> &gt; <a href="/xw/">新闻</a></div>\n'
    f"<h1>{_HOSTILE_HEADLINE}</h1>\n"
    '<div class="info">发布时间：2024-05-23 08:00 来源：罗湖区委宣传部</div>\n'
    '<div class="article-content">\n'
    + "".join(f"<p>{paragraph}</p>\n" for paragraph in _HOSTILE_PARAGRAPHS)
    + "</div>\n"
    '<script>document.documentElement.setAttribute("data-ran", "yes"); alert("raw");</script>\n'
    '<img src="/x.png" onerror="document.documentElement.dataset.onerror = 1">\n'
    '<div class="footer">版权所有 2024</div>\n'
    "</body></html>"
)


def _record(
    url: str,
    title: str,
    text: str,
    published_at: str | None,
    bylines: list[Byline],
    source: str | None,
    section: str | None,
    language: str = "zh",
    tags: list[str] | None = None,
) -> ArticleRecord:
    return ArticleRecord(
        url=url,
        title=title,
        text=text,
        published_at=published_at,
        bylines=bylines,
        source=source,
        section=section,
        language=language,
        tags=tags or [],
        fetched_at=FETCHED,
        extractor_version="test",
    )


FIRST_RUN = [
    _record(
        "http://sz.example/news/1.html",
        "罗湖区推进城市更新",
        "深圳罗湖区今年推进城市更新项目。\n罗湖口岸改造提速，东门商圈同步升级。\n"
        "区里表示，改造期间交通有序。",
        "2024-05-20T10:21:00+08:00",
        [Byline("张一鎏", "reporter"), Byline("陈杏花", "correspondent")],
        "南方都市报",
        "要闻",
        tags=["城市更新", "罗湖"],
    ),
    _record(
        "http://sz.example/news/2.html",
        "羅湖口岸旅檢大樓改造",
        "羅湖口岸旅檢大樓改造工程進展順利。\n預計年底完工。",
        "2024-05-22",
        [Byline("李思源", "reporter")],
        "深圳特区报",
        "要闻",
    ),
    _record(
        "http://sz.example/news/3.html",
        "福田区举办读书月",
        "福田区图书馆举办读书月活动，市民踊跃参加。",
        "2024-04-10T09:00:00+08:00",
        [Byline("王喆", "reporter")],
        "深圳商报",
        "文化",
    ),
    _record(
        "http://gov.example/xw/4.html",
        "罗湖区召开重点项目推进会",
        "罗湖区召开2024年重点项目推进会，部署下一阶段工作。",
        "2023-12-01T15:00:00+08:00",
        [],
        "罗湖区委宣传部",
        "区政动态",
    ),
    _record(
        "http://gov.example/xw/5.html",
        "东门街道开展防汛演练",
        "东门街道在罗湖区应急管理局指导下开展防汛演练。",
        None,
        [Byline("刘洋", "editor")],
        None,
        None,
    ),
]

#: The second version of the first article: its template lost the bylines and the section.
SECOND_VERSION = _record(
    "http://sz.example/news/1.html",
    "罗湖区推进城市更新（更新）",
    "深圳罗湖区今年推进城市更新项目。\n罗湖口岸改造大幅提速，东门商圈同步升级。\n"
    "区里表示，改造期间交通有序。\n新增：项目将于年底完工。",
    "2024-05-20T10:21:00+08:00",
    [],
    "南方都市报",
    None,
    tags=["城市更新"],
)
ALIAS = "http://m.sz.example/news/1.html"
HOSTILE_URL = "http://gov.example/xw/hostile.html"

IMPORTED = [
    _record(
        "http://en.example/port.html",
        "Luohu port reopens after upgrade",
        "The Luohu port reopened on Monday.\nTraffic was light in the morning.",
        "2024-05-21T09:00:00+00:00",
        [Byline("Jane Doe", "author")],
        "Shenzhen Daily",
        "News",
        language="en",
    ),
    _record(
        "http://en.example/harbour.html",
        "Harbour news",
        "The harbourmaster spoke about the new pier.",
        "2022-03-03",
        [],
        "Shenzhen Daily",
        "News",
        language="en",
    ),
]


def page_html(record: ArticleRecord) -> bytes:
    """The page a record is said to come from (escaped; a marker and a script of its own)."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in record.text.splitlines())
    title = html.escape(record.title or "")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><h1>{title}</h1><div id="{RAW_MARKER}">{paragraphs}</div>'
        '<script>document.documentElement.setAttribute("data-ran", "yes")</script>'
        "</body></html>"
    ).encode()


#: What each run recorded of each site when it ended (``crawler/health.py`` counts the articles
#: a run read, unchanged ones included, so more than it stored). In the second run sz.example
#: lost its bylines and sections and gov.example its sections: three share drops.
FIRST_RUN_HEALTH: tuple[SiteHealth, ...] = (
    SiteHealth("sz.example", 8, 8, 8, 8, 8, median_text_chars=900, pages=10),
    SiteHealth("gov.example", 6, 0, 3, 3, 3, median_text_chars=600, pages=8),
)
SECOND_RUN_HEALTH: tuple[SiteHealth, ...] = (
    SiteHealth("sz.example", 8, 0, 8, 8, 0, median_text_chars=880, pages=9),
    SiteHealth("gov.example", 6, 1, 3, 3, 0, median_text_chars=610, pages=7),
)


@dataclass
class Sample:
    """The built archive: its URL, WARC folder, article ids by URL, and run ids."""

    db_url: str
    warc_dir: Path
    ids: dict[str, int] = field(default_factory=dict)
    runs: list[int] = field(default_factory=list)

    def id_of(self, url: str) -> int:
        return self.ids[url]


def _store(
    archive: Archive,
    writer: WarcWriter,
    record: ArticleRecord,
    body: bytes,
    run_id: int,
    sample: Sample,
    aliases: tuple[str, ...] = (),
) -> None:
    location = writer.write_response(
        record.url,
        200,
        "OK",
        [("Content-Type", "text/html; charset=utf-8")],
        body,
        fetched_at=record.fetched_at,
    )
    result = archive.upsert_article(
        record,
        PageFetch(record.url, 200, record.fetched_at, location),
        run_id=run_id,
        aliases=aliases,
    )
    sample.ids[result.url] = result.article_id


def build_sample(db_url: str, warc_dir: Path) -> Sample:
    """Build the sample archive at ``db_url`` with its WARC files in ``warc_dir``."""
    sample = Sample(db_url, warc_dir)
    with Archive(db_url, warc_dir=warc_dir) as archive:
        first = archive.start_run(["http://sz.example/news/", "http://gov.example/xw/"])
        with WarcWriter(warc_dir, first) as writer:
            for record in FIRST_RUN:
                _store(archive, writer, record, page_html(record), first, sample)
        archive.finish_run(
            first,
            "finished",
            {"pages_fetched": 9, "articles_new": 5, "pages_skipped": 4},
            {"newsarchive/skipped/listing": 3, "newsarchive/skipped/http_404": 1},
        )
        archive.save_run_health(first, FIRST_RUN_HEALTH)
        second = archive.start_run(["http://sz.example/news/", "http://gov.example/xw/"])
        with WarcWriter(warc_dir, second) as writer:
            later = dataclasses.replace(SECOND_VERSION, fetched_at=FETCHED + timedelta(days=1))
            _store(archive, writer, later, page_html(later), second, sample, aliases=(ALIAS,))
            hostile = extract_page(HOSTILE_HTML.encode(), HOSTILE_URL, fetched_at=FETCHED).article
            assert hostile is not None
            assert hostile.title == HOSTILE_TITLE
            _store(archive, writer, hostile, HOSTILE_HTML.encode(), second, sample)
        archive.finish_run(
            second,
            "finished",
            {"pages_fetched": 3, "articles_new": 1, "articles_updated": 1, "errors": 1},
            {"newsarchive/errors/DownloadTimeoutError": 1},
        )
        archive.save_run_health(second, SECOND_RUN_HEALTH)
        archive.import_versions(ArticleVersion(record, 1, []) for record in IMPORTED)
        sample.ids.update(article_ids(archive, [record.url for record in IMPORTED]))
        sample.runs = [first, second]
    return sample
