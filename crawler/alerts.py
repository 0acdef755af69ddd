"""Alerts: a profile's thresholds judged when its run ends, and the webhook that hears of it.

A profile's ``[profiles.alerts]`` (:class:`~crawler.profiles.Alerts`) sets the line a run must
meet: articles seen, the share of articles read with an author or a date, the share of failed
requests. :func:`judge_run` compares the run's figures (:class:`~crawler.health.HealthTally`)
with it; a run that ended ``finished`` and breaks a threshold ends ``degraded`` instead
(:func:`end_run`, called by the spider when it closes), the reasons are logged, kept in the
run's statistics (``newsarchive/alerts``) and printed by ``newsarchive crawl``, which exits with
:data:`ALERT_EXIT_STATUS` under ``--fail-on-alert``. A failed run is judged too (it stays
``failed``); an interrupted or stopped one is not.

When the profile names a ``webhook``, :func:`post_alert` POSTs :func:`alert_payload` to it,
after the run is recorded, in a thread (the reactor goes on), with a short timeout
(``NEWSARCHIVE_ALERT_TIMEOUT``) and one retry at most; the outcome is logged and added to the
run's statistics (``newsarchive/alerts/webhook``), and a failure never touches the run's record.
It is not a crawl request, so it does not go through Scrapy's downloader, but the crawler's
address guard applies to it (:func:`crawler.safety.allowed_address`, with the same
``NEWSARCHIVE_ALLOW_PRIVATE`` and ``NEWSARCHIVE_BLOCKED_NETWORKS``; the webhook's host counts as
one the operator named, like a start URL's) and the connection goes to the address checked.
Redirects are not followed.

Nothing here imports Scrapy or Twisted at module level: the scheduler reads
:data:`ALERT_EXIT_STATUS` from here.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from archive.health import SiteHealth, pooled
from crawler.profiles import Alerts

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from crawler.safety import AddressPolicy
    from crawler.state import CrawlState

logger = logging.getLogger(__name__)

#: ``newsarchive crawl --fail-on-alert`` exits with this status when a run broke a threshold
#: (1 is an error of the command, 2 a usage error).
ALERT_EXIT_STATUS: Final = 4

#: Run statuses whose figures are judged: a run stopped by the user or by a storage error, or
#: killed, saw only part of what it would have.
JUDGED_STATUSES: Final = ("finished", "failed")

#: Seconds to wait before the one retry of a failed delivery.
RETRY_WAIT: Final = 1.0


@dataclass(frozen=True, slots=True)
class Breach:
    """A threshold a run broke: its key in ``[profiles.alerts]``, its limit, the run's value."""

    threshold: str
    limit: float
    value: float

    def describe(self) -> str:
        if self.threshold == "min_articles":
            return f"{self.value:.0f} articles seen < min_articles {self.limit:.0f}"
        what = self.threshold.removeprefix("min_").removeprefix("max_").replace("_", " ")
        sign = ">" if self.threshold.startswith("max_") else "<"
        return f"{what} {self.value:.2f} {sign} {self.threshold} {self.limit:.2f}"


def error_share(stats: Mapping[str, Any]) -> tuple[int, int]:
    """(failed, attempted) requests of a run, from its statistics.

    Failed: downloads that ended in an error (timeouts, refused connections, ...) and pages
    answering 5xx once retries were spent. Attempted: responses received plus those errors.
    """
    errors = sum(int(v) for k, v in stats.items() if k.startswith("newsarchive/errors/"))
    server_errors = sum(
        int(v)
        for k, v in stats.items()
        if k.startswith("newsarchive/skipped/http_5") and k[-3:].isdigit()
    )
    pages = int(stats.get("newsarchive/pages_fetched", 0))
    return errors + server_errors, pages + errors


def judge_run(
    alerts: Alerts, sites: Sequence[SiteHealth], stats: Mapping[str, Any]
) -> list[Breach]:
    """The thresholds of ``alerts`` that a run with these figures broke, in key order.

    Shares are judged on the articles read, all sites together, when there are at least
    ``min_sample`` of them. ``min_articles`` counts the articles seen (read, or known and found
    unchanged) on the sites that were not quiet (:attr:`SiteHealth.quiet`: a 304 and nothing
    seen, the site said nothing changed); when every site was quiet it is not judged.
    """
    total = pooled([SiteHealth("*"), *sites])
    broken: list[Breach] = []
    minimum = alerts.min_articles
    all_quiet = bool(sites) and all(site.quiet for site in sites)
    if minimum is not None and total.seen < minimum and not all_quiet:
        broken.append(Breach("min_articles", minimum, total.seen))
    if total.articles >= alerts.min_sample:
        for key, name in (("min_author_share", "author"), ("min_date_share", "date")):
            limit: float | None = getattr(alerts, key)
            if limit is not None and total.share(name) < limit:
                broken.append(Breach(key, limit, round(total.share(name), 4)))
    failed, attempted = error_share(stats)
    if alerts.max_error_share is not None and attempted > 0:
        share = failed / attempted
        if share > alerts.max_error_share:
            broken.append(Breach("max_error_share", alerts.max_error_share, round(share, 4)))
    return broken


def alert_payload(
    *,
    profile: str | None,
    run_id: int | None,
    status: str,
    breaches: Sequence[Breach],
    sites: Sequence[SiteHealth],
    stats: Mapping[str, Any],
) -> dict[str, Any]:
    """The JSON message of a run that broke its thresholds.

    ``text`` says it in one line, so that chat webhooks that show a ``text`` field show it.
    """
    reasons = "; ".join(b.describe() for b in breaches)
    failed, attempted = error_share(stats)
    return {
        "event": "newsarchive.alert",
        "text": f"newsarchive: profile {profile or '-'}, run {run_id} {status}: {reasons}",
        "profile": profile,
        "run_id": run_id,
        "status": status,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "broken": [
            {"threshold": b.threshold, "limit": b.limit, "value": b.value, "message": b.describe()}
            for b in breaches
        ],
        "requests": {"attempted": attempted, "failed": failed},
        "sites": [site.to_json_dict() for site in sites],
    }


# -- delivery -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """How the POST of an alert went."""

    ok: bool
    attempts: int
    status: int | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"sent (HTTP {self.status})"
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"failed{tries}: {self.error}"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand, whatever DNS says by then."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified for the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _post_once(
    url: str, body: bytes, policy: AddressPolicy, timeout: float, user_agent: str
) -> tuple[int | None, str | None, bool]:
    """One POST: (status, error, worth a retry)."""
    from crawler.safety import allowed_address

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        address = allowed_address(host, port, policy)
    except ValueError as exc:  # the address guard said no: asking again will not change it
        return None, f"refused by the address guard: {exc}", False
    except OSError as exc:
        return None, f"cannot resolve {host}: {exc}", True
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(host, port, str(address), timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": user_agent,
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # a little of the answer, so that the server sees it taken
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, True
    finally:
        connection.close()
    if 200 <= status < 300:
        return status, None, False
    if 300 <= status < 400:
        return status, f"HTTP {status}: redirects are not followed", False
    return status, f"HTTP {status}", status >= 500 or status in (408, 429)


def post_alert(
    url: str,
    payload: Mapping[str, Any],
    policy: AddressPolicy,
    *,
    timeout: float = 5.0,
    attempts: int = 2,
    user_agent: str = "newsarchive",
    retry_wait: float = RETRY_WAIT,
) -> Delivery:
    """POST ``payload`` as JSON to ``url``; a second try after a network error, a timeout, a
    5xx, 408 or 429 (``attempts`` in all). Never raises."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    status: int | None = None
    error: str | None = None
    made = 0
    for made in range(1, max(1, attempts) + 1):
        status, error, again = _post_once(url, body, policy, timeout, user_agent)
        if error is None or not again or made == attempts:
            break
        time.sleep(retry_wait)
    return Delivery(ok=error is None, attempts=made, status=status, error=error)


# -- at the end of a run --------------------------------------------------------------------------


def end_run(
    state: CrawlState, crawler: Crawler, status: str, alerts: Alerts | None
) -> Deferred[None] | None:
    """Judge the run's figures, record the run (with ``degraded`` for a finished run that broke
    a threshold), then send the alert; returns the delivery's Deferred, which Scrapy waits for.

    Called by the spider's ``spider_closed`` handler.
    """
    from archive.db import ArchiveError
    from crawler.pipelines import run_counters

    stats = crawler.stats
    assert stats is not None
    sites = state.health.rows()
    breaches: list[Breach] = []
    if alerts is not None and alerts.enabled and status in JUDGED_STATUSES:
        breaches = judge_run(alerts, sites, stats.get_stats())
    if breaches:
        if status == "finished":
            status = "degraded"
        reasons = "; ".join(b.describe() for b in breaches)
        stats.set_value("newsarchive/alerts", reasons)
        logger.warning("crawl run %s %s: %s", state.run_id, status, reasons)
    stats.set_value("newsarchive/status", status)
    snapshot = dict(stats.get_stats())
    try:
        state.finish(status, run_counters(snapshot), snapshot)
    except (ArchiveError, OSError) as exc:  # the archive is full or gone: say so, once
        logger.error("could not record the end of the crawl: %s", exc)
    if not breaches or alerts is None or alerts.webhook is None:
        return None
    from twisted.internet.threads import deferToThread

    from crawler.safety import AddressPolicy, address_settings

    webhook = alerts.webhook
    allow_private, blocked = address_settings(crawler.settings)
    policy = AddressPolicy(allow_private, blocked, [urlsplit(webhook).hostname or ""])
    payload = alert_payload(
        profile=state.profile,
        run_id=state.run_id,
        status=status,
        breaches=breaches,
        sites=sites,
        stats=snapshot,
    )
    sending: Deferred[Delivery] = deferToThread(
        post_alert,
        webhook,
        payload,
        policy,
        timeout=crawler.settings.getfloat("NEWSARCHIVE_ALERT_TIMEOUT", 5.0),
        user_agent=str(crawler.settings.get("USER_AGENT") or "newsarchive"),
    )

    def delivered(delivery: Delivery) -> None:
        outcome = delivery.describe()
        shown = _shown_webhook(webhook)
        noted: dict[str, Any] = {"newsarchive/alerts/webhook": outcome}
        if delivery.ok:
            logger.info("alert of crawl run %s %s to %s", state.run_id, outcome, shown)
        else:
            logger.error("alert of crawl run %s to %s %s", state.run_id, shown, outcome)
            noted["newsarchive/alerts/webhook_failed"] = 1
        for key, value in noted.items():
            stats.set_value(key, value)
        try:
            state.add_stats(noted)
        except (ArchiveError, OSError) as exc:
            logger.error("could not record the alert's delivery: %s", exc)

    def broken(failure: Any) -> None:  # a bug in the delivery: one line, the run stands
        logger.error("alert of crawl run %s not sent: %s", state.run_id, failure.value)

    return sending.addCallback(delivered).addErrback(broken)


def _shown_webhook(url: str) -> str:
    """The webhook's scheme and host: its path, query and user often hold a secret token."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/..."
