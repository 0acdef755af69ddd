"""The access token: when the app has one, every request must carry it, as
``Authorization: Bearer TOKEN`` or as the login cookie that ``POST /login`` sets.

The cookie holds an HMAC of the token, not the token; it is ``HttpOnly`` and ``SameSite=Strict``
(no other site can make a logged-in browser send it). Without the token, a page request is sent
to the login form and an API request gets a JSON 401. The stylesheets and the API page's
scripts are served to anyone: they hold nothing of the archive.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final
from urllib.parse import quote

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE_NAME: Final = "newsarchive_login"
#: Paths served without the token: the login form, and static files of no secrecy.
OPEN_PATHS: Final = frozenset({"/login"})
OPEN_PREFIXES: Final = ("/static/", "/static-docs/")
#: Shortest token accepted: a token guessed online is the archive read by anyone.
MIN_TOKEN_CHARS: Final = 16


def cookie_value(token: str) -> str:
    """What the login cookie holds for ``token`` (an HMAC, so the cookie is not the token)."""
    return hmac.new(token.encode(), b"newsarchive login", hashlib.sha256).hexdigest()


def token_matches(token: str, given: str) -> bool:
    return hmac.compare_digest(token.encode(), given.encode())


def wants_json(path: str) -> bool:
    """Whether ``path`` answers in JSON (the API and its schema) rather than HTML."""
    return path.startswith("/api/") or path in {"/api", "/openapi.json"}


def safe_next(target: str | None) -> str:
    """A local path to go back to after logging in; anything else becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


class TokenGate:
    """ASGI middleware: refuse any request without the token (when there is a token)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_value(token)

    def authorized(self, headers: Headers) -> bool:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token_matches(self.token, given.strip()):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and hmac.compare_digest(value.encode(), self.cookie.encode()):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if (
            path in OPEN_PATHS
            or path.startswith(OPEN_PREFIXES)
            or self.authorized(Headers(scope=scope))
        ):
            await self.app(scope, receive, send)
            return
        if wants_json(path):
            body = orjson.dumps(
                {
                    "error": "this archive needs a token: send Authorization: Bearer TOKEN",
                    "status": 401,
                }
            )
            headers = [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b'Bearer realm="newsarchive"'),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + ("?" + query if query else "")
        location = "/login?next=" + quote(target, safe="")
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})
