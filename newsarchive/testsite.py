"""A synthetic news site served on 127.0.0.1, for tests and benchmarks of incremental crawling.

It serves ``n`` articles, newest first, on a paginated listing (``/news/index.html``,
``/news/index_2.html``, ...), answers conditional requests (ETag, Last-Modified -> 304), and can
change between two crawls: an article edited, added or removed (404), so that a second crawl
has something to find. It counts what it served, so a test can tell what a crawl fetched.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

_DISTRICTS = ("罗湖", "福田", "南山", "盐田", "龙岗", "宝安")
_TOPICS = ("城市更新", "口岸通关", "社区服务", "营商环境", "交通出行", "文化活动", "教育医疗")


@dataclass
class _Article:
    id: int
    published: datetime
    edits: int = 0
    removed: bool = False

    @property
    def path(self) -> str:
        return f"/news/{self.published:%Y/%m%d}/{self.id}.html"


@dataclass
class SiteStats:
    requests: int = 0
    bytes_sent: int = 0
    not_modified: int = 0
    paths: list[str] = field(default_factory=list)


class SyntheticSite:
    """The site's content; thread-safe enough for a test (mutations happen between crawls)."""

    def __init__(
        self,
        articles: int = 30,
        per_page: int = 10,
        paragraphs: int = 6,
        delay: float = 0.0,
        advertise_sitemap: bool = True,
    ) -> None:
        #: Whether robots.txt names the sitemap (else only the listing leads to articles).
        self.advertise_sitemap = advertise_sitemap
        self.per_page = per_page
        #: Seconds each article page takes to answer (a slow server, for kill tests).
        self.delay = delay
        self.paragraphs = paragraphs
        self._base = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
        self._articles: list[_Article] = []
        self._next_id = 100_000
        self.modified = self._base
        #: Other paths serving the same article (a copy cross-posted in another section).
        self.copies: dict[str, _Article] = {}
        #: Mobile URLs of articles; their pages name the main URL as canonical.
        self.mobiles: dict[str, _Article] = {}
        for _ in range(articles):
            self.add()
        self.stats = SiteStats()

    # -- changes between crawls ----------------------------------------------------------------

    def add(self) -> str:
        """Publish a new article (it tops the listing); returns its path."""
        self._next_id += 1
        article = _Article(self._next_id, self._base + timedelta(hours=len(self._articles)))
        self._articles.append(article)
        self.modified = datetime.now(UTC).replace(microsecond=0)
        return article.path

    def edit(self, index: int) -> str:
        """Change the text of the ``index``-th article (0: the oldest); returns its path."""
        article = self._articles[index]
        article.edits += 1
        return article.path

    def remove(self, index: int) -> str:
        """Take the ``index``-th article down: it answers 404 but stays on the listing, as on
        sites whose listings are regenerated later; returns its path."""
        article = self._articles[index]
        article.removed = True
        return article.path

    def mobile_copy(self, index: int) -> str:
        """Serve the ``index``-th article under a mobile URL whose page names the main URL as
        canonical (``<link rel="canonical">``), linked from the listing; returns its path."""
        article = self._articles[index]
        path = f"/m/{article.id}.html"
        self.mobiles[path] = article
        return path

    def cross_post(self, index: int) -> str:
        """Serve the ``index``-th article under a second URL too, linked from the listing."""
        article = self._articles[index]
        path = f"/copy/{article.id}.html"
        self.copies[path] = article
        return path

    def article_paths(self) -> list[str]:
        return [a.path for a in self._articles if not a.removed]

    @property
    def listing_pages(self) -> int:
        return max(1, -(-len(self._articles) // self.per_page))

    # -- pages ---------------------------------------------------------------------------

    def page(self, path: str, host: str = "127.0.0.1") -> tuple[int, str, bytes, datetime]:
        """(status, content type, body, last modified) of ``path``."""
        if path == "/robots.txt":
            robots = "User-agent: *\nDisallow: /private/\n"
            if self.advertise_sitemap:
                robots += f"Sitemap: http://{host}/sitemap.xml\n"
            return 200, "text/plain", robots.encode(), self._base
        if path == "/rss.xml":
            return self._feed(host)
        if path == "/sitemap.xml":
            index = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>http://{host}/sitemap-1.xml.gz</loc></sitemap></sitemapindex>"
            )
            return 200, "application/xml", index.encode(), self.modified
        if path == "/sitemap-1.xml.gz":
            urls = "".join(
                f"<url><loc>http://{host}{a.path}</loc><lastmod>{a.published:%Y-%m-%d}</lastmod></url>"
                for a in self._articles
                if not a.removed
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            )
            return 200, "application/x-gzip", gzip.compress(xml.encode()), self.modified
        if path in self.copies:  # a cross-posted copy is a page of its own: its own canonical
            return self._article(self.copies[path], canonical=path)
        if path in self.mobiles:
            status, kind, body, modified = self._article(self.mobiles[path])
            # A mobile template: the same text, another layout, and a pointer to the main URL.
            body = body.replace(b"<div class='nav'>", b"<div class='nav m'>", 1)
            return status, kind, body, modified
        if path in ("/", "/news/", "/news/index.html") or (
            path.startswith("/news/index_") and path.endswith(".html")
        ):
            number = 1
            if path.startswith("/news/index_"):
                suffix = path.removeprefix("/news/index_").removesuffix(".html")
                if not suffix.isdigit():
                    return self._not_found()
                number = int(suffix)
            return self._listing(number)
        for article in self._articles:
            if article.path == path:
                if article.removed:
                    return self._not_found()
                if self.delay:
                    time.sleep(self.delay)
                return self._article(article)
        return self._not_found()

    def _not_found(self) -> tuple[int, str, bytes, datetime]:
        body = "<html><head><title>404</title></head><body><h1>404 页面不存在</h1></body></html>"
        return 404, "text/html; charset=utf-8", body.encode(), self._base

    def _feed(self, host: str) -> tuple[int, str, bytes, datetime]:
        latest = [a for a in reversed(self._articles) if not a.removed][:10]
        items = "".join(
            f"<item><title>{self._title(a)}</title><link>http://{host}{a.path}</link>"
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate></item>"
            for a in latest
        )
        rss = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>测试新闻网</title><link>http://{host}/</link>{items}</channel></rss>"
        )
        return 200, "application/rss+xml; charset=utf-8", rss.encode(), self.modified

    def _listing(self, number: int) -> tuple[int, str, bytes, datetime]:
        live = list(reversed(self._articles))
        pages = self.listing_pages
        if number < 1 or number > pages:
            return self._not_found()
        chunk = live[(number - 1) * self.per_page : number * self.per_page]
        items = "".join(
            f'<li><a href="{a.path}">{self._title(a)}</a><span>{a.published:%Y-%m-%d}</span></li>'
            for a in chunk
        )
        if number == 1:
            items += "".join(
                f'<li><a href="{path}">{self._title(a)}（转载）</a></li>'
                for path, a in [*self.copies.items(), *self.mobiles.items()]
            )
        # A pager as news sites draw it: first, a window around the current page, next, last.
        links = []
        shown = sorted({1, *range(max(1, number - 2), min(pages, number + 2) + 1), pages})
        for n in shown:
            href = "/news/index.html" if n == 1 else f"/news/index_{n}.html"
            links.append(f'<a href="{href}">{n}</a>')
        if number < pages:
            links.append(f'<a href="/news/index_{number + 1}.html">下一页</a>')
        body = (
            "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<title>新闻列表_第{number}页_测试新闻网</title></head><body>"
            "<div class='nav'><a href='/'>首页</a> <a href='/news/'>新闻</a></div>"
            f"<ul class='list'>{items}</ul><div class='pager'>{' '.join(links)}</div>"
            "<div class='footer'>版权所有 2019-2024 测试新闻网</div></body></html>"
        )
        modified = max((a.published for a in chunk), default=self._base)
        return 200, "text/html; charset=utf-8", body.encode(), max(modified, self.modified)

    def _title(self, article: _Article) -> str:
        district = _DISTRICTS[article.id % len(_DISTRICTS)]
        topic = _TOPICS[article.id % len(_TOPICS)]
        return f"{district}区推进{topic}工作 第{article.id}号"

    def _article(
        self, article: _Article, canonical: str | None = None
    ) -> tuple[int, str, bytes, datetime]:
        district = _DISTRICTS[article.id % len(_DISTRICTS)]
        topic = _TOPICS[article.id % len(_TOPICS)]
        paragraphs = [
            f"<p>{district}区第{article.id}号新闻第{i}段：{district}区围绕{topic}持续发力，"
            f"街道和社区联动推进各项工作，居民反映良好，相关部门表示将进一步完善服务。</p>"
            for i in range(self.paragraphs)
        ]
        if article.edits:
            paragraphs.append(
                f"<p>（更新{article.edits}）{district}区补充说明了最新进展情况，工作仍在推进。</p>"
            )
        body = (
            "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<title>{self._title(article)}_测试新闻网</title>"
            f"<link rel='canonical' href='{canonical or article.path}'></head><body>"
            "<div class='nav'><a href='/'>首页</a> &gt; <a href='/news/'>新闻</a></div>"
            f"<h1>{self._title(article)}</h1>"
            f"<div class='info'>发布时间：{article.published:%Y-%m-%d %H:%M} 来源：测试新闻网</div>"
            f"<div class='content'>{''.join(paragraphs)}<p>记者 王五 通讯员 赵六</p></div>"
            "<div class='footer'>版权所有 2019-2024 测试新闻网</div></body></html>"
        )
        modified = article.published + timedelta(minutes=article.edits)
        return 200, "text/html; charset=utf-8", body.encode(), modified


class _Handler(http.server.BaseHTTPRequestHandler):
    site: SyntheticSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        status, content_type, body, modified = self.site.page(path, self.headers.get("Host", ""))
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        stats = self.site.stats
        stats.requests += 1
        stats.paths.append(path)
        if status == 200 and self._not_modified(etag, modified):
            stats.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        self.end_headers()
        self.wfile.write(body)
        stats.bytes_sent += len(body)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SyntheticServer:
    """Serves a :class:`SyntheticSite` on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, site: SyntheticSite) -> None:
        self.site = site
        handler = type("SyntheticHandler", (_Handler,), {"site": site})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def start_url(self) -> str:
        return f"{self.base_url}/news/index.html"

    def __enter__(self) -> SyntheticServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
