"""``newsarchive serve``: the app under uvicorn, on 127.0.0.1 unless a token guards it.

The socket is bound before uvicorn starts, so that the URL printed is the one that answers
(``--port 0`` picks a free port) and a port in use fails in one line.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path

from newsarchive.web.auth import MIN_TOKEN_CHARS


class ServeError(Exception):
    """The server cannot start as asked; the message says what to do, in one line."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token, or with a short one."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ServeError(
            f"the token is shorter than {MIN_TOKEN_CHARS} characters: make a long one, e.g."
            " with python3 -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    if token is None and not is_loopback(host):
        raise ServeError(
            f"refusing to serve the archive on {host} without a token: give --token TOKEN or"
            " set $NEWSARCHIVE_TOKEN (or serve on 127.0.0.1)"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (``port`` 0: any free port)."""
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    try:
        return socket.create_server((bare, port), family=family)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    db_url: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    warc_dir: Path | None = None,
    on_ready: Callable[[str, str], None] | None = None,
) -> None:
    """Serve the archive at ``db_url`` until interrupted; once the socket listens,
    ``on_ready`` gets its URL and the archive's (password hidden). Raises ``ServeError`` or
    ``ArchiveError`` with a one-line message."""
    import uvicorn

    from newsarchive.web.app import create_app

    check_exposure(host, token)
    app = create_app(db_url, token=token, warc_dir=warc_dir)
    sock = bind(host, port)
    if on_ready is not None:
        archive = app.state.config.archive
        on_ready(url_of(sock), archive.engine.url.render_as_string(hide_password=True))
    config = uvicorn.Config(
        app,
        log_level="warning",
        server_header=False,
        # Bounded work at once: each request may hold a database connection.
        limit_concurrency=64,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])
