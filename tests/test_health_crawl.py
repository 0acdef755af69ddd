"""Extraction health and alerts end to end: a site whose article template changes between two
crawls (the byline moves into a script that writes it in the browser, out of the extractor's
reach). The first run is healthy; the second ends ``degraded``, exits with the alert status
under ``--fail-on-alert``, POSTs its alert to a local webhook, and ``newsarchive health``
flags the drop. A third run, in which nothing changed, raises nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from webhook_receiver import WebhookReceiver

from archive.store import Archive
from crawler.alerts import ALERT_EXIT_STATUS
from newsarchive.cli import main
from newsarchive.testsite import SyntheticServer, SyntheticSite

pytestmark = pytest.mark.crawl

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}

BYLINE = "<p>记者 王五 通讯员 赵六</p>".encode()
# The same credit, written by a script: a browser shows it, the extractor never sees it.
SCRIPTED_BYLINE = (
    '<p id="byline"></p><script>document.getElementById("byline").textContent ='
    ' "记者 王五 通讯员 赵六";</script>'
).encode()


class RetemplatedSite(SyntheticSite):
    """The synthetic news site, whose article template can move the byline into a script."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.byline_in_script = False

    def _article(
        self, article: Any, canonical: str | None = None
    ) -> tuple[int, str, bytes, datetime]:
        status, kind, body, modified = super()._article(article, canonical)
        if self.byline_in_script:
            assert BYLINE in body
            body = body.replace(BYLINE, SCRIPTED_BYLINE)
        return status, kind, body, modified


def write_profile(path: Path, start_url: str, webhook: str) -> Path:
    path.write_text(
        "[[profiles]]\n"
        'name = "synthetic"\n'
        f'start_urls = ["{start_url}"]\n'
        "recheck_after_days = 0\n"  # every known article is read again: the change shows
        "[profiles.politeness]\n"
        "autothrottle = false\n"
        "concurrency_per_host = 8\n"
        "[profiles.alerts]\n"
        "min_articles = 10\n"
        "min_author_share = 0.8\n"
        "min_date_share = 0.8\n"
        "max_error_share = 0.2\n"
        f'webhook = "{webhook}"\n',
        encoding="utf-8",
    )
    return path


def newsarchive(*args: str, lock_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**ENV, "NEWSARCHIVE_LOCK_DIR": str(lock_dir)},
        check=False,
    )


def test_a_template_change_degrades_the_run_and_fires_the_alert(tmp_path: Path) -> None:
    site = RetemplatedSite(articles=20, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server, WebhookReceiver() as receiver:
        profile = write_profile(tmp_path / "p.toml", server.start_url, receiver.url)
        crawl = ("crawl", "--profiles", str(profile), "--db", db_url, "--fail-on-alert")
        crawl += ("-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0")
        first = newsarchive(*crawl, lock_dir=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "alert" not in first.stdout
        assert receiver.received == []

        site.byline_in_script = True
        second = newsarchive(*crawl, lock_dir=tmp_path)
        assert second.returncode == ALERT_EXIT_STATUS, second.stdout + second.stderr
        reason = "author share 0.00 < min_author_share 0.80"
        assert f"alert (degraded): {reason}" in second.stdout
        assert "alert webhook: sent (HTTP 204)" in second.stdout
        assert second.stderr.strip().splitlines()[-1] == (
            f"error: alert thresholds broken: synthetic (run 2 degraded): {reason}"
        )

        site.byline_in_script = True  # unchanged: every article answers 304
        third = newsarchive(*crawl, lock_dir=tmp_path)
        assert third.returncode == 0, third.stdout + third.stderr
        assert "alert" not in third.stdout

    # The webhook heard of the second run only, with the broken threshold and the figures.
    assert len(receiver.received) == 1
    path, headers, body = receiver.received[0]
    assert path == "/hooks/newsarchive?token=s3cret"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    message = json.loads(body)
    assert message["profile"] == "synthetic"
    assert message["run_id"] == 2
    assert message["status"] == "degraded"
    assert message["broken"] == [
        {
            "threshold": "min_author_share",
            "limit": 0.8,
            "value": 0.0,
            "message": reason,
        }
    ]
    assert message["text"] == f"newsarchive: profile synthetic, run 2 degraded: {reason}"
    (figures,) = message["sites"]
    host = server.base_url.removeprefix("http://")
    assert figures["site"] == host
    assert figures["articles"] == 20
    assert figures["with_author"] == 0
    assert figures["author_share"] == 0.0
    assert figures["date_share"] == figures["source_share"] == 1.0
    assert figures["median_text_chars"] > 200
    # Requests: the site's pages, and the profile's robots.txt (not a page of the site's).
    assert message["requests"] == {"attempted": figures["pages"] + 1, "failed": 0}

    # The runs as recorded: the status, the reason and the delivery.
    runner = CliRunner()
    lines = runner.invoke(main, ["runs", "--db", db_url]).output.splitlines()
    assert lines[0].startswith("#3 finished")
    assert lines[1].startswith("#2 degraded")
    assert lines[2] == f"    alert: {reason} (webhook: sent (HTTP 204))"
    assert lines[3].startswith("#1 finished")

    # health flags the drop on the second run against the first, and nothing on the others.
    health = runner.invoke(main, ["health", "--db", db_url, "--json"])
    assert health.exit_code == 0, health.output
    rows = {row["run_id"]: row for row in map(json.loads, health.output.splitlines())}
    assert rows[1]["articles"] == 20
    assert rows[1]["author_share"] == 1.0
    assert rows[1]["flags"] == []
    assert rows[2]["author_share"] == 0.0
    assert [(f["kind"], f["field"], f["before"], f["now"]) for f in rows[2]["flags"]] == [
        ("share_drop", "author", 1.0, 0.0)
    ]
    # Nothing changed in the third run: nothing read, every article seen as unchanged.
    assert (rows[3]["articles"], rows[3]["known_unchanged"]) == (0, 20)
    assert rows[3]["flags"] == []
    table = runner.invoke(main, ["health", "--db", db_url, "--site", host]).output
    (flagged,) = [line for line in table.splitlines() if line.startswith("#2 ")]
    assert "degraded" in flagged
    assert flagged.endswith("! author share 100% -> 0%")

    # The archive itself still shows the authors: the text did not change, so the second run
    # wrote nothing. Figures computed from the stored articles would have missed the drop.
    with Archive(db_url, create=False) as archive:
        stored = next(iter(archive.iter_articles()))
        assert stored.authors == ["王五", "赵六"]
        assert [r.status for r in archive.list_runs()] == ["finished", "degraded", "finished"]


def test_a_webhook_that_fails_is_retried_once_and_the_run_is_recorded(tmp_path: Path) -> None:
    """The template is broken from the first run: the thresholds need no history. The webhook
    answers 500 twice; the crawl says so, and the run is recorded degraded all the same."""
    site = RetemplatedSite(articles=12, per_page=10)
    site.byline_in_script = True
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server, WebhookReceiver(500, 500, 204) as receiver:
        profile = write_profile(tmp_path / "p.toml", server.start_url, receiver.url)
        result = newsarchive(
            "crawl", "--profiles", str(profile), "--db", db_url, "--fail-on-alert",
            "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0", lock_dir=tmp_path,
        )  # fmt: skip
    assert result.returncode == ALERT_EXIT_STATUS, result.stdout + result.stderr
    assert len(receiver.received) == 2  # one retry, no third try
    assert "alert webhook: failed after 2 attempts: HTTP 500" in result.stdout
    # The log names the webhook's host, never its path and token.
    assert "s3cret" not in result.stderr
    with Archive(db_url, create=False) as archive:
        (run,) = archive.list_runs()
    assert run.status == "degraded"
    assert run.stats["newsarchive/alerts"] == "author share 0.00 < min_author_share 0.80"
    assert run.stats["newsarchive/alerts/webhook"] == "failed after 2 attempts: HTTP 500"
    assert run.stats["newsarchive/alerts/webhook_failed"] == 1
