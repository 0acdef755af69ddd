"""Crawl runs (archive.runs, the ``crawl_runs`` table): start, finish, interrupted runs, the
listing; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import runs
from archive.models import CrawlRun
from archive.store import Archive


def test_a_new_run_marks_the_dead_one_interrupted(db_url: str) -> None:
    archive = Archive(db_url)
    first = archive.start_run(["http://news.example/"], profile="p")
    other = archive.start_run(["http://other.example/"], profile="q")
    second = archive.start_run(["http://news.example/"], profile="p")
    runs = {run.id: run for run in archive.list_runs()}
    assert runs[first].status == "interrupted"
    assert runs[first].finished_at is not None
    assert runs[other].status == "running"
    assert runs[second].status == "running"
    archive.close()


def test_runs_are_recorded(db_url: str) -> None:
    archive = Archive(db_url)
    run_id = archive.start_run(["http://news.example/"])
    archive.finish_run(
        run_id,
        "finished",
        {"pages_fetched": 5, "articles_new": 2},
        {"x/y": 1, "when": datetime.now(UTC)},
    )
    (run,) = archive.list_runs()
    assert run.id == run_id
    assert run.status == "finished"
    assert run.counters["pages_fetched"] == 5
    assert run.counters["articles_new"] == 2
    assert run.counters["errors"] == 0
    assert run.stats["x/y"] == 1
    assert run.finished_at is not None
    archive.close()


def test_runs_list_newest_first_limited_and_by_profile(db_url: str) -> None:
    archive = Archive(db_url)
    ids = [runs.start_run(archive.engine, [f"http://{n}.example/"], profile=n) for n in "abcab"]
    assert [r.id for r in runs.list_runs(archive.engine)] == ids[::-1]
    assert [r.id for r in runs.list_runs(archive.engine, 2)] == ids[:2:-1]
    listed = runs.list_runs(archive.engine, profile="a")
    assert [r.id for r in listed] == [ids[3], ids[0]]
    assert [r.status for r in listed] == ["running", "interrupted"]
    assert listed[0].start_urls == ["http://a.example/"]
    assert listed[0].counters == dict.fromkeys(runs.RUN_COUNTERS, 0)
    archive.close()


def test_a_run_records_its_process_and_statistics_as_json(db_url: str) -> None:
    archive = Archive(db_url)
    run_id = archive.start_run(["http://news.example/"])
    when = datetime(2024, 6, 1, 8, tzinfo=UTC)
    archive.finish_run(
        run_id,
        "shutdown",
        {"errors": 3, "not_a_column": 9},
        {"when": when, "where": Path("/tmp/x"), "rate": 0.5, "none": None, "ok": True},
    )
    (run,) = archive.list_runs()
    assert run.status == "shutdown"
    assert run.counters["errors"] == 3
    assert "not_a_column" not in run.counters
    assert run.stats == {
        "when": "2024-06-01T08:00:00+00:00",
        "where": "/tmp/x",
        "rate": 0.5,
        "none": None,
        "ok": True,
    }
    with Session(archive.engine) as session:
        row = session.execute(select(CrawlRun)).scalar_one()
        assert row.pid == os.getpid()
        assert row.hostname
    archive.close()


def test_a_crawl_of_plain_urls_interrupts_only_crawls_of_plain_urls(db_url: str) -> None:
    archive = Archive(db_url)
    plain = archive.start_run(["http://news.example/"])
    profiled = archive.start_run(["http://news.example/"], profile="p")
    archive.start_run(["http://other.example/"])
    states = {run.id: run.status for run in archive.list_runs()}
    assert states[plain] == "interrupted"
    assert states[profiled] == "running"
    archive.close()
