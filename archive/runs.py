"""Crawl runs: the ``crawl_runs`` table, one row per crawl, with how it ended and its statistics.

A run starts ``running`` (:func:`start_run`) and ends with Scrapy's close reason, its headline
counters in columns and every statistic as JSON (:func:`finish_run`). A run left ``running`` by
a killed crawl is marked ``interrupted`` when the next crawl of its profile starts.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from archive.db import guarded_write
from archive.models import CrawlRun
from archive.rows import same_profile

#: Counters of a crawl that have their own column in ``crawl_runs``.
RUN_COUNTERS = (
    "pages_fetched",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "articles_removed",
    "pages_skipped",
    "errors",
    "bytes_downloaded",
)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A finished or running crawl, as stored."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    profile: str | None
    start_urls: list[str]
    counters: dict[str, int]
    stats: dict[str, Any]


@guarded_write
def start_run(
    engine: Engine, start_urls: list[str], *, profile: str | None = None, exclusive: bool = True
) -> int:
    """Record the start of a crawl in this process; returns the run's id.

    Earlier runs of the same profile that are still marked ``running`` are marked
    ``interrupted``: the caller holds the profile's lock, so they cannot be running. Not so
    for a worker of a distributed crawl (``exclusive=False``): the other workers' runs are
    running beside it (archive/workers.py marks those of dead workers).
    """
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        if exclusive:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.status == "running", same_profile(profile, CrawlRun.profile))
                .values(status="interrupted", finished_at=now)
            )
        run = CrawlRun(
            started_at=now,
            status="running",
            profile=profile,
            pid=os.getpid(),
            hostname=socket.gethostname(),
            start_urls=list(start_urls),
            stats={},
            **dict.fromkeys(RUN_COUNTERS, 0),
        )
        session.add(run)
        session.flush()
        return run.id


@guarded_write
def finish_run(
    engine: Engine,
    run_id: int,
    status: str,
    counters: Mapping[str, int],
    stats: Mapping[str, Any],
) -> None:
    """Record how a crawl ended, with its counters and every statistic."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = session.get_one(CrawlRun, run_id)
        run.finished_at = datetime.now(UTC)
        run.status = status
        for key in RUN_COUNTERS:
            setattr(run, key, int(counters.get(key, 0)))
        run.stats = {key: _jsonable(value) for key, value in stats.items()}


@guarded_write
def update_run_stats(engine: Engine, run_id: int, stats: Mapping[str, Any]) -> None:
    """Add ``stats`` to the statistics of a recorded run (what happened after it was recorded,
    such as the delivery of its alert)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = session.get_one(CrawlRun, run_id)
        run.stats = {**run.stats, **{key: _jsonable(value) for key, value in stats.items()}}


def list_runs(engine: Engine, limit: int = 20, *, profile: str | None = None) -> list[RunSummary]:
    """The latest ``limit`` runs (of ``profile``, when given), newest first."""
    with Session(engine) as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if profile is not None:
            query = query.where(CrawlRun.profile == profile)
        return [
            RunSummary(
                id=r.id,
                started_at=r.started_at,
                finished_at=r.finished_at,
                status=r.status,
                profile=r.profile,
                start_urls=list(r.start_urls),
                counters={key: getattr(r, key) for key in RUN_COUNTERS},
                stats=dict(r.stats),
            )
            for r in session.execute(query).scalars()
        ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
