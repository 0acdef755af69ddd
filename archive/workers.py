"""Workers of a distributed crawl: the ``workers``, ``distributed_crawls``, ``host_slots`` and
``host_pace`` tables (PostgreSQL only).

Any number of ``newsarchive worker`` processes, on any number of machines, share one profile's
crawl through the archive: the first to find no crawl in progress seeds it
(:func:`join_crawl`), each registers itself (:func:`register_worker`), beats its heart and
renews its pages' leases in one transaction (:func:`heartbeat`), and gives its pages back
when it stops (:func:`stop_worker`); the one that finds the queue empty with no live lease
ends the crawl (:func:`finish_crawl`). ``newsarchive workers`` reads :func:`list_workers`.

Without Redis, the per-host politeness budget shared by the workers lives here too
(:func:`acquire_host_slot`, :func:`release_host_slot`): at most the host's concurrency of
requests in flight, one start per delay, whichever worker sends them.

Every time is the database's clock (``now()``), so that the machines' clocks do not matter.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from archive.db import guarded_write
from archive.frontier import NO_FSYNC, _offer, release_pages, renew_leases
from archive.models import CrawlRun, DistributedCrawl, HostPace, HostSlot, Worker

#: A worker whose heartbeat is older than this many leases is dead (shown as ``lost``).
LOST_AFTER_LEASES = 1.0


@dataclass(frozen=True, slots=True)
class CrawlJoined:
    """The crawl a worker joined: when it began, and whether this worker seeded it."""

    started_at: datetime
    seeded: bool


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """One row of ``newsarchive workers``."""

    id: str
    host: str
    pid: int
    profile: str
    run_id: int | None
    state: str
    started_at: datetime
    last_heartbeat_at: datetime
    heartbeat_age: float
    pages_claimed: int
    pages_done: int
    current_url: str | None
    #: Pages it holds under a live lease now.
    holding: int


def require_postgresql(engine: Engine) -> None:
    """Workers coordinate with ``SELECT ... FOR UPDATE SKIP LOCKED``, which SQLite lacks."""
    if engine.dialect.name != "postgresql":
        raise ValueError(
            "newsarchive worker needs a PostgreSQL archive (--db postgresql://...): several "
            "workers share its frontier; on SQLite, crawl on one machine with newsarchive crawl"
        )


@guarded_write
def join_crawl(
    engine: Engine,
    profile: str,
    worker_id: str,
    seeds: Sequence[tuple[str, str, int]],
    *,
    run_id: int | None,
) -> CrawlJoined:
    """Join the crawl of ``profile`` in progress, or begin one and queue ``seeds`` (start
    pages, feeds, sitemaps, known articles due for a recheck) when none is.

    The profile's ``distributed_crawls`` row is locked for the transaction, so two workers
    starting at once agree: one seeds, the other joins. Pages an interrupted crawl left
    pending stay queued either way.
    """
    with engine.begin() as conn:
        # A profile seen for the first time gets a row that reads "finished": seed it.
        conn.execute(
            pg_insert(DistributedCrawl)
            .values(profile=profile, started_at=func.now(), seeded_by="", finished_at=func.now())
            .on_conflict_do_nothing()
        )
        row = conn.execute(
            select(DistributedCrawl.started_at, DistributedCrawl.finished_at)
            .where(DistributedCrawl.profile == profile)
            .with_for_update()
        ).one()
        if row.finished_at is None:
            return CrawlJoined(started_at=row.started_at, seeded=False)
        now = conn.execute(select(func.now())).scalar_one()
        conn.execute(
            update(DistributedCrawl)
            .where(DistributedCrawl.profile == profile)
            .values(started_at=now, seeded_by=worker_id, finished_at=None)
        )
        _offer(conn, seeds, profile=profile, run_id=run_id, since=now)
        return CrawlJoined(started_at=now, seeded=True)


def _interrupt_lost_runs(conn: Connection, profile: str, lost_after: float) -> None:
    """Runs of this profile's workers that stopped beating ``lost_after`` seconds ago and never
    stopped cleanly were killed: mark them ``interrupted``."""
    lost = (
        select(Worker.run_id)
        .where(
            Worker.profile == profile,
            Worker.stopped_at.is_(None),
            Worker.last_heartbeat_at < func.now() - literal(timedelta(seconds=lost_after)),
        )
        .scalar_subquery()
    )
    conn.execute(
        update(CrawlRun)
        .where(CrawlRun.status == "running", CrawlRun.id.in_(lost))
        .values(status="interrupted", finished_at=func.now())
    )


@guarded_write
def finish_crawl(engine: Engine, profile: str, *, lost_after: float = 300.0) -> bool:
    """End the crawl of ``profile`` if no page of it is pending; returns whether it is over
    (whoever ended it). In one statement, so a page queued meanwhile keeps it going. The runs
    of workers silent for ``lost_after`` seconds are marked ``interrupted``."""
    from archive.models import Page

    with engine.begin() as conn:
        _interrupt_lost_runs(conn, profile, lost_after)
        conn.execute(
            update(DistributedCrawl)
            .where(
                DistributedCrawl.profile == profile,
                DistributedCrawl.finished_at.is_(None),
                ~select(Page.id).where(Page.profile == profile, Page.state == "pending").exists(),
            )
            .values(finished_at=func.now())
        )
        finished = conn.execute(
            select(DistributedCrawl.finished_at).where(DistributedCrawl.profile == profile)
        ).scalar_one_or_none()
    return finished is not None


@guarded_write
def register_worker(
    engine: Engine,
    worker_id: str,
    *,
    host: str,
    pid: int,
    profile: str,
    run_id: int | None,
    lost_after: float = 300.0,
) -> None:
    """Record a worker as starting (an id given again, after a restart, is taken over), and
    mark ``interrupted`` the runs of this profile's workers silent for ``lost_after`` s."""
    values = {
        "host": host,
        "pid": pid,
        "profile": profile,
        "run_id": run_id,
        "started_at": func.now(),
        "last_heartbeat_at": func.now(),
        "state": "starting",
        "pages_claimed": 0,
        "pages_done": 0,
        "current_url": None,
        "stopped_at": None,
    }
    with engine.begin() as conn:
        _interrupt_lost_runs(conn, profile, lost_after)
        statement = pg_insert(Worker).values(id=worker_id, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=[Worker.id], set_=values))


@guarded_write
def heartbeat(
    engine: Engine,
    worker_id: str,
    page_ids: Iterable[int],
    *,
    lease_seconds: float,
    state: str,
    pages_done: int,
    current_url: str | None,
) -> set[int]:
    """The worker is alive: its row is updated and the leases of the pages it still holds
    among ``page_ids`` renewed, in one transaction (one round trip's worth); returns those."""
    with engine.begin() as conn:
        conn.execute(text(NO_FSYNC))
        conn.execute(
            update(Worker)
            .where(Worker.id == worker_id)
            .values(
                last_heartbeat_at=func.now(),
                state=state,
                pages_done=pages_done,
                current_url=current_url,
            )
        )
        return renew_leases(conn, worker_id, page_ids, lease_seconds=lease_seconds)


@guarded_write
def stop_worker(engine: Engine, worker_id: str, *, pages_done: int) -> int:
    """A clean stop: the worker's pages go back to the queue; returns how many."""
    with engine.begin() as conn:
        released = release_pages(conn, worker_id)
        conn.execute(
            update(Worker)
            .where(Worker.id == worker_id)
            .values(
                state="stopped",
                stopped_at=func.now(),
                last_heartbeat_at=func.now(),
                pages_done=pages_done,
                current_url=None,
            )
        )
        return released


def list_workers(engine: Engine, profile: str | None = None) -> list[WorkerInfo]:
    """Workers, newest first, with the pages each holds under a live lease now."""
    from archive.models import Page

    holding = (
        select(func.count())
        .where(
            Page.claimed_by == Worker.id,
            Page.state == "pending",
            Page.lease_expires_at > func.now(),
        )
        .correlate(Worker)
        .scalar_subquery()
    )
    query = select(
        Worker,
        func.extract("epoch", func.now() - Worker.last_heartbeat_at),
        holding,
    ).order_by(Worker.started_at.desc(), Worker.id)
    if profile is not None:
        query = query.where(Worker.profile == profile)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        WorkerInfo(
            id=row.id,
            host=row.host,
            pid=row.pid,
            profile=row.profile,
            run_id=row.run_id,
            state=row.state,
            started_at=row.started_at,
            last_heartbeat_at=row.last_heartbeat_at,
            heartbeat_age=float(row[-2]),
            pages_claimed=row.pages_claimed,
            pages_done=row.pages_done,
            current_url=row.current_url,
            holding=int(row[-1]),
        )
        for row in rows
    ]


# -- politeness across workers, without Redis --------------------------------------------------


def acquire_host_slot(
    engine: Engine, host: str, holder: str, *, concurrency: int, delay: float, ttl: float
) -> float | None:
    """Try to take one of ``host``'s ``concurrency`` request slots for ``holder``, to send a
    request now: 0.0 when taken; the seconds until the host's next start is allowed (``delay``
    after the previous start, whichever worker sent it) when it is too early; None when every
    slot is taken. A slot is held until :func:`release_host_slot`, or ``ttl`` seconds (a
    killed worker). Starts are granted when they may happen, never reserved ahead: a
    reservation kept late (a busy process) would bring two starts closer than ``delay``."""
    with engine.begin() as conn:
        conn.execute(text(NO_FSYNC))
        # One transaction per host at a time: counting the slots and taking one must not
        # interleave with another worker doing the same.
        conn.execute(select(func.pg_advisory_xact_lock(_host_lock_key(host))))
        expired = HostSlot.expires_at < func.now()
        conn.execute(delete(HostSlot).where(HostSlot.host == host, expired))
        taken = conn.execute(
            select(func.count()).select_from(HostSlot).where(HostSlot.host == host)
        ).scalar_one()
        if taken >= concurrency:
            return None
        # The wall clock, not now() (the transaction's start, before the lock was granted).
        clock = func.clock_timestamp()
        early = conn.execute(
            select(func.extract("epoch", HostPace.next_at - clock)).where(HostPace.host == host)
        ).scalar_one_or_none()
        if early is not None and float(early) > 0:
            return float(early)
        step = literal(timedelta(seconds=delay))
        statement = pg_insert(HostPace).values(host=host, next_at=clock + step)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[HostPace.host], set_={"next_at": clock + step}
            )
        )
        conn.execute(
            pg_insert(HostSlot)
            .values(host=host, holder=holder, expires_at=clock + literal(timedelta(seconds=ttl)))
            .on_conflict_do_nothing()
        )
        return 0.0


def release_host_slot(engine: Engine, host: str, holder: str) -> None:
    """The request of ``holder`` is over: its slot is free for any worker."""
    with engine.begin() as conn:
        conn.execute(text(NO_FSYNC))
        conn.execute(delete(HostSlot).where(HostSlot.host == host, HostSlot.holder == holder))


def _host_lock_key(host: str) -> int:
    # A stable key per host (advisory locks take a bigint; a collision only serialises two hosts).
    return zlib.crc32(b"newsarchive-host:" + host.encode("utf-8"))


def clear_host_slots(engine: Engine) -> None:
    """Forget every slot and pace (tests, or after a crash of every worker)."""
    with engine.begin() as conn:
        conn.execute(delete(HostSlot))
        conn.execute(delete(HostPace))
