"""The pure parts of crawler/safety.py: address checks, trap keys, Retry-After, backoff.

Nothing here opens a connection: addresses are judged as values (issue 6, point 3).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from crawler.safety import (
    AddressPolicy,
    BackoffRetryMiddleware,
    _truthy,
    calendar_key,
    embedded_ipv4,
    in_networks,
    is_public_address,
    listing_key,
    literal_address,
    parse_networks,
    parse_retry_after,
    repeated_segment,
    session_key,
)


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.0.0.2",
        "169.254.169.254",  # AWS, GCP, Azure metadata
        "100.100.100.200",  # Alibaba Cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::10.0.0.1",  # IPv4-compatible (deprecated): Python calls it global
        "::127.0.0.1",
        "2002:a00:1::",  # 6to4 of 10.0.0.1: Python calls it global
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1: Python calls it global
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1)
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(ip(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(ip(address))


def test_ipv4_inside_ipv6_forms() -> None:
    inner = ipaddress.IPv4Address("10.0.0.1")
    for form in ("::ffff:10.0.0.1", "::10.0.0.1", "2002:a00:1::", "64:ff9b::a00:1"):
        assert embedded_ipv4(ip(form)) == inner, form
    assert embedded_ipv4(ip("2001:0:4136:e378:8000:63bf:f5ff:fffe")) == inner  # Teredo client
    assert embedded_ipv4(ip("::1")) is None
    assert embedded_ipv4(ip("2606:4700:4700::1111")) is None
    assert embedded_ipv4(ip("10.0.0.1")) is None


def test_blocked_networks_catch_embedded_forms_too() -> None:
    blocked = parse_networks(["127.0.0.2/32", "fd00::/8"])
    assert in_networks(ip("127.0.0.2"), blocked)
    assert in_networks(ip("::ffff:127.0.0.2"), blocked)
    assert in_networks(ip("64:ff9b::7f00:2"), blocked)
    assert in_networks(ip("fd12::1"), blocked)
    assert not in_networks(ip("127.0.0.1"), blocked)
    assert not is_public_address(ip("8.8.8.8"), parse_networks(["8.8.8.0/24"]))
    with pytest.raises(ValueError, match="NEWSARCHIVE_BLOCKED_NETWORKS"):
        parse_networks(["not-a-network"])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:10.0.0.1", "::ffff:a00:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("news.example", None),
        ("2130706433", None),  # decimal form: resolved (to 127.0.0.1), then checked
    ],
)
def test_literal_address(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == expected


def test_policy_auto_trusts_only_private_start_hosts() -> None:
    # A crawl of a public site: every non-public address is refused, whatever the host.
    public_crawl = AddressPolicy(None, (), start_hosts=["news.example"])
    assert public_crawl.refusal("news.example", ip("93.184.216.34")) is None
    for host, address in [
        ("news.example", "10.0.0.5"),  # DNS rebinding after a public first answer
        ("evil.example", "169.254.169.254"),
        ("100.100.100.200", "100.100.100.200"),
        ("localhost", "127.0.0.1"),
        ("x", "::ffff:192.168.0.1"),
    ]:
        refusal = public_crawl.refusal(host, ip(address))
        assert refusal is not None
        assert "not a public address" in refusal
    # The demo or a test site: its own private host is allowed, no other.
    local_crawl = AddressPolicy(None, (), start_hosts=["127.0.0.1"])
    assert local_crawl.refusal("127.0.0.1", ip("127.0.0.1")) is None
    assert local_crawl.refusal("127.0.0.2", ip("127.0.0.2")) is not None
    assert local_crawl.refusal("10.0.0.1", ip("10.0.0.1")) is not None


def test_policy_explicit_modes_and_blocked_networks() -> None:
    blocked = parse_networks(["169.254.0.0/16", "127.0.0.2/32"])
    allow_all = AddressPolicy(True, blocked)
    assert allow_all.refusal("intranet", ip("10.1.2.3")) is None
    refusal = allow_all.refusal("metadata", ip("169.254.169.254"))
    assert refusal is not None
    assert "BLOCKED" in refusal
    # Blocked even when a start URL names it.
    named = AddressPolicy(None, blocked, start_hosts=["127.0.0.2"])
    assert named.refusal("127.0.0.2", ip("127.0.0.2")) is not None
    deny = AddressPolicy(False, (), start_hosts=["127.0.0.1"])
    assert deny.refusal("127.0.0.1", ip("127.0.0.1")) is not None
    assert deny.refusal("news.example", ip("8.8.8.8")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("auto", None), ("", None), ("true", True), ("1", True), (False, False), ("off", False)],
)
def test_allow_private_values(value: object, expected: bool | None) -> None:
    assert _truthy(value) is expected


def test_allow_private_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="NEWSARCHIVE_ALLOW_PRIVATE"):
        _truthy("sometimes")


def test_session_keys_mask_session_ids_only() -> None:
    a = session_key("http://n.example/news/list.html?sid=abc123&page=2")
    b = session_key("http://n.example/news/list.html?sid=zzz999&page=2")
    assert a is not None
    assert a == b
    assert session_key("http://n.example/news/list.html?sid=abc&page=3") != a
    asp = session_key("http://n.example/(S(lit3py55t21z5v55vlm25s55))/news.aspx")
    assert asp == session_key("http://n.example/(S(aaaaaaaaaaaaaaaaaaaaaaaa))/news.aspx")
    # Article IDs are not sessions, however random they look.
    assert session_key("http://n.example/article?id=5f3a9b8c7d6e5f4a3b2c1d0e") is None


def test_calendar_keys_mask_dates() -> None:
    q = calendar_key("http://n.example/news/calendar?date=2024-06-01")
    assert q == calendar_key("http://n.example/news/calendar?date=2031-12-31")
    p = calendar_key("http://n.example/news/cal/2024/06/01/")
    assert p == calendar_key("http://n.example/news/cal/1999/1/2/")
    assert calendar_key("http://n.example/news/calendar?y=2024&m=6") is not None
    assert calendar_key("http://n.example/news/") is None


def test_listing_keys_drop_the_page_number() -> None:
    key = listing_key("http://n.example/news/index_2.html")
    assert key == listing_key("http://n.example/news/index_375.html")
    assert listing_key("http://n.example/list?page=3&cat=5") == listing_key(
        "http://n.example/list?page=4&cat=5"
    )
    assert listing_key("http://n.example/blog/page/7/") == listing_key(
        "http://n.example/blog/page/8/"
    )
    assert listing_key("http://n.example/news/") is None


def test_repeated_path_segments() -> None:
    assert repeated_segment("http://n.example/a/b/a/b/a/b/a/", 3) == "a"
    assert repeated_segment("http://n.example/news/2024/06/01/1.html", 3) is None


def test_retry_after_values() -> None:
    now = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Sat, 01 Jun 2024 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sat, 01 Jun 2024 11:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after("9" * 50) is not None  # huge, then capped by the middleware


def test_backoff_doubles_up_to_its_maximum() -> None:
    middleware = BackoffRetryMiddleware.__new__(BackoffRetryMiddleware)
    middleware.backoff_base, middleware.backoff_max = 1.0, 5.0
    assert [middleware.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    middleware.backoff_base = 0.0
    assert middleware.backoff(3) == 0.0


def test_settings_register_every_safety_component() -> None:
    from crawler import settings

    middlewares = settings.DOWNLOADER_MIDDLEWARES
    for name in (
        "AddressGuardMiddleware",
        "TrapGuardMiddleware",
        "RobotsTxtGate",
        "BackoffRetryMiddleware",
        "RetryAfterMiddleware",
        "BodyGuardMiddleware",
        "RedirectGuardMiddleware",
    ):
        assert f"crawler.safety.{name}" in middlewares, name
    # Scrapy's originals are replaced, not doubled.
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert (
        middlewares["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"]
        is None
    )
    assert settings.DOWNLOAD_FAIL_ON_DATALOSS is True
    parse_networks(settings.NEWSARCHIVE_BLOCKED_NETWORKS)
