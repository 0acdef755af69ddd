"""Feeds, sitemaps and robots.txt: parsing, dates, links, hostile XML, bounded memory."""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.discovery import (
    DiscoveryError,
    FeedEntry,
    SitemapEntry,
    looks_like_feed,
    looks_like_sitemap,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
CST = timezone(timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
FEED_URL = "https://www.example.cn/news/feed.xml"
SITEMAP_URL = "https://www.example.cn/sitemap.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- feeds -----------------------------------------------------------------------------------


def test_rss2_entries_links_titles_and_dates() -> None:
    entries = parse_feed(fixture("rss2.xml"), FEED_URL)
    assert entries == [
        FeedEntry(
            "https://www.example.cn/news/2024/0520/c12345.html",
            "罗湖区召开2024年安全生产工作会议",
            datetime(2024, 5, 20, 10, 30, tzinfo=CST),
        ),
        # root-relative link
        FeedEntry(
            "https://www.example.cn/news/2024/0519/c12300.html",
            "深圳罗湖：“口岸经济带”建设提速",
            datetime(2024, 5, 19, 8, 0, tzinfo=UTC),
        ),
        # relative link with whitespace around it; RFC 822 reads CST as US Central
        FeedEntry(
            "https://www.example.cn/news/2024/0518/c12250.html",
            "东门步行街夜间经济活动周启幕",
            datetime(2024, 5, 18, 21, 15, tzinfo=timezone(timedelta(hours=-6))),
        ),
        # no <link>: a permalink guid stands in; dc:date when there is no pubDate
        FeedEntry(
            "https://www.example.cn/news/2024/0517/c12200.html",
            "莲塘街道开展防汛演练",
            datetime(2024, 5, 17, 9, 0, tzinfo=CST),
        ),
        # the item with neither link nor permalink guid is skipped; a zoneless date is UTC
        FeedEntry(
            "https://www.example.cn/news/2024/0516/c12150.html",
            "翠竹街道社区议事会",
            datetime(2024, 5, 16, 14, 20, tzinfo=UTC),
        ),
    ]
    assert all(e.published_at is None or e.published_at.tzinfo for e in entries)


def test_default_tz_applies_to_zoneless_dates_and_makes_cst_china_time() -> None:
    dates = [e.published_at for e in parse_feed(fixture("rss2.xml"), FEED_URL, default_tz=SHANGHAI)]
    assert dates[2] == datetime(2024, 5, 18, 21, 15, tzinfo=CST)
    assert dates[4] == datetime(2024, 5, 16, 14, 20, tzinfo=CST)
    assert dates[0] == datetime(2024, 5, 20, 10, 30, tzinfo=CST)  # explicit zones are kept


def test_atom_xml_base_alternate_links_and_published_over_updated() -> None:
    entries = parse_feed(fixture("atom.xml"), "https://ignored.example/feed")
    assert entries == [
        FeedEntry(
            "https://news.example.com/sz/2024/05/20/futian-housing.html",
            "福田区发布人才安居新政",
            datetime(2024, 5, 20, 9, 15, tzinfo=CST),
        ),
        # entry-level xml:base="/hk/" refines the feed's; html title loses its tags
        FeedEntry(
            "https://news.example.com/hk/2024/05/19/hetao.html",
            "香港与深圳共建河套合作区",
            datetime(2024, 5, 19, 18, 30, tzinfo=UTC),
        ),
        # the self-only entry is skipped
        FeedEntry(
            "https://news.example.com/sz/2024/05/17/nanshan-ai.html",
            "南山科技园 AI 产业集群",
            datetime(2024, 5, 17, 8, 0, tzinfo=UTC),
        ),
    ]


def test_rss1_rdf() -> None:
    entries = parse_feed(fixture("rss1.rdf"), "https://rdf.example.org/index.rdf")
    assert entries == [
        FeedEntry(
            "https://rdf.example.org/a/1001.html",
            "盐田港集装箱吞吐量创新高",
            datetime(2024, 5, 20, 7, 45, tzinfo=CST),
        ),
        FeedEntry(
            "https://rdf.example.org/a/1002.html",
            "大梅沙海滨公园开放夜游",
            datetime(2024, 5, 19, tzinfo=UTC),
        ),
    ]


def test_gbk_feed_with_bare_ampersand_and_html_entity_is_repaired() -> None:
    # Labelled gb2312 but holds 镕 (GBK only), a bare "&" in the link, and &nbsp;.
    entries = parse_feed(
        fixture("rss2_gbk_broken.xml"), "https://lg.example.cn/", default_tz=SHANGHAI
    )
    assert len(entries) == 1
    entry = entries[0]
    assert entry.url == "https://lg.example.cn/show.asp?id=88&page=1"
    assert entry.title is not None
    assert entry.title.startswith("龙岗区镕金大道通车")
    assert entry.published_at == datetime(2024, 5, 20, 10, 30, tzinfo=CST)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty feed"),
        (b"<html><body>404</body></html>", "not a feed: the root element is <html>"),
        (b"<rss><channel><item><link>x</link></item>", "not well-formed"),
        (fixture("sitemap_urlset.xml"), "not a feed"),
    ],
)
def test_feed_junk_is_one_line_discovery_error(body: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message) as caught:
        parse_feed(body, FEED_URL)
    assert "\n" not in str(caught.value)


# -- sitemaps --------------------------------------------------------------------------------


def test_sitemap_urlset() -> None:
    doc = parse_sitemap(fixture("sitemap_urlset.xml"), SITEMAP_URL)
    assert doc.kind == "urlset"
    assert doc.dropped == 0
    assert doc.entries == [
        SitemapEntry(
            "https://www.example.cn/news/2024/0520/c12345.html",
            lastmod=datetime(2024, 5, 20, 10, 30, tzinfo=CST),
        ),
        SitemapEntry(
            "https://www.example.cn/news/2024/0519/c12300.html?a=1&b=2",
            lastmod=datetime(2024, 5, 19, tzinfo=UTC),
        ),
        SitemapEntry("https://www.example.cn/news/2024/0518/c12250.html"),
    ]
    # the image:loc inside the first <url> is not taken for a page
    assert all("img." not in e.url for e in doc.entries)


def test_sitemap_index() -> None:
    doc = parse_sitemap(fixture("sitemap_index.xml"), SITEMAP_URL)
    assert doc.kind == "sitemapindex"
    assert [e.url for e in doc.entries] == [
        "https://www.example.cn/sitemaps/news-2024-05.xml.gz",
        "https://www.example.cn/sitemaps/news-2024-04.xml.gz",
        "https://www.example.cn/sitemaps/pages.xml",
    ]
    assert doc.entries[1].lastmod == datetime(2024, 4, 30, 23, 59, 59, tzinfo=CST)


def test_google_news_sitemap() -> None:
    doc = parse_sitemap(fixture("sitemap_news.xml"), SITEMAP_URL, default_tz=SHANGHAI)
    assert doc.kind == "urlset"
    first, second = doc.entries
    assert first.news_title == "罗湖区召开2024年安全生产工作会议"
    assert first.news_published_at == datetime(2024, 5, 20, 10, 30, tzinfo=CST)
    assert first.lastmod is None
    assert second.news_title == "深圳罗湖：“口岸经济带”建设提速"
    assert second.news_published_at == datetime(2024, 5, 19, tzinfo=SHANGHAI)
    assert second.lastmod == datetime(2024, 5, 19, 9, 0, tzinfo=CST)


def test_gzipped_sitemap_single_and_multi_member() -> None:
    plain = parse_sitemap(fixture("sitemap_urlset.xml"), SITEMAP_URL)
    body = gzip.compress(fixture("sitemap_urlset.xml"))
    assert parse_sitemap(body, SITEMAP_URL) == plain
    raw = fixture("sitemap_urlset.xml")
    multi = gzip.compress(raw[:300]) + gzip.compress(raw[300:])
    assert parse_sitemap(multi, SITEMAP_URL) == plain


def test_gzip_bomb_is_refused_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(DiscoveryError, match="inflates beyond 1000000 bytes"):
        parse_sitemap(bomb, SITEMAP_URL, max_bytes=1_000_000)
    assert parse_sitemap(bomb, SITEMAP_URL, max_bytes=3_000_000).entries == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 20, "corrupt"),
        (gzip.compress(b"<urlset></urlset>")[:-12], "truncated"),
    ],
)
def test_broken_gzip(body: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        parse_sitemap(body, SITEMAP_URL)


def test_plain_text_sitemap() -> None:
    doc = parse_sitemap(fixture("sitemap.txt"), "https://www.example.cn/sitemap.txt")
    assert doc.kind == "urlset"
    assert [e.url for e in doc.entries] == [
        "https://www.example.cn/news/2024/0520/c12345.html",
        "https://www.example.cn/news/2024/0519/c12300.html",
        "https://www.example.cn/%E7%BD%97%E6%B9%96/index.html",
    ]


def test_max_entries_truncates_and_counts_the_rest() -> None:
    doc = parse_sitemap(fixture("sitemap_urlset.xml"), SITEMAP_URL, max_entries=2)
    assert len(doc.entries) == 2
    # everything past the cap counts as dropped, the <url> without a <loc> included
    assert doc.dropped == 2
    text = parse_sitemap(fixture("sitemap.txt"), SITEMAP_URL, max_entries=1)
    assert (len(text.entries), text.dropped) == (1, 2)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty sitemap"),
        (b"   \n", "empty sitemap"),
        (b"hello world\nthis is not a sitemap\n", "neither XML nor a list"),
        (fixture("rss2.xml"), "not a sitemap: the root element is <rss>"),
        (b"<urlset><url><loc>https://a.example/</loc></url>", "not well-formed"),
        (b"<urlset><url><loc>https://a.example/</loc></url></urlset><extra/>", "not well-formed"),
    ],
)
def test_sitemap_junk_is_one_line_discovery_error(body: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message) as caught:
        parse_sitemap(body, SITEMAP_URL)
    assert "\n" not in str(caught.value)


def _big_sitemap(count: int, *, news: bool = False) -> bytes:
    item = b"<url><loc>https://www.example.cn/news/2024/0520/c%07d.html</loc>"
    item += b"<lastmod>2024-05-20T10:30:00+08:00</lastmod>"
    if news:
        item += (
            b"<news:news><news:publication><news:name>N</news:name>"
            b"<news:language>zh</news:language></news:publication>"
            b"<news:publication_date>2024-05-20</news:publication_date>"
            b"<news:title>Title %07d</news:title></news:news>"
        )
    item += b"</url>\n"
    urls = b"".join(item % ((i, i) if news else (i,)) for i in range(count))
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + urls + b"</urlset>\n"
    )


def test_50000_url_sitemap_parses_in_bounded_python_memory() -> None:
    body = gzip.compress(_big_sitemap(50_000), compresslevel=1)
    tracemalloc.start()
    try:
        doc = parse_sitemap(body, SITEMAP_URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(doc.entries) == 50_000
    assert doc.entries[-1].url == "https://www.example.cn/news/2024/0520/c0049999.html"
    assert doc.entries[-1].lastmod == datetime(2024, 5, 20, 10, 30, tzinfo=CST)
    # about 3 MB compressed and 5 MB inflated; the 50,000 entries themselves take most of this
    assert peak < 25 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (Linux keeps the
# high-water mark across fork and exec), so under a large pytest process it would not move.
_RSS_PROBE = """
import sys
import crawler.discovery as discovery
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
body = open(sys.argv[1], "rb").read()
before = peak_kb()
doc = discovery.parse_sitemap(body, "https://www.example.cn/sitemap.xml")
after = peak_kb()
print(len(doc.entries), (after - before) // 1024)
"""


def test_50000_url_news_sitemap_streams_in_bounded_process_memory(tmp_path: Path) -> None:
    # tracemalloc does not see lxml's C allocations; the process's peak RSS does. Measured here:
    # ~21 MB with elements cleared as they are read, ~124 MB when the whole tree is kept.
    path = tmp_path / "news.xml.gz"
    path.write_bytes(gzip.compress(_big_sitemap(50_000, news=True), compresslevel=1))
    result = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    count, grown_mb = map(int, result.stdout.split())
    assert count == 50_000
    assert grown_mb < 60, f"peak RSS grew by {grown_mb} MB while parsing"


def test_cap_applies_to_a_large_sitemap() -> None:
    doc = parse_sitemap(_big_sitemap(1_200, news=True), SITEMAP_URL, max_entries=1_000)
    assert (len(doc.entries), doc.dropped) == (1_000, 200)


# -- hostile XML -----------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ROOT><url><loc>https://a.example/&lol9;</loc><title>&lol9;</title><link>&lol9;</link></url></ROOT>
"""


@pytest.mark.parametrize("root", [b"urlset", b"rss", b"feed"])
def test_billion_laughs_is_refused(root: bytes) -> None:
    body = BILLION_LAUGHS.replace(b"ROOT", root)
    tracemalloc.start()
    try:
        parse = parse_sitemap if root == b"urlset" else parse_feed
        with pytest.raises(DiscoveryError, match="entit") as caught:
            parse(body, SITEMAP_URL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "lollol" not in str(caught.value)
    assert peak < 5 * 1024 * 1024


def test_billion_laughs_in_an_attribute_of_the_root_is_refused() -> None:
    body = BILLION_LAUGHS.replace(b"<ROOT>", b'<urlset a="&lol9;">').replace(
        b"</ROOT>", b"</urlset>"
    )
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, SITEMAP_URL)


def test_xxe_to_etc_passwd_is_refused_without_its_content() -> None:
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    with pytest.raises(DiscoveryError, match="declares entities") as in_sitemap:
        parse_sitemap(doctype + b"<urlset><url><loc>https://a.example/&x;</loc></url></urlset>", "")
    with pytest.raises(DiscoveryError, match="declares entities") as in_feed:
        parse_feed(
            doctype + b"<rss><channel><item><title>&x;</title><link>https://a.example/</link>"
            b"</item></channel></rss>",
            FEED_URL,
        )
    assert "root:" not in str(in_sitemap.value) + str(in_feed.value)


@pytest.fixture
def fifo_watch(tmp_path: Path) -> Iterator[tuple[Path, threading.Event, threading.Event]]:
    """A FIFO whose opening by anyone but the test is noticed (and never blocks the reader)."""
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    opened, finished = threading.Event(), threading.Event()

    def writer() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens the FIFO
        if not finished.is_set():
            opened.set()
        os.write(fd, b"root:x:0:0:SECRET-MARKER\n")
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    yield fifo, opened, finished
    finished.set()
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # releases the writer
    thread.join(5)
    os.close(fd)


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{path}">]>',
        b'<!DOCTYPE urlset [<!ENTITY % p SYSTEM "file://{path}"> %p;]>',
        b'<!DOCTYPE urlset SYSTEM "file://{path}">',
    ],
)
def test_xxe_never_opens_the_file(
    fifo_watch: tuple[Path, threading.Event, threading.Event], doctype: bytes
) -> None:
    fifo, opened, finished = fifo_watch
    body = (
        b'<?xml version="1.0"?>'
        + doctype.replace(b"{path}", str(fifo).encode())
        + b"<urlset><url><loc>https://a.example/x&amp;y</loc></url></urlset>"
    )
    try:
        outcome = repr(parse_sitemap(body, SITEMAP_URL).entries)
    except DiscoveryError as exc:
        outcome = str(exc)
    assert "SECRET-MARKER" not in outcome
    if "DOCTYPE" not in outcome:  # parsed without the DTD: the document itself is intact
        assert "https://a.example/x&y" in outcome
    finished.set()
    assert not opened.is_set(), "the parser opened the file named by the DTD"


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY x "NETWORK-MARKER">')

    def log_message(self, format: str, *args: object) -> None:  # silence
        pass


def test_xxe_never_touches_the_network() -> None:
    _CountingHandler.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}".encode()
        bodies = [
            b'<!DOCTYPE rss [<!ENTITY x SYSTEM "' + url + b'/e">]>'
            b"<rss><channel><item><title>&x;</title><link>/a</link></item></channel></rss>",
            b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "' + url + b'/p"> %p;]>'
            b"<rss><channel><item><title>t</title><link>/a</link></item></channel></rss>",
            b'<!DOCTYPE rss SYSTEM "' + url + b'/dtd">'
            b"<rss><channel><item><title>t</title><link>/a</link></item></channel></rss>",
        ]
        outcomes = []
        for body in bodies:
            try:
                outcomes.append(repr(parse_feed(body, FEED_URL)))
            except DiscoveryError as exc:
                outcomes.append(str(exc))
    finally:
        server.shutdown()
        server.server_close()
    assert _CountingHandler.hits == []
    assert not any("NETWORK-MARKER" in o for o in outcomes)
    # an external DTD reference alone (old RSS 0.91 feeds) is not an error: it is just not loaded
    assert "https://www.example.cn/a" in outcomes[2]


# -- robots.txt and sniffers -----------------------------------------------------------------


def test_sitemaps_from_robots() -> None:
    robots = fixture("robots.txt").decode()
    assert sitemaps_from_robots(robots, "https://www.example.cn/robots.txt") == [
        "https://www.example.cn/sitemap.xml",
        "https://www.example.cn/sitemaps/news.xml",
        "https://www.example.cn/sitemap.txt",
    ]
    assert sitemaps_from_robots("", "https://a.example/robots.txt") == []
    assert (
        sitemaps_from_robots("\ufeffSitemap: ftp://a.example/s.xml\n", "https://a.example/") == []
    )


@pytest.mark.parametrize(
    ("name", "feed", "sitemap"),
    [
        ("rss2.xml", True, False),
        ("atom.xml", True, False),
        ("rss1.rdf", True, False),
        ("rss2_gbk_broken.xml", True, False),
        ("sitemap_urlset.xml", False, True),
        ("sitemap_index.xml", False, True),
        ("sitemap_news.xml", False, True),
        ("sitemap.txt", False, True),
        ("robots.txt", False, False),
    ],
)
def test_sniffers(name: str, feed: bool, sitemap: bool) -> None:
    body = fixture(name)
    assert looks_like_feed(body) is feed
    assert looks_like_sitemap(body) is sitemap
    assert looks_like_sitemap(gzip.compress(body)) is sitemap


def test_sniffers_on_html() -> None:
    page = b"<!DOCTYPE html><html><head><title>RSS</title></head><body>rss feed</body></html>"
    assert not looks_like_feed(page)
    assert not looks_like_sitemap(page)


# -- fuzz ------------------------------------------------------------------------------------

_PREFIXES = [
    b"",
    b"<",
    b'<?xml version="1.0" encoding="gb2312"?>',
    b"<urlset>",
    b"<rss><channel><item>",
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>',
    b"<!DOCTYPE x [",
    b"\x1f\x8b",
    b"https://a.example/\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(_PREFIXES), tail=st.binary(max_size=300))
def test_random_bytes_raise_only_discovery_error(prefix: bytes, tail: bytes) -> None:
    body = prefix + tail
    for parse in (parse_feed, parse_sitemap):
        message = ""
        try:
            parse(body, "https://a.example/x.xml")
        except DiscoveryError as exc:
            message = str(exc)
        assert "\n" not in message
    looks_like_feed(body)
    looks_like_sitemap(body)
    sitemaps_from_robots(body.decode("utf-8", "replace"), "https://a.example/")
