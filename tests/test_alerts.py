"""Health figures counted as a crawl goes (crawler.health), a profile's alert thresholds judged
on them, the alert's JSON, and its delivery to a webhook on 127.0.0.1 through the crawler's
address guard (crawler.alerts)."""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from webhook_receiver import WebhookReceiver

from archive.health import SiteHealth
from archive.record import ArticleRecord, Byline
from crawler.alerts import Breach, alert_payload, judge_run, post_alert
from crawler.health import HealthTally
from crawler.profiles import Alerts
from crawler.safety import AddressPolicy, allowed_address, parse_networks

METADATA = parse_networks(["169.254.0.0/16", "100.100.100.200/32"])


def article(url: str, *, author: bool = True, text: str = "罗湖区新闻。" * 50) -> ArticleRecord:
    return ArticleRecord(
        url=url,
        title="标题",
        text=text,
        published_at="2024-05-20",
        bylines=[Byline("张一鎏", "reporter")] if author else [],
        source="南方都市报",
    )


# -- the tally ----------------------------------------------------------------------------------


def test_the_tally_counts_per_site() -> None:
    tally = HealthTally()
    tally.page("http://a.example/news/", 200)
    tally.page("http://a.example/news/1.html", 200)
    tally.page("http://a.example/news/2.html", 304)
    tally.page("http://B.example:8080/x.html", 500)
    tally.article(article("http://a.example/news/1.html", text="短"))
    tally.article(article("http://a.example/news/3.html", author=False, text="长" * 300))
    tally.article(article("http://a.example/news/4.html", text="中" * 100))
    tally.known("http://a.example/news/2.html")
    tally.known("http://a.example/news/2.html")  # linked twice, counted once
    tally.known("http://a.example/news/5.html")
    a, b = tally.rows()
    assert a == SiteHealth(
        "a.example",
        articles=3,
        with_author=2,
        with_date=3,
        with_source=3,
        with_section=0,
        median_text_chars=100,
        known_unchanged=2,
        pages=3,
        not_modified=1,
    )
    assert b == SiteHealth("b.example:8080", pages=1)
    assert HealthTally().rows() == []


# -- judging a run ------------------------------------------------------------------------------

ALL = Alerts(min_articles=10, min_author_share=0.8, min_date_share=0.8, max_error_share=0.2)


def figures(articles: int = 30, authors: int = 29, known: int = 0, **more: int) -> SiteHealth:
    counts = {"with_date": articles, "median_text_chars": 800, "pages": articles + 3} | more
    return SiteHealth(
        "a.example",
        articles=articles,
        with_author=authors,
        known_unchanged=known,
        **counts,  # type: ignore[arg-type]
    )


def test_a_healthy_run_breaks_nothing() -> None:
    assert judge_run(ALL, [figures()], {"newsarchive/pages_fetched": 33}) == []


def test_each_threshold() -> None:
    stats = {
        "newsarchive/pages_fetched": 20,
        "newsarchive/errors/TimeoutError": 3,
        "newsarchive/skipped/http_503": 4,
        "newsarchive/skipped/http_404": 9,  # not an error of ours
    }
    broken = judge_run(ALL, [figures(articles=8, authors=2, with_date=4)], stats)
    assert broken == [
        Breach("min_articles", 10, 8),
        Breach("min_author_share", 0.8, 0.25),
        Breach("min_date_share", 0.8, 0.5),
        Breach("max_error_share", 0.2, round(7 / 23, 4)),
    ]
    assert [b.describe() for b in broken] == [
        "8 articles seen < min_articles 10",
        "author share 0.25 < min_author_share 0.80",
        "date share 0.50 < min_date_share 0.80",
        "error share 0.30 > max_error_share 0.20",
    ]


def test_sites_are_judged_together() -> None:
    two = [figures(articles=10, authors=10), figures(articles=10, authors=0)]
    assert judge_run(Alerts(min_author_share=0.4), two, {}) == []
    assert judge_run(Alerts(min_author_share=0.6), two, {}) == [
        Breach("min_author_share", 0.6, 0.5)
    ]


def test_shares_need_a_sample_and_unchanged_sites_need_no_articles() -> None:
    few = [figures(articles=4, authors=0, known=20)]
    assert judge_run(ALL, few, {}) == []  # 4 read < min_sample 5; 24 seen
    assert judge_run(Alerts(min_author_share=0.8, min_sample=4), few, {}) == [
        Breach("min_author_share", 0.8, 0.0)
    ]
    # The listing answered 304 (a page that is gone answered 404): nothing changed, and the
    # articles it lists were not read again.
    quiet = SiteHealth("a.example", pages=2, not_modified=1)
    assert judge_run(ALL, [quiet], {"newsarchive/pages_fetched": 2}) == []
    # One site quiet, the other showing nothing: judged.
    broken = SiteHealth("b.example", pages=1)
    assert judge_run(ALL, [quiet, broken], {"newsarchive/pages_fetched": 3}) == [
        Breach("min_articles", 10, 0)
    ]
    # A listing that answered in full and led to no article: the template lost its links.
    empty = [SiteHealth("a.example", pages=1)]
    assert judge_run(ALL, empty, {"newsarchive/pages_fetched": 1}) == [
        Breach("min_articles", 10, 0)
    ]
    # Nothing fetched at all.
    assert judge_run(ALL, [], {"newsarchive/errors/DNSLookupError": 1}) == [
        Breach("min_articles", 10, 0),
        Breach("max_error_share", 0.2, 1.0),
    ]


def test_the_payload_names_the_run_the_thresholds_and_the_figures() -> None:
    breach = Breach("min_author_share", 0.8, 0.1)
    payload = alert_payload(
        profile="luohu",
        run_id=7,
        status="degraded",
        breaches=[breach],
        sites=[figures(articles=10, authors=1)],
        stats={"newsarchive/pages_fetched": 13, "newsarchive/errors/TimeoutError": 1},
    )
    assert json.loads(json.dumps(payload)) == payload
    assert payload["event"] == "newsarchive.alert"
    assert payload["text"] == (
        "newsarchive: profile luohu, run 7 degraded: author share 0.10 < min_author_share 0.80"
    )
    assert (payload["profile"], payload["run_id"], payload["status"]) == ("luohu", 7, "degraded")
    assert payload["broken"] == [
        {
            "threshold": "min_author_share",
            "limit": 0.8,
            "value": 0.1,
            "message": "author share 0.10 < min_author_share 0.80",
        }
    ]
    assert payload["requests"] == {"attempted": 14, "failed": 1}
    (site,) = payload["sites"]
    assert site["site"] == "a.example"
    assert (site["articles"], site["with_author"], site["author_share"]) == (10, 1, 0.1)
    assert site["median_text_chars"] == 800


# -- delivery -----------------------------------------------------------------------------------


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[WebhookReceiver] = []

    def make(*answers: int | str) -> WebhookReceiver:
        made.append(WebhookReceiver(*answers))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def policy_for(url: str, allow_private: bool | None = None) -> AddressPolicy:
    """The policy the crawl builds for a webhook: its host counts as one the operator named."""
    host = urlsplit(url).hostname or ""
    return AddressPolicy(allow_private, METADATA, [host])


PAYLOAD = {"event": "newsarchive.alert", "text": "罗湖: run 1 degraded"}


def send(url: str, policy: AddressPolicy | None = None, **options: Any) -> Any:
    return post_alert(url, PAYLOAD, policy or policy_for(url), retry_wait=0, **options)


def test_delivered_to_a_local_receiver(receiver_factory: Any) -> None:
    receiver = receiver_factory(204)
    delivery = send(receiver.url)
    assert (delivery.ok, delivery.attempts, delivery.status) == (True, 1, 204)
    assert delivery.describe() == "sent (HTTP 204)"
    assert [json.loads(body) for body in receiver.bodies] == [PAYLOAD]


@pytest.mark.parametrize(
    ("answers", "ok", "attempts", "error"),
    [
        pytest.param((503, 200), True, 2, None, id="retried-once"),
        pytest.param((500, 502), False, 2, "HTTP 502", id="two-failures"),
        pytest.param((429, 429, 204), False, 2, "HTTP 429", id="never-a-third-try"),
        pytest.param((404,), False, 1, "HTTP 404", id="not-retried"),
        pytest.param((302,), False, 1, "HTTP 302: redirects are not followed", id="redirect"),
        pytest.param(("slow", 204), True, 2, None, id="timeout-then-ok"),
    ],
)
def test_failures_are_retried_once_at_most(
    receiver_factory: Any, answers: tuple[int | str, ...], ok: bool, attempts: int, error: str
) -> None:
    receiver = receiver_factory(*answers)
    delivery = send(receiver.url, timeout=0.3)
    assert (delivery.ok, delivery.attempts) == (ok, attempts)
    if error is not None:
        assert delivery.error == error
        assert delivery.describe().startswith("failed")
    assert len(receiver.bodies) == attempts


def test_a_closed_port_fails_in_one_line() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = send(f"http://127.0.0.1:{port}/hook")
    assert not delivery.ok
    assert delivery.attempts == 2
    assert "ConnectionRefusedError" in (delivery.error or "")
    assert "\n" not in delivery.describe()


def test_the_address_guard_applies(receiver_factory: Any) -> None:
    receiver = receiver_factory(204)
    # Private addresses are allowed for the host the operator named, unless switched off.
    refused = send(receiver.url, policy_for(receiver.url, allow_private=False))
    assert (refused.ok, refused.attempts) == (False, 1)
    assert refused.error == ("refused by the address guard: 127.0.0.1 is not a public address")
    # The cloud metadata service, never, whatever else allows.
    metadata_url = "http://169.254.169.254/latest/"
    metadata = send(metadata_url, policy_for(metadata_url, allow_private=True))
    assert metadata.error == (
        "refused by the address guard: 169.254.169.254 is in NEWSARCHIVE_BLOCKED_NETWORKS"
    )
    assert receiver.bodies == []


def test_the_address_that_was_checked_is_the_one_used() -> None:
    blocked = AddressPolicy(None, METADATA, ["hooks.example"])

    def resolve(host: str, port: int, **_kw: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        ]

    chosen = allowed_address("hooks.example", 443, blocked, resolve)
    assert chosen == ipaddress.ip_address("93.184.216.34")

    def only_metadata(host: str, port: int, **_kw: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    with pytest.raises(ValueError, match="NEWSARCHIVE_BLOCKED_NETWORKS"):
        allowed_address("hooks.example", 443, blocked, only_metadata)
    # A public host's name that resolves to a private address: refused like a crawl's page.
    public_only = AddressPolicy(None, METADATA, [])

    def private(host: str, port: int, **_kw: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    with pytest.raises(ValueError, match=r"10\.0\.0\.5 is not a public address"):
        allowed_address("hooks.example", 443, public_only, private)
