"""Extraction health per site and run (archive.health, the ``run_site_health`` table): figures
saved and read back, and the drops flagged against each site's previous runs; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from archive.health import HealthFlag, SiteHealth, pooled, site_flags
from archive.models import CrawlRun
from archive.store import Archive


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    with Archive(db_url) as opened:
        yield opened


def healthy(site: str = "news.example", articles: int = 30, **changes: int) -> SiteHealth:
    """A site on a good day: nearly every article with an author, a date and a source."""
    figures = {
        "articles": articles,
        "with_author": articles - 1,
        "with_date": articles,
        "with_source": articles,
        "with_section": articles // 2,
        "median_text_chars": 900,
        "pages": articles + 4,
    }
    return SiteHealth(site, **(figures | changes))  # type: ignore[arg-type]


def record_run(
    archive: Archive, rows: list[SiteHealth], *, profile: str | None = "p", status: str = "finished"
) -> int:
    run_id = archive.start_run(["http://news.example/"], profile=profile)
    archive.save_run_health(run_id, rows)
    archive.finish_run(run_id, status, {}, {})
    return run_id


def flags_of(archive: Archive, run_id: int, **options: object) -> dict[str, list[str]]:
    (run,) = [r for r in archive.health_report(**options) if r.run_id == run_id]  # type: ignore[arg-type]
    return {s.health.site: [f.describe() for f in s.flags] for s in run.sites}


def test_figures_are_saved_and_read_back_by_run(archive: Archive) -> None:
    first = record_run(archive, [healthy("a.example"), healthy("b.example:8080", articles=3)])
    second = record_run(archive, [SiteHealth("a.example", pages=2, not_modified=2)])
    unrecorded = archive.start_run(["http://news.example/"], profile="p")
    found = archive.run_site_health([second, first, unrecorded])
    assert list(found) == [second, first, unrecorded]
    assert found[first] == [healthy("a.example"), healthy("b.example:8080", articles=3)]
    assert found[second] == [SiteHealth("a.example", pages=2, not_modified=2)]
    assert found[unrecorded] == []
    # Saving again replaces the run's figures.
    archive.save_run_health(second, [healthy("c.example")])
    assert archive.run_site_health([second])[second] == [healthy("c.example")]


def test_figures_go_with_their_run(archive: Archive) -> None:
    run_id = record_run(archive, [healthy()])
    with archive.engine.begin() as conn:
        conn.execute(delete(CrawlRun).where(CrawlRun.id == run_id))
    assert archive.run_site_health([run_id]) == {run_id: []}


def test_shares_and_pooling() -> None:
    site = SiteHealth("a", articles=4, with_author=1, with_date=4, median_text_chars=100)
    assert site.share("author") == 0.25
    assert site.share("date") == 1.0
    assert SiteHealth("a").share("author") == 0.0
    assert SiteHealth("a", articles=2, known_unchanged=5).seen == 7
    both = pooled([site, SiteHealth("a", articles=6, with_author=6, median_text_chars=300)])
    assert (both.articles, both.with_author, both.median_text_chars) == (10, 7, 200)
    assert site.to_json_dict()["author_share"] == 0.25
    assert SiteHealth("a").to_json_dict()["author_share"] is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(healthy(), [], id="steady"),
        pytest.param(
            healthy(with_author=3, with_section=0),
            ["author share 97% -> 10%", "section share 50% -> 0%"],
            id="shares-fall",
        ),
        pytest.param(healthy(with_author=24), [], id="within-margin"),
        pytest.param(healthy(median_text_chars=300), ["median text 900 -> 300 chars"], id="teaser"),
        pytest.param(healthy(articles=4, with_author=0), [], id="too-few-to-judge"),
        pytest.param(
            SiteHealth("news.example", pages=5), ["no articles (before: 30 a run)"], id="none"
        ),
        pytest.param(
            SiteHealth("news.example", pages=3, not_modified=3), [], id="all-not-modified"
        ),
        pytest.param(
            SiteHealth("news.example", pages=3, not_modified=1), [], id="listing-not-modified"
        ),
        pytest.param(SiteHealth("news.example", pages=1, known_unchanged=30), [], id="all-known"),
    ],
)
def test_site_flags(now: SiteHealth, expected: list[str]) -> None:
    before = pooled([healthy(), healthy()])
    assert [f.describe() for f in site_flags(now, before, 2)] == expected
    assert site_flags(now, None, 0) == ()


def test_a_drop_is_flagged_against_the_previous_runs_then_becomes_the_baseline(
    archive: Archive,
) -> None:
    for _ in range(3):
        record_run(archive, [healthy()])
    broken = healthy(with_author=0)
    drop = [record_run(archive, [broken], status="degraded") for _ in range(4)]
    assert flags_of(archive, drop[0]) == {"news.example": ["author share 97% -> 0%"]}
    # Against the last 3 runs pooled, the broken ones among them: the drop fades into the
    # site's new normal.
    assert flags_of(archive, drop[1]) == {"news.example": ["author share 64% -> 0%"]}
    assert flags_of(archive, drop[2]) == {"news.example": ["author share 32% -> 0%"]}
    assert flags_of(archive, drop[3]) == {"news.example": []}
    # The margin is a parameter.
    assert flags_of(archive, drop[2], margin=0.5) == {"news.example": []}


def test_baselines_skip_runs_that_did_not_end_well_and_other_profiles(archive: Archive) -> None:
    record_run(archive, [healthy()])
    record_run(archive, [healthy(with_author=0)], status="failed")
    record_run(archive, [healthy(with_author=0)], profile="other")
    record_run(archive, [healthy(with_author=0)], profile=None)
    archive.start_run(["http://news.example/"], profile="p")  # killed: no figures
    now = record_run(archive, [healthy(with_author=0)])
    (report,) = [r for r in archive.health_report() if r.run_id == now]
    (site,) = report.sites
    assert site.baseline_runs == 1
    assert site.baseline == healthy()
    interrupted = [r for r in archive.health_report() if r.status == "interrupted"]
    assert [(r.recorded, r.sites) for r in interrupted] == [(False, [])]


def test_a_site_the_previous_run_saw_and_this_one_did_not_reach(archive: Archive) -> None:
    record_run(archive, [healthy("a.example"), healthy("b.example")])
    now = record_run(archive, [healthy("a.example")])
    later = record_run(archive, [healthy("a.example")])
    assert flags_of(archive, now) == {
        "a.example": [],
        "b.example": ["not reached (previous run: 30 articles)"],
    }
    assert flags_of(archive, later) == {"a.example": []}  # flagged once, by the first run only
    # Runs of plain URLs crawl what they are given: no site is missed.
    record_run(archive, [healthy("a.example"), healthy("b.example")], profile=None)
    plain = record_run(archive, [healthy("a.example")], profile=None)
    assert flags_of(archive, plain) == {"a.example": []}


def test_report_filters(archive: Archive) -> None:
    first = record_run(archive, [healthy("a.example"), healthy("b.example")])
    other = record_run(archive, [healthy("c.example")], profile="q")
    last = record_run(archive, [healthy("a.example")])
    assert [r.run_id for r in archive.health_report()] == [last, other, first]
    assert [r.run_id for r in archive.health_report(limit=2)] == [last, other]
    assert [r.run_id for r in archive.health_report(profile="p")] == [last, first]
    future = datetime.now(UTC) + timedelta(days=1)
    assert archive.health_report(since=future) == []
    # A site: the runs that saw it, or that belong to a profile that did, with its rows only.
    by_site = archive.health_report(sites=["B.example"])
    assert [r.run_id for r in by_site] == [last, first]
    assert [[s.health.site for s in r.sites] for r in by_site] == [["b.example"], ["b.example"]]
    assert [f.kind for f in by_site[0].sites[0].flags] == ["not_reached"]


def test_flags_describe_themselves() -> None:
    assert HealthFlag("share_drop", "date", 1.0, 0.5).describe() == "date share 100% -> 50%"
    assert HealthFlag("no_articles", None, 12.5, 0).describe() == "no articles (before: 12 a run)"
