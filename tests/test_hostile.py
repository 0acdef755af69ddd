"""End-to-end crawls of a hostile web (issue 6): faults, robots.txt, redirects, bombs, traps, XML.

Each test serves a scriptable site on a loopback address and runs ``newsarchive crawl`` in a
subprocess against it. Outcomes: a skip counted in the run's statistics with its reason (S),
nothing archived before lost or duplicated (N).

Each route is a function of the request handler that writes whatever it likes (a stalled body,
a lying Content-Length, a bomb). Every request is recorded with its time, so a test can tell
what the crawl fetched and when. Every sleep in a route is bounded; the server binds only the
loopback address it is given (127.0.0.1, or 127.0.0.2 for the "forbidden" target).
"""

from __future__ import annotations

import contextlib
import email.utils
import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.record import ArticleRecord
from archive.store import Archive

ROOT = Path(__file__).resolve().parent.parent
# Never route loopback traffic through a proxy that the environment may name.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}

Route = Callable[["Handler"], None]


def article_html(number: int, title: str = "罗湖区开展消防演练") -> bytes:
    paragraphs = "".join(
        f"<p>{title}第{number}号第{i}段，活动覆盖辖区各街道和社区，居民积极参与学习相关技能。</p>"
        for i in range(8)
    )
    return (
        "<html><head><meta charset='utf-8'>"
        f"<title>{title}{number}_测试网</title></head><body>"
        f"<h1>{title}{number}</h1><div class='info'>发布时间：2024-06-01 09:00 来源：测试网</div>"
        f"<div class='content'>{paragraphs}</div></body></html>"
    ).encode()


def listing_html(links: list[str], title: str = "新闻列表") -> bytes:
    items = "".join(f"<li><a href='{href}'>链接{i}</a></li>" for i, href in enumerate(links))
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><ul>{items}</ul></body></html>"
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    server: HostileServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        site = self.server
        path = self.path
        with site.lock:
            site.log.append((time.monotonic(), path))
        route = site.routes.get(path) or site.routes.get(path.split("?", 1)[0]) or site.fallback
        if route is None:
            if path == "/robots.txt":
                self.send(200, site.robots.encode(), "text/plain")
            else:
                self.send(404, b"<html><body>not found</body></html>")
            return
        route(self)

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HostileServer(http.server.ThreadingHTTPServer):
    """Routes by path (query ignored unless the full path is routed); records every request."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.routes: dict[str, Route] = {}
        self.robots = "User-agent: *\nDisallow: /private/\n"
        self.log: list[tuple[float, str]] = []
        #: Serves the paths no route names (None: robots.txt, else 404).
        self.fallback: Route | None = None
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        with self.lock:
            return [p for _, p in self.log]

    def times(self, path: str) -> list[float]:
        with self.lock:
            return [t for t, p in self.log if p == path]

    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.routes[path] = lambda h: h.send(200, body, content_type)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()
        self.server_close()


def quiet(*extra: str) -> list[str]:
    return [
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "NEWSARCHIVE_PROGRESS_INTERVAL=0",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        "NEWSARCHIVE_RETRY_BACKOFF_BASE=0.2",
        *extra,
    ]


def run_cli(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**ENV, **(env or {})},
        check=False,
    )


# --- the crawls --------------------------------------------------------------------------------

pytestmark = pytest.mark.crawl

KNOWN_URL = "http://old.example/1.html"


def seed_archive(db_url: str) -> None:
    """An article archived before the hostile crawl: it must survive it untouched (N)."""
    with Archive(db_url) as archive:
        archive.upsert_article(ArticleRecord(url=KNOWN_URL, title="旧文", text="旧的正文。"))


def last_run_stats(db_url: str) -> dict[str, Any]:
    with Archive(db_url, create=False) as archive:
        return archive.list_runs()[0].stats


def stored_urls(db_url: str) -> set[str]:
    with Archive(db_url, create=False) as archive:
        return {record.url for record in archive.iter_articles()}


def skipped(stats: dict[str, Any], reason: str) -> int:
    return int(stats.get(f"newsarchive/skipped/{reason}", 0))


def errors(stats: dict[str, Any], kind: str) -> int:
    return int(stats.get(f"newsarchive/errors/{kind}", 0))


def free_port() -> int:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "Spider error" not in result.stderr, result.stderr[-3000:]


# 1. Network faults ------------------------------------------------------------------------------


def _stall_before_headers(h: Handler) -> None:
    time.sleep(2.5)  # longer than DOWNLOAD_TIMEOUT=1
    with contextlib.suppress(OSError):
        h.send(200, article_html(50002))


def _stall_mid_body(h: Handler) -> None:
    body = article_html(50003)
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    with contextlib.suppress(OSError):
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        time.sleep(2.5)


def _close_mid_body(h: Handler) -> None:
    body = article_html(50004)
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[: len(body) // 2])
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def _chunked_cut_off(h: Handler) -> None:
    body = article_html(50005)
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    half = body[: len(body) // 2]
    h.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def test_network_faults_are_retried_with_backoff_and_never_store_a_truncated_page(
    tmp_path: Path,
) -> None:
    articles = [f"/news/2024/0601/5000{i}.html" for i in range(1, 7)]
    with HostileServer() as site:
        site.page("/news/", listing_html(articles))
        site.routes[articles[0]] = lambda h: h.send(500, b"<html>oops</html>")
        site.routes[articles[1]] = _stall_before_headers
        site.routes[articles[2]] = _stall_mid_body
        site.routes[articles[3]] = _close_mid_body
        site.routes[articles[4]] = _chunked_cut_off
        site.page(articles[5], article_html(50006))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        seed_archive(db_url)
        refused = f"http://127.0.0.1:{free_port()}/news/"
        result = run_cli(
            "crawl",
            site.url("/news/"),
            refused,
            "--db",
            db_url,
            *quiet("-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=2"),
        )
        tries = site.times(articles[0])
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    stats = last_run_stats(db_url)
    # 500 on every try: three tries, waiting longer each time (0.2 s, then 0.4 s), then a skip.
    assert len(tries) == 3
    first_gap, second_gap = tries[1] - tries[0], tries[2] - tries[1]
    assert first_gap >= 0.18
    assert second_gap >= 0.36
    assert skipped(stats, "http_500") == 1
    # A server that never answers, and one that stalls mid-body: timeouts, after retries.
    assert errors(stats, "DownloadTimeoutError") == 2
    # A body cut short of its Content-Length, or a chunked body cut off: never a page.
    assert errors(stats, "ResponseDataLossError") == 2
    assert errors(stats, "DownloadConnectionRefusedError") == 1
    stored = stored_urls(db_url)
    assert stored == {KNOWN_URL, site.url(articles[5])}, "a failed or truncated page was stored"


# 1b. 429 / 503 with Retry-After ----------------------------------------------------------------


def _busy_once(status: int, retry_after: Callable[[], str], number: int) -> Route:
    answered: list[bool] = []

    def route(h: Handler) -> None:
        if not answered:
            answered.append(True)
            h.send(status, b"<html>busy</html>", headers={"Retry-After": retry_after()})
        else:
            h.send(200, article_html(number))

    return route


def test_retry_after_pauses_the_host_then_resumes(tmp_path: Path) -> None:
    articles = [f"/news/2024/0601/6000{i}.html" for i in range(1, 6)]
    with HostileServer() as site:
        site.page("/news/", listing_html(articles))
        site.routes[articles[0]] = _busy_once(429, lambda: "1", 60001)
        site.routes[articles[1]] = _busy_once(
            503, lambda: email.utils.formatdate(time.time() + 2, usegmt=True), 60002
        )
        # An absurd pause is capped by NEWSARCHIVE_RETRY_AFTER_MAX (1 s here).
        site.routes[articles[2]] = _busy_once(429, lambda: "3600", 60003)
        site.page(articles[3], article_html(60004))
        site.page(articles[4], article_html(60005))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        started = time.monotonic()
        result = run_cli(
            "crawl",
            site.url("/news/"),
            "--db",
            db_url,
            *quiet(
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                "-s",
                "NEWSARCHIVE_RETRY_AFTER_MAX=1",
            ),
        )
        elapsed = time.monotonic() - started
        log = list(site.log)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    assert elapsed < 60
    busy = [i for i, (_, path) in enumerate(log) if path in articles[:3]]
    firsts = {}
    for i in busy:
        firsts.setdefault(log[i][1], i)
    assert len(firsts) == 3
    for path, index in firsts.items():
        answered_at = log[index][0]
        if index + 1 < len(log):
            # Paused: the host heard nothing from the crawl for the pause (1 s, capped).
            assert log[index + 1][0] - answered_at >= 0.9, [
                (round(t - log[0][0], 3), p) for t, p in log
            ]
        assert [p for _, p in log].count(path) == 2, path  # then resumed: retried once
    stats = last_run_stats(db_url)
    assert stats.get("newsarchive/host_paused") == 3
    assert stored_urls(db_url) == {site.url(a) for a in articles}


# 2. robots.txt ------------------------------------------------------------------------------------


def _slow_robots(h: Handler) -> None:
    time.sleep(0.5)  # every first request to the host is in flight meanwhile
    h.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")


PRIVATE_PATHS = [f"/private/2024/0601/{n}.html" for n in (71001, 71002, 71003)]


def robots_site(site: HostileServer) -> list[str]:
    site.routes["/robots.txt"] = _slow_robots
    site.page("/news/", listing_html(["/news/2024/0601/71000.html"]))
    site.page("/news/2024/0601/71000.html", article_html(71000))
    for path in PRIVATE_PATHS:
        site.page(path, article_html(int(path.rsplit("/", 1)[1][:5])))
    return [site.url("/news/"), *(site.url(p) for p in PRIVATE_PATHS)]


def test_stock_scrapy_robots_middleware_lets_concurrent_first_requests_through(
    tmp_path: Path,
) -> None:
    """Scrapy 2.14-2.19: the upstream behaviour RobotsTxtGate works around.

    Should this fail after a Scrapy upgrade, Scrapy has fixed it, and RobotsTxtGate's first fix
    can go.
    """
    with HostileServer() as site:
        start_urls = robots_site(site)
        result = run_cli(
            "crawl",
            *start_urls,
            "--db",
            f"sqlite:///{tmp_path / 'a.db'}",
            *quiet("-s", "DOWNLOADER_MIDDLEWARES={}"),  # Scrapy's own middlewares only
        )
        paths = site.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert [p for p in paths if p.startswith("/private/")], "Scrapy checked every request"


def test_robots_txt_gate(tmp_path: Path) -> None:
    with HostileServer() as gated, HostileServer() as broken, HostileServer() as missing:
        start_urls = robots_site(gated)
        broken.routes["/robots.txt"] = lambda h: h.send(503, b"down", "text/plain")
        broken.page("/news/", listing_html(["/news/2024/0601/72001.html"]))
        broken.page("/news/2024/0601/72001.html", article_html(72001))
        missing.routes["/robots.txt"] = lambda h: h.send(404, b"<html>404</html>")
        missing.page("/news/", listing_html(["/news/2024/0601/73001.html"]))
        missing.page("/news/2024/0601/73001.html", article_html(73001))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        result = run_cli(
            "crawl",
            *start_urls,
            broken.url("/news/"),
            missing.url("/news/"),
            "--db",
            db_url,
            *quiet(),
        )
        gated_paths, broken_paths = gated.paths(), broken.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    # Several first requests in flight at once: every one was checked.
    assert not [p for p in gated_paths if p.startswith("/private/")]
    # robots.txt answering 5xx: the host is disallowed; nothing but robots.txt was asked.
    assert set(broken_paths) == {"/robots.txt"}
    # robots.txt answering 404: everything allowed.
    stats = last_run_stats(db_url)
    assert skipped(stats, "robots_txt") >= len(PRIVATE_PATHS) + 1
    assert stats.get("newsarchive/robots_txt_unavailable") == 1
    assert stored_urls(db_url) == {
        gated.url("/news/2024/0601/71000.html"),
        missing.url("/news/2024/0601/73001.html"),
    }


# 3. Redirects -------------------------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: h.send(status, b"", headers={"Location": location})


def test_redirects_are_checked(tmp_path: Path) -> None:
    lock_dir = tmp_path / "locks"
    with (
        HostileServer() as site,
        HostileServer() as partner,
        HostileServer() as offsite,
        HostileServer("127.0.0.2") as forbidden,
    ):
        articles = {
            "loop": "/news/2024/0601/70001.html",
            "chain": "/news/2024/0601/70010.html",
            "offsite": "/news/2024/0601/70020.html",
            "partner": "/news/2024/0601/70030.html",
            "private": "/news/2024/0601/70040.html",
            "scheme": "/news/2024/0601/70050.html",
            "ftp": "/news/2024/0601/70055.html",
            "plain": "/news/2024/0601/70060.html",
        }
        site.page("/news/", listing_html(list(articles.values())))
        site.routes[articles["loop"]] = redirect("/news/2024/0601/70002.html")
        site.routes["/news/2024/0601/70002.html"] = redirect(articles["loop"], 301)
        site.routes[articles["chain"]] = redirect("/r/chain/1")
        for n in range(1, 40):
            site.routes[f"/r/chain/{n}"] = redirect(f"/r/chain/{n + 1}")
        offsite_port = offsite.server_address[1]
        site.routes[articles["offsite"]] = redirect(
            f"http://localhost:{offsite_port}/news/2024/0601/1.html"
        )
        site.routes[articles["partner"]] = redirect(partner.url("/news/2024/0601/70031.html"))
        partner.page("/news/2024/0601/70031.html", article_html(70031))
        site.routes[articles["private"]] = redirect(forbidden.url("/news/2024/0601/70041.html"))
        site.routes[articles["scheme"]] = redirect("file:///etc/passwd")
        site.routes[articles["ftp"]] = redirect("ftp://127.0.0.1/news.html")
        site.page(articles["plain"], article_html(70060))
        profiles = tmp_path / "profiles.toml"
        profiles.write_text(
            "[[profiles]]\n"
            'name = "redirects"\n'
            f'start_urls = ["{site.url("/news/")}"]\n'
            # The partner host and the forbidden one are in scope: only the address guard
            # stands between a redirect and 127.0.0.2.
            'allowed_hosts = ["127.0.0.1", "127.0.0.2"]\n',
            encoding="utf-8",
        )
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        env_lock = {"NEWSARCHIVE_LOCK_DIR": str(lock_dir)}
        result = run_cli(
            "crawl",
            "--profiles",
            str(profiles),
            "--db",
            db_url,
            *quiet(),
            env=env_lock,
        )
        forbidden_paths, offsite_paths = forbidden.paths(), offsite.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    assert forbidden_paths == [], "the crawl reached the forbidden address"
    assert offsite_paths == [], "the crawl followed a redirect out of its scope"
    stats = last_run_stats(db_url)
    assert skipped(stats, "redirect_loop") == 1
    assert skipped(stats, "redirect_too_long") == 1
    assert skipped(stats, "redirect_offsite") == 1
    assert skipped(stats, "blocked_address") == 1
    assert skipped(stats, "redirect_scheme") == 2
    assert stored_urls(db_url) == {
        partner.url("/news/2024/0601/70031.html"),
        site.url(articles["plain"]),
    }


def test_blocked_network_and_allow_private_false_refuse_even_start_urls(tmp_path: Path) -> None:
    with HostileServer("127.0.0.2") as forbidden, HostileServer() as local:
        forbidden.page("/news/", listing_html([]))
        local.page("/news/", listing_html([]))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        result = run_cli(
            "crawl",
            forbidden.url("/news/"),
            # A host name, resolved (to 127.0.0.1) and then checked.
            f"http://localhost:{local.server_address[1]}/news/",
            "--db",
            db_url,
            *quiet(
                "-s",
                "NEWSARCHIVE_BLOCKED_NETWORKS=127.0.0.2/32",
                "-s",
                "NEWSARCHIVE_ALLOW_PRIVATE=false",
            ),
        )
        forbidden_paths, local_paths = forbidden.paths(), local.paths()
    assert result.returncode == 1
    assert "error: none of the start URLs could be fetched" in result.stderr
    assert_clean(result)
    assert forbidden_paths == []
    assert local_paths == []
    assert skipped(last_run_stats(db_url), "blocked_address") == 2


# 4. Sizes and bombs ---------------------------------------------------------------------------

BOMB_BYTES = 64 * 1024 * 1024  # inflates to 64 MB; DOWNLOAD_MAXSIZE is 10 MB


def _bomb(encoding: str) -> bytes:
    chunk = b"\0" * (1024 * 1024)
    if encoding == "gzip":
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        return b"".join(packer.compress(chunk) for _ in range(64)) + packer.flush()
    if encoding == "br":
        import brotli

        compressor = brotli.Compressor(quality=5)
        parts = [compressor.process(chunk) for _ in range(64)]
        return b"".join(parts) + compressor.finish()
    from backports import zstd

    zpacker = zstd.ZstdCompressor()
    return b"".join(zpacker.compress(chunk) for _ in range(64)) + zpacker.flush()


def _big(with_length: bool) -> Route:
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
    count = 11 * 16  # 11 MB

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if with_length:
            h.send_header("Content-Length", str(len(chunk) * count))
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        with contextlib.suppress(OSError):
            for _ in range(count):
                h.wfile.write(chunk)

    return route


def deep_html(depth: int) -> bytes:
    text = "".join(
        f"<p>深层嵌套第{i}段，街道和社区联动推进各项工作，居民反映良好。</p>" for i in range(8)
    )
    return (
        "<html><head><meta charset='utf-8'><title>深层嵌套</title></head><body><h1>深层嵌套</h1>"
        + "<div>" * depth
        + text
        + "</div>" * depth
        + "</body></html>"
    ).encode()


def run_measured(
    args: list[str], timeout: float = 120, env: dict[str, str] | None = None
) -> tuple[int, str, str, int]:
    """Run the CLI; (exit status, stdout, stderr, peak RSS in MB) of that process alone.

    The peak is the kernel's high-water mark of the child's own address space (``VmHWM`` in
    /proc), read while it runs: ``ru_maxrss`` would also count the test process's memory,
    which the child shares between fork and exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsarchive", *args],
            stdout=out,
            stderr=err,
            cwd=ROOT,
            env={**ENV, **(env or {})},
        )
        deadline = time.monotonic() + timeout
        peak_kb = 0
        status_file = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"crawl did not end within {timeout} s")
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (OSError, ValueError):  # it ended between poll() and the read
                pass
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return (
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            peak_kb // 1024,
        )


def test_oversized_pages_bombs_and_junk_are_skipped_in_bounded_memory(tmp_path: Path) -> None:
    paths = {
        name: f"/news/2024/0601/8000{i}.html"
        for i, name in enumerate(
            ["big", "big_stream", "gzip", "br", "zstd", "deep", "binary", "empty", "corrupt", "ok"]
        )
    }
    with HostileServer() as site:
        site.page("/news/", listing_html(list(paths.values())))
        site.routes[paths["big"]] = _big(with_length=True)
        site.routes[paths["big_stream"]] = _big(with_length=False)
        for encoding in ("gzip", "br", "zstd"):
            bomb = _bomb(encoding)
            site.routes[paths[encoding]] = lambda h, b=bomb, e=encoding: h.send(
                200, b, headers={"Content-Encoding": e}
            )
        site.page(paths["deep"], deep_html(300))
        site.page(paths["binary"], bytes(range(256)) * 64)
        site.page(paths["empty"], b"")
        site.routes[paths["corrupt"]] = lambda h: h.send(
            200, b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"}
        )
        site.page(paths["ok"], article_html(80009))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        seed_archive(db_url)
        started = time.monotonic()
        status, _out, err, peak_mb = run_measured(
            [
                "crawl",
                site.url("/news/"),
                "--db",
                db_url,
                "--log-level",
                "INFO",
                # One page at a time: the peak is then that of the worst single page, which
                # a bomb inflated in full would push far past the bound.
                *quiet("-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=1"),
            ]
        )
        elapsed = time.monotonic() - started
    assert status == 0, err[-3000:]
    assert "Traceback" not in err
    assert elapsed < 60
    # Scrapy itself sits near 100 MB; a 64 MB bomb inflated in full would show.
    assert peak_mb < 300, peak_mb
    stats = last_run_stats(db_url)
    assert skipped(stats, "too_large") == 2
    assert skipped(stats, "decompression_bomb") == 3
    assert skipped(stats, "bad_encoding") == 1
    assert skipped(stats, "not_html") == 1
    assert skipped(stats, "empty_body") + skipped(stats, "empty") == 1
    # 300 levels deep: parsed in bounded time; lxml stops descending, so the text is too short.
    assert f"skipped (too_short): {site.url(paths['deep'])}" in err
    assert stored_urls(db_url) == {KNOWN_URL, site.url(paths["ok"])}


# 5. Traps -----------------------------------------------------------------------------------------


def _calendar(h: Handler) -> None:
    day = date.fromisoformat(h.path.split("date=", 1)[1][:10])
    links = [
        f"/news/calendar?date={day - timedelta(days=1)}",
        f"/news/calendar?date={day + timedelta(days=1)}",
        "/news/2024/0601/90001.html",
    ]
    h.send(200, listing_html(links, f"日历 {day}"))


def _path_calendar(h: Handler) -> None:
    year, month, day_ = (int(x) for x in h.path.strip("/").split("/")[2:5])
    day = date(year, month, day_)
    links = [f"/news/cal/{d:%Y/%m/%d}/" for d in (day - timedelta(days=1), day + timedelta(days=1))]
    h.send(200, listing_html(links, f"日历 {day}"))


def _session(h: Handler) -> None:
    sid = uuid.uuid4().hex
    links = [f"/news/list.html?sid={sid}", f"/news/2024/0601/90002.html?sid={sid}"]
    h.send(200, listing_html(links, "会话"))


def _endless_pages(h: Handler) -> None:
    page = int(h.path.split("page=", 1)[1])
    links = [f"/news/more?page={page + 1}", "/news/2024/0601/90003.html"]
    h.send(200, listing_html(links, f"第{page}页"))


def _repeating(h: Handler) -> None:
    h.send(200, listing_html(["a/", "/news/2024/0601/90004.html"], "重复路径"))


def test_traps_are_stopped_by_limits_and_store_nothing_twice(tmp_path: Path) -> None:
    with HostileServer() as site:
        site.page(
            "/news/",
            listing_html(
                [
                    "/news/calendar?date=2024-06-01",
                    "/news/cal/2024/06/01/",
                    "/news/list.html?sid=first",
                    "/news/more?page=1",
                    "/news/a/",
                ]
            ),
        )
        site.routes["/news/calendar"] = _calendar
        for path in ("/news/cal/",):
            site.routes[path] = _path_calendar
        site.routes["/news/list.html"] = _session
        site.routes["/news/more"] = _endless_pages
        for n in (1, 2, 3, 4):
            site.page(f"/news/2024/0601/9000{n}.html", article_html(90000 + n))
        for depth in range(1, 8):
            site.routes["/news/" + "a/" * depth] = _repeating

        def route(h: Handler) -> None:
            path = h.path.split("?", 1)[0]
            if path.startswith("/news/cal/"):
                _path_calendar(h)
            elif path.startswith("/news/a/"):
                _repeating(h)
            elif path == "/news/2024/0601/90002.html":
                h.send(200, article_html(90002))
            else:
                h.send(404, b"")

        site.fallback = route
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        seed_archive(db_url)
        started = time.monotonic()
        result = run_cli(
            "crawl",
            site.url("/news/"),
            "--db",
            db_url,
            *quiet(
                "-s",
                "NEWSARCHIVE_MAX_CALENDAR_PAGES=10",
                "-s",
                "NEWSARCHIVE_MAX_LISTING_PAGES=5",
            ),
        )
        elapsed = time.monotonic() - started
        paths = site.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    assert elapsed < 60
    stats = last_run_stats(db_url)
    with Archive(db_url, create=False) as archive:
        assert archive.list_runs()[0].status == "finished"
    assert len([p for p in paths if p.startswith("/news/calendar?")]) <= 10
    assert len([p for p in paths if p.startswith("/news/cal/")]) <= 10
    assert len([p for p in paths if p.startswith("/news/list.html")]) <= 3
    assert len([p for p in paths if p.startswith("/news/2024/0601/90002.html")]) <= 3
    assert len([p for p in paths if p.startswith("/news/more")]) <= 5
    assert max(p.count("/a") for p in paths) <= 3
    assert skipped(stats, "trap_calendar") >= 2
    assert skipped(stats, "trap_session_ids") >= 1
    assert skipped(stats, "listing_page_limit") >= 1
    assert skipped(stats, "trap_repeated_path") >= 1
    # Each article once, whatever URLs it was found under.
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 1 + 4
        titles = [r.title for r in archive.iter_articles()]
    assert len(titles) == len(set(titles))


# 5b. Copies: one text, one article ---------------------------------------------------------------

COPIED = [
    "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
    "全年计划完成固定资产投资超过三百亿元。",
    "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
    "同步完善交通、教育和医疗配套设施。",
    "区相关负责人表示，将坚持“留改拆”并举，守住老城区的烟火气，让市民在家门口享受更多便利。",
]


def news_html(
    title: str, links: list[str], *, before: str = "", after: str = "", chrome: bool = True
) -> bytes:
    """An article page: the COPIED text under ``title``; with ``chrome``, the site's nav,
    breadcrumb, info bar, editor line and a footer inside the article container (the footer
    lines that extraction keeps), and ``links`` as a related-reading list."""
    paragraphs = "".join(f"<p>{p}</p>" for p in COPIED)
    related = "".join(f"<li><a href='{href}'>相关阅读{i}</a></li>" for i, href in enumerate(links))
    if not chrome:
        return (
            f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1>{title}</h1>{before}{paragraphs}{after}<ul>{related}</ul></body></html>"
        ).encode()
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_罗湖新闻网</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/news/'>要闻</a></div>"
        "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/news/'>要闻</a></div>"
        f"<div class='article'><h1>{title}</h1>"
        "<div class='info'>发布时间：2024-06-02 09:30 来源：罗湖新闻网</div>"
        f"<div class='content'>{before}{paragraphs}<p>（责任编辑：王小明）</p>{after}</div>"
        "<p>地址：深圳市罗湖区文锦中路1008号 邮编：518001</p>"
        "<p>建议使用1366×768分辨率浏览 粤ICP备12345678号-1</p></div>"
        f"<div class='more'><ul>{related}</ul></div>"
        "<div class='footer'>版权所有：罗湖新闻网 主办单位：罗湖区委宣传部</div></body></html>"
    ).encode()


def _endless_copies(h: Handler) -> None:
    """``/copy/N``: the same text under a new headline each time, linking to ``/copy/N+1``."""
    number = int(h.path.rsplit("/", 1)[1])
    h.send(200, news_html(f"罗湖城市更新再提速（之{number}）", [f"/copy/{number + 1}", "/"]))


def test_an_endless_chain_of_copies_stops_by_itself_and_is_stored_once(tmp_path: Path) -> None:
    """A generated chain (each page a copy of one article under a new headline, linking to
    the next) is followed NEWSARCHIVE_MAX_STALE_HOPS copies deep, then the crawl ends by
    itself (no --max-pages); the copies are aliases of the article (N, S)."""
    first = "/news/2024/0602/73001.html"
    others = ["/news/2024/0602/73002.html", "/news/2024/0602/73003.html"]
    runs: list[tuple[set[str], dict[str, Any], list[str]]] = []
    for hops in ("3", "1"):
        with HostileServer() as site:
            site.page("/", listing_html([first, *others]))
            site.page(first, news_html("罗湖加快推进城市更新", ["/copy/1"]))
            for n, path in enumerate(others):
                site.page(path, article_html(73002 + n))
            site.fallback = lambda h: (
                _endless_copies(h) if h.path.startswith("/copy/") else h.send(404, b"")
            )
            db_url = f"sqlite:///{tmp_path / f'hops{hops}.db'}"
            started = time.monotonic()
            result = run_cli(
                "crawl",
                site.url("/"),
                "--db",
                db_url,
                *quiet(*(["-s", f"NEWSARCHIVE_MAX_STALE_HOPS={hops}"] if hops != "3" else [])),
            )
            elapsed = time.monotonic() - started
            copies = {p for p in site.paths() if p.startswith("/copy/")}
        assert result.returncode == 0, result.stderr[-3000:]
        assert_clean(result)
        assert elapsed < 60
        with Archive(db_url, create=False) as archive:
            assert archive.list_runs()[0].status == "finished"
            assert archive.count_articles() == 3  # three texts
            aliases = [url.removeprefix(site.base) for url in archive.aliases_of(site.url(first))]
        runs.append((copies, last_run_stats(db_url), aliases))
    # The default, 3: the article, then copies 1 to 4; the links of copy 4 are not followed.
    (copies, stats, aliases), (short_copies, short_stats, _) = runs
    assert copies == {f"/copy/{n}" for n in range(1, 5)}
    assert sorted(aliases) == [f"/copy/{n}" for n in range(1, 5)]
    assert stats["newsarchive/articles/duplicate"] == 4
    assert skipped(stats, "trap_copy_chain") == 1  # /copy/5; "/" was fetched already
    # NEWSARCHIVE_MAX_STALE_HOPS=1: one hop out of a copy.
    assert short_copies == {"/copy/1", "/copy/2"}
    assert skipped(short_stats, "trap_copy_chain") == 1


def test_print_and_mobile_versions_of_an_article_are_its_aliases(tmp_path: Path) -> None:
    """The print versions (``?print=1``, ``/print/...``: no site chrome, the page's URL
    printed) and the mobile page on ``m.`` (another layout, a share line) of an article whose
    text keeps footer lines are aliases of it, not articles of their own; the article keeps
    its own site."""
    path = "/news/2024/0602/72001.html"
    with HostileServer() as server:
        port = server.server_address[1]
        www, mobile = f"http://www.news.localhost:{port}", f"http://m.news.localhost:{port}"
        versions = [f"{www}{path}?print=1", f"{www}/print{path}", f"{mobile}{path}"]
        normal = news_html("罗湖加快推进城市更新", versions)
        printed = news_html(
            "罗湖加快推进城市更新",
            [],
            before="<p>发布时间：2024-06-02 09:30　来源：罗湖新闻网</p>",
            after=f"<p>本文链接：{www}{path}</p><p><a href='#'>【打印】</a>"
            "<a href='#'>【关闭】</a></p>",
            chrome=False,
        )
        phone = news_html(
            "罗湖加快推进城市更新",
            [],
            # A mobile template's date line (a page of three short paragraphs with no date or
            # source at all is too thin to be taken for an article: tests/test_extraction_classify).
            before="<p>2024-06-02 09:30 罗湖新闻网</p>",
            after="<p>分享到：微信 朋友圈 微博</p><p>© 2024 罗湖新闻网 手机版 | 电脑版</p>",
            chrome=False,
        )

        def article(h: Handler) -> None:
            on_mobile = h.headers.get("Host", "").startswith("m.")
            h.send(200, phone if on_mobile else printed if "print=1" in h.path else normal)

        server.routes[path] = article
        server.page(f"/print{path}", printed)
        server.page("/news/", listing_html([path, "/news/2024/0602/72002.html"]))
        server.page("/news/2024/0602/72002.html", article_html(72002))
        server.page("/m/", listing_html([]))
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        result = run_cli(
            "crawl",
            f"{www}/news/",
            f"{mobile}/m/",
            "--db",
            db_url,
            *quiet("-s", "DNS_RESOLVER=tests.loopback_resolver.LoopbackResolver"),
        )
        paths = server.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    assert paths.count(path) == 2  # on www. and on m.
    assert paths.count(f"{path}?print=1") == 1
    stats = last_run_stats(db_url)
    assert stats["newsarchive/articles/new"] == 2
    assert stats["newsarchive/articles/duplicate"] == 3
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 2
        assert sorted(archive.aliases_of(f"{www}{path}")) == sorted(versions)
        for url in versions:
            stored = archive.get_article(url)
            assert stored is not None
            assert (stored.url, stored.site) == (f"{www}{path}", f"www.news.localhost:{port}")


# 5b. Short news ---------------------------------------------------------------------------------


def short_news_html() -> bytes:
    """A 快讯 of 115 characters (headline, date and source bar, one paragraph) in a portal's page:
    navigation and a dated sidebar list make most of its text, as they do on real portals."""
    nav = "".join(f"<li><a href='/c{i}/'>栏目{i}</a></li>" for i in range(20))
    side = "".join(
        f"<li><a href='/news/2024/05{10 + i}/7000{i}.html'>区领导调研重点项目第{i}期</a>"
        f"<span>05-{10 + i}</span></li>"
        for i in range(12)
    )
    headline = "快讯｜罗湖口岸今日起延长通关时间"
    bar = "2024-06-01 09:00 来源：罗湖发布"
    paragraph = (
        "记者从罗湖口岸获悉，自6月1日起，罗湖口岸旅客通关时间延长至每日凌晨1时，方便深港两地居民往来，"
        "口岸管理部门已做好人员调配和查验设备保障工作，请旅客合理安排出行时间，留意口岸发布的最新通关信息，"
        "尽量避开早晚高峰时段并错峰有序通关。"
    )
    assert len(paragraph) == 115
    return (
        "<html><head><meta charset='utf-8'><title>" + headline + "_测试网</title></head><body>"
        f"<ul class='nav'>{nav}</ul><h1>{headline}</h1><div class='info'>{bar}</div>"
        f"<div class='content'><p>{paragraph}</p></div>"
        f"<div class='side'><h3>最新动态</h3><ul>{side}</ul></div></body></html>"
    ).encode()


def test_a_short_news_item_is_archived_with_the_section_s_articles(tmp_path: Path) -> None:
    articles = [f"/news/2024/0601/9100{n}.html" for n in range(3)]
    flash = "/news/2024/0601/91009.html"
    items = "".join(
        f"<li><a href='{path}'>{title}</a><span>2024-06-01</span></li>"
        for path, title in [
            *((path, f"罗湖区开展消防演练{91000 + n}") for n, path in enumerate(articles)),
            (flash, "快讯｜罗湖口岸今日起延长通关时间"),
        ]
    )
    section = (
        "<html><head><meta charset='utf-8'><title>区内动态_测试网</title></head><body>"
        f"<h1>区内动态</h1><ul class='list'>{items}</ul></body></html>"
    ).encode()
    with HostileServer() as site:
        site.page("/news/", section)
        for n, path in enumerate(articles):
            site.page(path, article_html(91000 + n))
        site.page(flash, short_news_html())
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        result = run_cli("crawl", site.url("/news/"), "--db", db_url, *quiet())
        fetched = site.paths()
    assert result.returncode == 0, result.stderr[-3000:]
    assert_clean(result)
    assert flash in fetched
    assert stored_urls(db_url) == {site.url(path) for path in [*articles, flash]}
    stats = last_run_stats(db_url)
    assert skipped(stats, "listing") == 1
    with Archive(db_url, create=False) as archive:
        texts = {record.url: record.text for record in archive.iter_articles()}
    assert texts[site.url(flash)].startswith("记者从罗湖口岸获悉")
    assert "区领导调研" not in texts[site.url(flash)]


# 6. Hostile XML -----------------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(9)
    )
    + b']><rss version="2.0"><channel><title>&j;</title>'
)


def _xxe(kind: bytes) -> bytes:
    return b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + (
        b'<rss version="2.0"><channel><item><title>&xxe;</title>'
        b"<link>http://127.0.0.1/news/2024/0601/1.html</link></item></channel></rss>"
        if kind == b"feed"
        else b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>&xxe;</loc></url></urlset>"
    )


def test_hostile_feeds_and_sitemaps_are_skipped_and_a_huge_sitemap_is_streamed(
    tmp_path: Path,
) -> None:
    with HostileServer() as site:
        urls = "".join(
            f"<url><loc>{site.base}/news/2024/0601/{100000 + n}.html</loc></url>"
            for n in range(50_000)
        )
        big = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode()
        site.page("/laughs-feed.xml", LAUGHS + b"</channel></rss>", "application/rss+xml")
        site.page(
            "/laughs-sitemap.xml",
            LAUGHS.replace(b"<rss", b"<urlset").replace(b"DOCTYPE rss", b"DOCTYPE urlset"),
            "application/xml",
        )
        site.page("/xxe-feed.xml", _xxe(b"feed"), "application/rss+xml")
        site.page("/xxe-sitemap.xml", _xxe(b"sitemap"), "application/xml")
        site.page("/big-sitemap.xml", big, "application/xml")
        site.fallback = lambda h: h.send(200, article_html(int(h.path[-11:-5])))
        profiles = tmp_path / "profiles.toml"
        profiles.write_text(
            "[[profiles]]\n"
            'name = "xml"\n'
            f'feeds = ["{site.url("/laughs-feed.xml")}", "{site.url("/xxe-feed.xml")}"]\n'
            f'sitemaps = ["{site.url("/laughs-sitemap.xml")}", "{site.url("/xxe-sitemap.xml")}",'
            f' "{site.url("/big-sitemap.xml")}"]\n'
            "max_pages = 20\n",
            encoding="utf-8",
        )
        site.routes["/robots.txt"] = lambda h: h.send(200, b"User-agent: *\n", "text/plain")
        db_url = f"sqlite:///{tmp_path / 'a.db'}"
        started = time.monotonic()
        status, _out, err, peak_mb = run_measured(
            ["crawl", "--profiles", str(profiles), "--db", db_url, *quiet()],
            env={"NEWSARCHIVE_LOCK_DIR": str(tmp_path / "locks")},
        )
        elapsed = time.monotonic() - started
    assert status == 0, err[-3000:]
    assert "Traceback" not in err
    stats = last_run_stats(db_url)
    assert skipped(stats, "bad_feed") == 2
    assert skipped(stats, "bad_sitemap") == 2
    with Archive(db_url, create=False) as archive:
        texts = [r.title or "" for r in archive.iter_articles()] + [
            r.text for r in archive.iter_articles()
        ]
        assert 0 < archive.count_articles() <= 20
    assert not [t for t in texts if "root:" in t or "lol" in t]
    print(f"50,000-URL sitemap: {elapsed:.1f} s, peak RSS {peak_mb} MB")
    assert elapsed < 90
    # 359 MB when all 50,000 requests were queued at once; about 160 MB with the queue bound.
    assert peak_mb < 300, peak_mb
