"""End-to-end crawls through the Scrapy engine against sites served on 127.0.0.1.

Each crawl runs in a subprocess (Scrapy's reactor starts once per process), against the bundled
demo sites or a small fixture server, and the test reads the archive it wrote.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.store import Archive
from crawler.urls import canonicalize_url
from newsarchive.demo.server import DemoServer, load_expected

pytestmark = pytest.mark.crawl

ROOT = Path(__file__).resolve().parent.parent
# Never route 127.0.0.1 through a proxy that the environment may name.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env=ENV,
        check=False,
    )


def quiet(*extra: str) -> list[str]:
    return ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0", *extra]


class DemoCrawl:
    def __init__(
        self, server: DemoServer, db_url: str, result: subprocess.CompletedProcess[str]
    ) -> None:
        self.server = server
        self.db_url = db_url
        self.result = result
        self.expected: dict[str, Any] = load_expected()

    def url(self, site: str, path: str) -> str:
        return canonicalize_url(self.server.site(site).url(path))

    def site_boilerplate(self, url: str) -> list[str]:
        """What no article body of the site serving ``url`` may contain."""
        for name, site in self.expected["sites"].items():
            if url.startswith(canonicalize_url(self.server.site(name).base_url)):
                return list(site.get("must_not_contain", []))
        return []

    def expected_articles(self) -> dict[str, dict[str, Any]]:
        return {
            self.url(name, article["path"]): article
            for name, site in self.expected["sites"].items()
            for article in site["articles"]
        }


@pytest.fixture(scope="module")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCrawl]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'demo.db'}"
    with DemoServer() as server:
        result = run_cli("crawl", *server.start_urls, "--db", db_url, *quiet())
        yield DemoCrawl(server, db_url, result)


def test_crawl_archives_exactly_the_article_pages(demo_crawl: DemoCrawl) -> None:
    assert demo_crawl.result.returncode == 0, demo_crawl.result.stderr
    with Archive(demo_crawl.db_url, create=False) as archive:
        archived = {record.url for record in archive.iter_articles()}
    expected = set(demo_crawl.expected_articles())
    assert len(expected) == demo_crawl.expected["total_article_count"] == 18
    assert archived - expected == set(), "listings, galleries or error pages were archived"
    assert expected - archived == set(), "articles were missed"


def test_articles_reachable_only_through_related_links_are_found(demo_crawl: DemoCrawl) -> None:
    related_only = [
        url
        for url, a in demo_crawl.expected_articles().items()
        if a.get("reachable_only_via_related")
    ]
    assert related_only
    with Archive(demo_crawl.db_url, create=False) as archive:
        for url in related_only:
            assert archive.get_article(url) is not None, url


def test_seed_article_metadata_and_body(demo_crawl: DemoCrawl) -> None:
    seed = demo_crawl.expected["seed"]
    with Archive(demo_crawl.db_url, create=False) as archive:
        record = archive.get_article(demo_crawl.url(seed["site"], seed["path"]))
        raw = archive.get_raw_page(demo_crawl.url(seed["site"], seed["path"]))
    assert record is not None
    assert record.title == "罗湖怎么样(罗湖区穷吗)"
    assert [b.to_json_dict() for b in record.bylines] == [
        {"name": "张一鎏", "role": "reporter"},
        {"name": "陈杏花", "role": "correspondent"},
    ]
    assert record.authors == ["张一鎏", "陈杏花"]
    assert record.source == "南方都市报"
    assert record.published_at == "2024-05-20T10:21:00+08:00"
    assert record.section == "互联网"
    assert record.language == "zh"
    for snippet in seed["must_contain"]:
        assert snippet in record.text
    for snippet in seed["must_not_contain"]:
        assert snippet not in record.text
    assert "南都记者" not in record.text
    assert raw is not None
    assert raw.status == 200
    assert "罗湖怎么样".encode() in raw.body
    assert any(k.lower() == "content-type" for k, _ in raw.headers)


def test_every_article_has_its_expected_metadata(demo_crawl: DemoCrawl) -> None:
    with Archive(demo_crawl.db_url, create=False) as archive:
        for url, expected in demo_crawl.expected_articles().items():
            record = archive.get_article(url)
            assert record is not None, url
            assert record.title == expected["title"], url
            assert record.published_at == expected["published_at"], url
            assert record.authors == expected["authors"], url
            assert record.source == expected["source"], url
            for snippet in expected.get("must_contain", []):
                assert snippet in record.text, (url, snippet)
            for snippet in demo_crawl.site_boilerplate(url):
                assert snippet not in record.text, (url, snippet)


def test_gbk_site_decodes_without_mojibake(demo_crawl: DemoCrawl) -> None:
    with Archive(demo_crawl.db_url, create=False) as archive:
        texts = [r.title or "" for r in archive.iter_articles() if ":" in r.site]
        district = [
            r
            for r in archive.iter_articles()
            if r.site == demo_crawl.server.site("district").base_url.split("/")[2]
        ]
    assert texts
    assert district
    joined = "".join(r.text + " ".join(r.authors) for r in district)
    assert "喆" in joined
    assert "镕" in joined
    assert "\ufffd" not in joined


def test_robots_txt_is_obeyed_and_user_agent_names_the_tool(demo_crawl: DemoCrawl) -> None:
    for name, site in demo_crawl.expected["sites"].items():
        requests = demo_crawl.server.requests(name)
        paths = [path for _, path, _, _ in requests]
        assert "/robots.txt" in paths
        for disallowed in site["robots_disallow"]:
            assert not [p for p in paths if p.startswith(disallowed)], (name, disallowed)
        agents = {agent for _, _, _, agent in requests}
        assert len(agents) == 1
        (agent,) = agents
        assert agent.startswith("newsarchive/")
        assert "(+http" in agent


def test_summary_counts_pages_articles_and_skips(demo_crawl: DemoCrawl) -> None:
    out = demo_crawl.result.stdout
    assert "articles: 18 new, 0 updated, 0 unchanged" in out
    assert "pages fetched" in out
    assert "listing" in out
    assert "robots_txt" in out
    assert "http_404" in out
    assert "errors: 0" in out
    with Archive(demo_crawl.db_url, create=False) as archive:
        (run,) = archive.list_runs()
    assert run.status == "finished"
    assert run.counters["articles_new"] == 18
    assert run.counters["pages_fetched"] > 18
    assert run.counters["pages_skipped"] > 0


def test_second_crawl_duplicates_nothing_and_scrapy_crawl_works(demo_crawl: DemoCrawl) -> None:
    result = run_cli("crawl", *demo_crawl.server.start_urls, "--db", demo_crawl.db_url, *quiet())
    assert result.returncode == 0, result.stderr
    assert "articles: 0 new, 0 updated, 18 unchanged" in result.stdout
    # The same spider and pipelines through Scrapy's own command, from the repository root.
    scrapy = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "news",
            "-a",
            "start_urls=" + ",".join(demo_crawl.server.start_urls),
            "-a",
            f"db={demo_crawl.db_url}",
            *quiet(),
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=ENV,
        check=False,
    )
    assert scrapy.returncode == 0, scrapy.stderr
    with Archive(demo_crawl.db_url, create=False) as archive:
        assert archive.count_articles() == 18
        runs = archive.list_runs()
    assert len(runs) == 3
    assert runs[0].counters["articles_unchanged"] == 18
    assert runs[0].counters["articles_new"] == 0


def test_max_pages_stops_the_crawl(demo_crawl: DemoCrawl, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'limited.db'}"
    result = run_cli(
        "crawl", demo_crawl.server.start_urls[0], "--db", db_url, "--max-pages", "5", *quiet()
    )
    assert result.returncode == 0, result.stderr
    with Archive(db_url, create=False) as archive:
        (run,) = archive.list_runs()
    assert run.counters["pages_fetched"] <= 5 + 4  # in-flight requests may still land


def test_refused_start_url_fails_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    result = run_cli(
        "crawl", f"http://127.0.0.1:{port}/", "--db", db_url, *quiet("-s", "RETRY_TIMES=0")
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: none of the start URLs could be fetched" in result.stderr
    assert "errors: 1" in result.stdout
    with Archive(db_url, create=False) as archive:
        (run,) = archive.list_runs()
    assert run.status == "failed"


# --- a small hostile site --------------------------------------------------------------------

ARTICLE = (
    "<html><head><meta charset='utf-8'><title>罗湖区开展消防演练_测试网</title></head><body>"
    "<h1>罗湖区开展消防演练</h1><div class='info'>发布时间：2024-06-01 09:00 来源：测试网</div>"
    "<div class='content'>"
    + "".join(
        f"<p>罗湖区第{i}段正文，消防演练覆盖辖区各街道和社区，居民积极参与学习逃生技能。</p>"
        for i in range(8)
    )
    + "</div></body></html>"
)
LISTING = (
    "<html><head><meta charset='utf-8'><title>新闻列表</title></head><body><ul>"
    "<li><a href='/news/2024/0601/10001.html'>消防演练</a></li>"
    "<li><a href='/news/2024/0601/10002.html'>空白页面</a></li>"
    "<li><a href='/news/2024/0601/10003.html'>二进制</a></li>"
    "<li><a href='/news/2024/0601/10004.html'>服务器错误</a></li>"
    "<li><a href='/news/2024/0602/20001.html'>分页文章</a></li>"
    "</ul></body></html>"
)


def split_article(page: int) -> bytes:
    pager = "".join(
        f"<a href='/news/2024/0602/20001{'' if n == 1 else f'_{n}'}.html'>第{n}页</a>"
        for n in (1, 2, 3)
    )
    body = "".join(
        f"<p>分页文章第{page}页第{i}段，东门街道举办社区运动会，居民踊跃报名参加各项比赛。</p>"
        for i in range(6)
    )
    return (
        "<html><head><meta charset='utf-8'><title>东门街道社区运动会</title></head><body>"
        "<h1>东门街道社区运动会</h1><div class='info'>发布时间：2024-06-02 10:00</div>"
        f"<div class='content'>{body}</div><div class='pager'>{pager}</div></body></html>"
    ).encode()


PAGES: dict[str, tuple[int, str, bytes]] = {
    "/news/": (200, "text/html; charset=utf-8", LISTING.encode()),
    "/news/2024/0601/10001.html": (200, "text/html; charset=utf-8", ARTICLE.encode()),
    "/news/2024/0601/10002.html": (200, "text/html; charset=utf-8", b""),
    "/news/2024/0601/10003.html": (200, "application/octet-stream", bytes(range(256)) * 40),
    "/news/2024/0601/10004.html": (500, "text/html", b"oops"),
    "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow:\n"),
    "/news/2024/0602/20001.html": (200, "text/html; charset=utf-8", split_article(1)),
    "/news/2024/0602/20001_2.html": (200, "text/html; charset=utf-8", split_article(2)),
    "/news/2024/0602/20001_3.html": (200, "text/html; charset=utf-8", split_article(3)),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, content_type, body = PAGES.get(self.path, (404, "text/html", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_site() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/news/"
    httpd.shutdown()
    httpd.server_close()


def test_empty_binary_and_failing_pages_are_counted_skips(
    hostile_site: str, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with Archive(db_url) as archive:  # something archived before must survive
        from archive.record import ArticleRecord

        archive.upsert_article(
            ArticleRecord(url="http://old.example/1.html", title="旧文", text="旧的正文。")
        )
    result = run_cli("crawl", hostile_site, "--db", db_url, *quiet("-s", "RETRY_TIMES=0"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "articles: 2 new" in result.stdout
    assert "not_html 1" in result.stdout
    assert "empty" in result.stdout
    assert "http_500 1" in result.stdout
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 3
        assert archive.get_article("http://old.example/1.html") is not None
        split = archive.get_article(hostile_site + "2024/0602/20001.html")
        assert archive.get_article(hostile_site + "2024/0602/20001_2.html") is None
    # An article split over three pages is stored once, with the text of all three, in order.
    assert split is not None
    assert "第1页第0段" in split.text
    assert split.text.index("第2页第5段") < split.text.index("第3页第0段")


@pytest.mark.postgres
def test_crawl_into_postgresql(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ENV, "NEWSARCHIVE_WARC_DIR", str(tmp_path / "warc"))
    with DemoServer() as server:
        result = run_cli("crawl", *server.start_urls, "--db", pg_url, *quiet())
    assert result.returncode == 0, result.stderr
    assert "articles: 18 new" in result.stdout
    with Archive(pg_url, create=False) as archive:
        assert archive.count_articles() == 18
        hits = archive.search("罗湖", limit=50)
    assert len(hits) >= 10
    assert all("罗湖" in (h.article.title or "") + h.article.text for h in hits)
