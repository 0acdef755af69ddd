"""The bundled demo sites and their server, checked against ``site/expected.json``.

Everything is fetched from 127.0.0.1 with urllib (proxies switched off); a small breadth-first
walk from each home page checks that ``expected.json`` classifies every page a crawler can reach,
and that its articles are all reachable.
"""

from __future__ import annotations

import email.message
import urllib.error
import urllib.request
import urllib.robotparser
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from newsarchive.demo.server import DemoServer, DemoSite, load_expected, site_root

EXPECTED = load_expected()
SEED = EXPECTED["seed"]
SITES: dict[str, Any] = EXPECTED["sites"]
ARTICLES = [(name, article) for name, site in SITES.items() for article in site["articles"]]
NON_ARTICLES = [(name, page) for name, site in SITES.items() for page in site["non_articles"]]


# --------------------------------------------------------------------------- fetching


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # report the 3xx itself


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


@dataclass
class Response:
    status: int
    headers: email.message.Message
    body: bytes

    @property
    def charset(self) -> str:
        return self.headers.get_content_charset() or "utf-8"

    @property
    def text(self) -> str:
        return self.body.decode(self.charset)


def fetch(url: str, headers: dict[str, str] | None = None) -> Response:
    """GET ``url`` without following redirects; only ever 127.0.0.1."""
    assert urlsplit(url).hostname == "127.0.0.1", url
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _DIRECT.open(request, timeout=5) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


class Page(HTMLParser):
    """Links, paragraph texts and the whole text of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.paragraphs: list[str] = []
        self.chunks: list[str] = []
        self._in_p = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag in ("img", "script") and values.get("src"):
            self.assets.append(values["src"] or "")
        elif tag == "link" and values.get("href"):
            self.assets.append(values["href"] or "")
        elif tag == "p":
            self._in_p = True
            self.paragraphs.append("")
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_p = False
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.chunks.append(data)
        if self._in_p:
            self.paragraphs[-1] += data

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def local_path(url: str) -> str:
    """Path and query of ``url``, the form expected.json uses."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as running:
        yield running


@pytest.fixture(scope="module")
def sites(server: DemoServer) -> dict[str, DemoSite]:
    return {site.name: site for site in server.sites}


@dataclass
class Walk:
    """What a polite breadth-first walk of one site saw."""

    fetched: dict[str, int] = field(default_factory=dict)  # path -> status
    linked: set[str] = field(default_factory=set)  # every same-site link target
    linked_from: dict[str, set[str]] = field(default_factory=dict)  # target -> pages linking it


def walk(site: DemoSite) -> Walk:
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(site.url("/robots.txt")).text.splitlines())
    seen = Walk()
    queue = deque([site.url("/")])
    while queue:
        url = queue.popleft()
        path = local_path(url)
        if path in seen.fetched:
            continue
        response = fetch(url)
        seen.fetched[path] = response.status
        targets: list[str] = []
        if response.status in (301, 302):
            targets = [urljoin(url, response.headers["Location"])]
        elif response.status == 200 and response.headers.get_content_type() == "text/html":
            targets = [urljoin(url, link) for link in parse(response.text).links]
        for target in (urldefrag(t).url for t in targets):
            if urlsplit(target).scheme != "http" or not target.startswith(site.base_url):
                continue  # javascript:, mailto:, another site
            target_path = local_path(target)
            seen.linked.add(target_path)
            seen.linked_from.setdefault(target_path, set()).add(path)
            if robots.can_fetch("newsarchive", target) and target_path not in seen.fetched:
                queue.append(target)
    return seen


@pytest.fixture(scope="module")
def walks(sites: dict[str, DemoSite]) -> dict[str, Walk]:
    return {name: walk(site) for name, site in sites.items()}


# --------------------------------------------------------------------------- expected.json


def test_expected_json_is_consistent() -> None:
    total = 0
    for site in SITES.values():
        paths = [article["path"] for article in site["articles"]]
        assert site["article_paths"] == paths
        assert site["article_count"] == len(paths) == len(set(paths))
        non_paths = {page["path"] for page in site["non_articles"]}
        assert not non_paths & set(paths)
        assert {page["kind"] for page in site["non_articles"]} <= {
            "home",
            "listing",
            "gallery",
            "soft404",
            "not_found",
            "disallowed",
            "other",
        }
        for alias in site["aliases"]:
            assert alias["same_as"] in paths
        total += len(paths)
    assert EXPECTED["total_article_count"] == total >= 16
    seed_site = SITES[SEED["site"]]
    seed = next(a for a in seed_site["articles"] if a["path"] == SEED["path"])
    for key in ("title", "bylines", "source", "published_at", "authors"):
        assert seed[key] == SEED[key]
    assert SEED["title"] == "罗湖怎么样(罗湖区穷吗)"
    assert SEED["source"] == "南方都市报"
    assert SEED["bylines"] == [
        {"name": "张一鎏", "role": "reporter"},
        {"name": "陈杏花", "role": "correspondent"},
    ]


def test_site_root_holds_the_sites() -> None:
    root = site_root()
    assert (root / "expected.json").is_file()
    for name in SITES:
        assert (root / name / "index.html").is_file()
        assert (root / name / "robots.txt").is_file()


# --------------------------------------------------------------------------- the server


def test_serves_each_site_on_its_own_loopback_port(server: DemoServer) -> None:
    assert {site.name for site in server.sites} == set(SITES)
    assert server.start_urls == [site.base_url for site in server.sites]
    ports = set()
    for url in server.start_urls:
        parts = urlsplit(url)
        assert parts.scheme == "http"
        assert parts.hostname == "127.0.0.1"
        assert parts.path == "/"
        ports.add(parts.port)
    assert len(ports) == len(SITES)


def test_refuses_to_bind_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        DemoServer(host="0.0.0.0")


def test_stop_closes_the_ports() -> None:
    demo = DemoServer()
    demo.start()
    url = demo.start_urls[0]
    assert fetch(url).status == 200
    demo.stop()
    demo.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2)


@pytest.mark.parametrize("name", sorted(SITES))
def test_unknown_and_hidden_paths_are_real_404s(sites: dict[str, DemoSite], name: str) -> None:
    site = sites[name]
    for path in ("/no/such/page.html", "/_site.json", "/index.html/", "/static/", "/images/"):
        response = fetch(site.url(path))
        assert response.status == 404, path
        assert "页面不存在" not in response.body.decode("utf-8", "replace")


@pytest.mark.parametrize("name", sorted(SITES))
def test_validators_and_conditional_get(sites: dict[str, DemoSite], name: str) -> None:
    site = sites[name]
    first = fetch(site.url("/"))
    assert first.status == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"')
    assert last_modified.endswith("GMT")
    assert fetch(site.url("/"), {"If-None-Match": etag}).status == 304
    assert fetch(site.url("/"), {"If-Modified-Since": last_modified}).status == 304
    assert fetch(site.url("/"), {"If-None-Match": '"other"'}).status == 200
    assert fetch(site.url("/")).headers["ETag"] == etag  # stable


@pytest.mark.parametrize("name", sorted(SITES))
def test_robots_txt(sites: dict[str, DemoSite], walks: dict[str, Walk], name: str) -> None:
    site, expected = sites[name], SITES[name]
    response = fetch(site.url("/robots.txt"))
    assert response.status == 200
    assert response.headers.get_content_type() == "text/plain"
    lines = [line.strip() for line in response.text.splitlines()]
    assert "User-agent: *" in lines
    for rule in expected["robots_disallow"]:
        assert f"Disallow: {rule}" in lines
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(response.text.splitlines())
    disallowed = [page["path"] for page in expected["non_articles"] if page["kind"] == "disallowed"]
    assert disallowed
    for path in disallowed:
        assert not robots.can_fetch("newsarchive", site.url(path)), path
        assert path in walks[name].linked, f"{path} is never linked, so robots.txt is not tested"
        assert path not in walks[name].fetched
    for path in expected["article_paths"]:
        assert robots.can_fetch("newsarchive", site.url(path)), path


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize(("name", "article"), ARTICLES, ids=[a["path"] for _, a in ARTICLES])
def test_article_is_served_with_its_metadata(
    sites: dict[str, DemoSite], name: str, article: dict[str, Any]
) -> None:
    response = fetch(sites[name].url(article["path"]))
    assert response.status == 200
    assert response.charset.lower() == SITES[name]["charset"].lower()
    text = parse(response.text).text
    assert article["title"] in text
    assert article["source"] in text
    assert article["published_at"][:10] in text.replace("年", "-").replace("月", "-")
    for byline in article["bylines"]:
        assert byline["name"] in text
    for snippet in article["must_contain"]:
        assert snippet in text


@pytest.mark.parametrize(
    ("name", "page"), NON_ARTICLES, ids=[f"{n}:{p['path']}" for n, p in NON_ARTICLES]
)
def test_non_article_is_served_as_stated(
    sites: dict[str, DemoSite], name: str, page: dict[str, Any]
) -> None:
    response = fetch(sites[name].url(page["path"]))
    assert response.status == page["status"]
    if "location" in page:
        assert response.headers["Location"] == page["location"]
    if page["kind"] == "soft404" and page["status"] == 200:
        assert "页面不存在" in response.text
    if page["kind"] == "not_found":
        assert "页面不存在" not in response.body.decode("utf-8", "replace")


def test_several_articles_mention_luohu(sites: dict[str, DemoSite]) -> None:
    hits = [a for name, a in ARTICLES if "罗湖" in fetch(sites[name].url(a["path"])).text]
    assert len(hits) >= 8


def test_district_site_is_gbk(sites: dict[str, DemoSite]) -> None:
    directory = site_root() / "district"
    html_files = sorted(directory.rglob("*.html"))
    assert html_files
    for path in html_files:
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert 'content="text/html; charset=gbk"' in raw.decode("gbk")
    response = fetch(sites["district"].url("/xxgk/qzdt/content/post_1234567.html"))
    assert response.headers["Content-Type"] == "text/html; charset=GBK"
    text = response.body.decode("gbk")
    assert "发布时间：2024-06-03 09:30" in text
    assert "来源：罗湖区委宣传部" in text
    assert "喆" in text  # in GBK but not in GB2312: a GB2312 decoder would fail here
    with pytest.raises(UnicodeEncodeError):
        "喆".encode("gb2312")


def test_portal_site_is_utf8() -> None:
    for path in sorted((site_root() / "portal").rglob("*.html")):
        text = path.read_bytes().decode("utf-8")
        assert '<meta charset="utf-8">' in text, path


def test_seed_article_page_is_built_like_its_original(sites: dict[str, DemoSite]) -> None:
    response = fetch(sites[SEED["site"]].url(SEED["path"]))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = parse(response.text)
    text = page.text
    assert SEED["breadcrumb"] == "您的位置:首页 >互联网 >"
    assert SEED["breadcrumb"] in text
    assert f'<h1 class="title">{SEED["title"]}</h1>' in response.text
    assert f"<title>{SEED['title']}_互联网_" in response.text
    assert "2024-05-20 10:21" in text
    assert "来源：南方都市报" in text
    byline_paragraphs = [p for p in page.paragraphs if p == SEED["byline_line"]]
    assert byline_paragraphs == ["南都记者 张一鎏 通讯员 陈杏花"]
    positions = [text.index(SEED["byline_line"])]
    positions += [text.index(heading) for heading in SEED["widget_headings"]]
    positions.append(text.index("版权所有 2019-2024"))
    assert positions == sorted(positions), "byline, then 相关推荐, 猜你喜欢, 特别关注, footer"
    assert "粤ICP备" in text
    for snippet in SEED["must_contain"]:
        assert snippet in text


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("name", sorted(SITES))
def test_walk_reaches_every_article_and_expected_classifies_every_page(
    walks: dict[str, Walk], name: str
) -> None:
    expected, seen = SITES[name], walks[name]
    articles = set(expected["article_paths"])
    classified = articles | {page["path"] for page in expected["non_articles"]}
    classified |= {alias["path"] for alias in expected["aliases"]}
    assert articles <= set(seen.fetched), "articles a crawler cannot reach"
    assert set(seen.linked) | set(seen.fetched) <= classified, "pages expected.json misses"
    assert classified <= set(seen.linked) | set(seen.fetched), "stale expected.json"
    for page in expected["non_articles"]:
        if page["kind"] != "disallowed" and page["path"] in seen.fetched:
            assert seen.fetched[page["path"]] == page["status"], page["path"]


def test_some_articles_are_reachable_only_through_related_widgets(walks: dict[str, Walk]) -> None:
    listings_and_homes = {
        page["path"]
        for site in SITES.values()
        for page in site["non_articles"]
        if page["kind"] in ("home", "listing")
    }
    only_related = [
        (name, article["path"])
        for name, article in ARTICLES
        if article["reachable_only_via_related"]
    ]
    assert len(only_related) >= 2
    for name, path in only_related:
        sources = walks[name].linked_from[path]
        assert sources, path
        assert not sources & listings_and_homes, f"{path} is linked from a listing"
        aliases = {alias["path"] for alias in SITES[name]["aliases"]}
        assert sources <= set(SITES[name]["article_paths"]) | aliases


def test_linked_assets_exist_on_disk() -> None:
    root = site_root()
    for name in SITES:
        directory = root / name
        for html_file in directory.rglob("*.html"):
            raw = html_file.read_bytes()
            charset = "gbk" if b"charset=gbk" in raw else "utf-8"
            for asset in parse(raw.decode(charset)).assets:
                assert asset.startswith("/"), asset
                assert (directory / asset.lstrip("/")).is_file(), f"{html_file}: {asset}"


def test_files_are_within_their_site(tmp_path: Path) -> None:
    # A site root of one's own: the server serves whatever sites it finds there.
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not served", encoding="utf-8")
    with DemoServer(root=tmp_path) as demo:
        (site,) = demo.sites
        assert site.name == "only"
        assert fetch(site.url("/")).status == 200
        assert fetch(site.url("/../secret.txt")).status == 404
        assert fetch(site.url("/%2e%2e/secret.txt")).status == 404
