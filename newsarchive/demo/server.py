"""Serve the bundled demo news sites on 127.0.0.1, for tests, demos and trying the crawler by hand.

Each directory under the site root that holds an ``index.html`` is one site, served by its own
:class:`http.server.ThreadingHTTPServer` on a free port (port 0) in a daemon thread, so the sites
have different origins just as real ones do. The handler behaves like a plain static web server:
directory index pages, ``Last-Modified`` and ``ETag`` with conditional GETs answered 304, a real
404 for anything missing, and a ``Content-Type`` that carries the site's charset (``GBK`` for the
``district`` site, whose files are stored as GBK bytes).

A site may carry a ``_site.json`` next to its pages (never served, like every path segment that
starts with ``_`` or ``.``)::

    {"charset": "GBK",
     "redirects": {"/xwzx/": {"status": 301, "location": "/xxgk/qzdt/index.html"}}}

``expected.json`` in the site root says which pages are articles and what a crawl of the sites
must archive; :func:`load_expected` reads it.

Run ``python -m newsarchive.demo.server`` to serve the sites in the foreground.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import http.server
import io
import ipaddress
import json
import logging
import os
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, ClassVar, Final

logger = logging.getLogger(__name__)

#: Per-site settings file inside a site directory (not served).
SITE_CONFIG_NAME: Final = "_site.json"

#: The file in the site root that describes what a crawl of the demo sites must archive.
EXPECTED_NAME: Final = "expected.json"

#: Content types that get the site's charset appended.
_TEXT_TYPES: Final = frozenset({"application/javascript", "application/json", "text/javascript"})

_ERROR_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>%(code)d %(message)s</title></head>
<body><h1>%(code)d %(message)s</h1><p>%(explain)s</p></body>
</html>
"""


def site_root() -> Path:
    """The directory of the bundled demo sites (on disk, also when installed from a wheel)."""
    root = resources.files("newsarchive.demo").joinpath("site")
    if not isinstance(root, Path):  # a zip import: http.server needs files on disk
        raise RuntimeError(
            "the newsarchive demo sites are not on disk; install newsarchive unzipped "
            "(pip install newsarchive, not a zipapp) to serve them"
        )
    return root


def load_expected(root: Path | None = None) -> dict[str, Any]:
    """The parsed ``expected.json`` of the demo sites (articles and non-articles per site)."""
    path = (root or site_root()) / EXPECTED_NAME
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, slots=True)
class Redirect:
    """A configured redirect: status code and the root-relative target."""

    status: int
    location: str


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """One site directory and how to serve it."""

    name: str
    directory: Path
    charset: str = "utf-8"
    redirects: dict[str, Redirect] = field(default_factory=dict)
    #: (method, path, status, User-Agent) of every answered request; tests read it through
    #: DemoServer.requests().
    requests: list[tuple[str, str, int, str]] = field(default_factory=list, compare=False)

    @classmethod
    def from_directory(cls, directory: Path) -> SiteConfig:
        config_path = directory / SITE_CONFIG_NAME
        if not config_path.is_file():
            return cls(name=directory.name, directory=directory)
        raw = json.loads(config_path.read_text(encoding="utf-8"))
        redirects = {
            path: Redirect(status=int(target["status"]), location=str(target["location"]))
            for path, target in (raw.get("redirects") or {}).items()
        }
        return cls(
            name=directory.name,
            directory=directory,
            charset=str(raw.get("charset") or "utf-8"),
            redirects=redirects,
        )


def discover_sites(root: Path) -> list[SiteConfig]:
    """Every site under ``root``: its subdirectories that have an ``index.html``, by name."""
    return [
        SiteConfig.from_directory(child)
        for child in sorted(root.iterdir())
        if child.is_dir() and (child / "index.html").is_file()
    ]


@dataclass(frozen=True, slots=True)
class DemoSite:
    """A running demo site: its name (the directory name) and its base URL, ending in ``/``."""

    name: str
    base_url: str
    charset: str = "utf-8"

    def url(self, path: str) -> str:
        """The absolute URL of a root-relative ``path`` (with any query) on this site."""
        return urllib.parse.urljoin(self.base_url, path)


class DemoRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of one site, with charset-bearing content types, validators and redirects.

    Subclassed once per site by :func:`_handler_for`, which sets :attr:`site`.
    """

    site: ClassVar[SiteConfig]
    server_version = "newsarchive-demo/1.0"
    error_message_format = _ERROR_PAGE
    error_content_type = "text/html; charset=utf-8"
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; every response has a length
    timeout = 30  # seconds an idle keep-alive connection may hold its thread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(self.site.directory), **kwargs)

    def version_string(self) -> str:
        return self.server_version

    def send_head(self) -> BinaryIO | None:
        url_path = urllib.parse.urlsplit(self.path).path
        redirect = self.site.redirects.get(url_path)
        if redirect is not None:
            self._send_redirect(redirect.status, redirect.location)
            return None
        if _is_hidden(url_path):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        fs_path = Path(self.translate_path(self.path))
        if fs_path.is_dir():
            if not url_path.endswith("/"):
                query = urllib.parse.urlsplit(self.path).query
                self._send_redirect(
                    HTTPStatus.MOVED_PERMANENTLY, url_path + "/" + (f"?{query}" if query else "")
                )
                return None
            fs_path = fs_path / "index.html"  # no directory listings: missing index is a 404
        elif url_path.endswith("/"):  # "/page.html/" is not a page
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            body = fs_path.read_bytes()
            mtime = int(fs_path.stat().st_mtime)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        # Content-based, so that it stays the same across checkouts and installs.
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        if self._not_modified(etag, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self._content_type(str(fs_path)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", last_modified)
        self.send_header("ETag", etag)
        self.end_headers()
        return io.BytesIO(body)

    def _send_redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _content_type(self, path: str) -> str:
        ctype = self.guess_type(path)
        if ctype.startswith("text/") or ctype in _TEXT_TYPES:
            return f"{ctype}; charset={self.site.charset}"
        return ctype

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return datetime.fromtimestamp(mtime, UTC) <= since

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        # Real news sites do not list directories; never reached through send_head above.
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.site.requests.append(
            (
                self.command,
                self.path,
                int(code) if str(code).isdigit() else 0,
                self.headers.get("User-Agent", ""),
            )
        )
        super().log_request(code, size)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s %s", self.site.name, self.address_string(), format % args)


def _is_hidden(url_path: str) -> bool:
    segments = urllib.parse.unquote(url_path).split("/")
    return any(segment.startswith(("_", ".")) for segment in segments if segment)


def _handler_for(config: SiteConfig) -> type[DemoRequestHandler]:
    return type(
        f"DemoRequestHandler_{config.name}",
        (DemoRequestHandler,),
        {"site": config},
    )


@dataclass(slots=True)
class _Running:
    site: DemoSite
    httpd: http.server.ThreadingHTTPServer
    thread: threading.Thread


class DemoServer:
    """Serve every demo site on its own 127.0.0.1 port; a context manager.

    >>> with DemoServer() as server:  # doctest: +SKIP
    ...     server.start_urls
    ['http://127.0.0.1:41523/', 'http://127.0.0.1:41524/']
    """

    def __init__(
        self, root: Path | None = None, host: str = "127.0.0.1", base_port: int = 0
    ) -> None:
        address = ipaddress.ip_address(host)
        if address.version != 4 or not address.is_loopback:
            raise ValueError(f"the demo server binds IPv4 loopback only, not {host!r}")
        self.root = root or site_root()
        self.host = host
        #: 0 picks free ports; otherwise the sites get base_port, base_port + 1, ... in name order.
        self.base_port = base_port
        self._running: list[_Running] = []
        self._configs: list[SiteConfig] = []

    @property
    def sites(self) -> list[DemoSite]:
        """The running sites, by name."""
        return [running.site for running in self._running]

    @property
    def start_urls(self) -> list[str]:
        """Each running site's home page URL."""
        if not self._running:
            raise RuntimeError("the demo server is not running: call start() first")
        return [running.site.base_url for running in self._running]

    def requests(self, name: str) -> list[tuple[str, str, int, str]]:
        """(method, path, status, User-Agent) of every request ``name`` has answered, in order."""
        for config in self._configs:
            if config.name == name:
                return list(config.requests)
        raise KeyError(f"no demo site {name!r}")

    def site(self, name: str) -> DemoSite:
        """The running site called ``name`` (``portal``, ``district``)."""
        for running in self._running:
            if running.site.name == name:
                return running.site
        raise KeyError(f"no running demo site {name!r}; running: {[s.name for s in self.sites]}")

    def start(self) -> list[DemoSite]:
        """Bind and serve every site in a daemon thread; return the sites."""
        if self._running:
            raise RuntimeError("the demo server is already running")
        configs = discover_sites(self.root)
        self._configs = configs
        if not configs:
            raise RuntimeError(f"no demo sites under {self.root} (expected <name>/index.html)")
        try:
            for offset, config in enumerate(configs):
                port = self.base_port + offset if self.base_port else 0
                httpd = http.server.ThreadingHTTPServer((self.host, port), _handler_for(config))
                httpd.daemon_threads = True
                bound_port = httpd.server_address[1]
                site = DemoSite(
                    name=config.name,
                    base_url=f"http://{self.host}:{bound_port}/",
                    charset=config.charset,
                )
                thread = threading.Thread(
                    target=httpd.serve_forever,
                    kwargs={"poll_interval": 0.1},
                    name=f"demo-site-{config.name}",
                    daemon=True,
                )
                thread.start()
                self._running.append(_Running(site=site, httpd=httpd, thread=thread))
                logger.debug("demo site %s at %s", config.name, site.base_url)
        except BaseException:
            self.stop()
            raise
        return self.sites

    def stop(self) -> None:
        """Stop every site and close its socket; safe to call twice."""
        running, self._running = self._running, []
        for item in running:
            item.httpd.shutdown()
            item.httpd.server_close()
            item.thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve the demo sites in the foreground until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m newsarchive.demo.server",
        description="Serve the bundled demo news sites on 127.0.0.1.",
    )
    parser.add_argument("--root", type=Path, default=None, help="site directory (default: bundled)")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="first port; the sites get PORT, PORT+1, ... in name order (default: free ports)",
    )
    args = parser.parse_args(argv)
    server = DemoServer(root=args.root, base_port=args.port)
    try:
        sites = server.start()
    except OSError as exc:
        parser.exit(1, f"error: cannot bind the demo sites: {exc}; try another --port\n")
    for site in sites:
        print(f"{site.name:<10} {site.base_url}  ({site.charset})")
    print("Serving until Ctrl-C.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
