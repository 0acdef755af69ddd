"""A DNS resolver for crawl tests: every ``*.localhost`` name is 127.0.0.1 (RFC 6761 reserves
them for loopback; the machine's resolver does not know them), other names as usual.

``-s DNS_RESOLVER=tests.loopback_resolver.LoopbackResolver`` lets a test serve one site under
several host names (``www.news.localhost``, ``m.news.localhost``) from one local server.
Scrapy connects through the reactor's resolver, and the address guard resolves through it
too, so both see the loopback address.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer


class LoopbackResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if name == "localhost" or name.endswith(".localhost"):
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)
