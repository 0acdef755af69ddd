"""One crawl, N workers: leases and claims on the PostgreSQL frontier, the per-host budget in
Redis and in PostgreSQL, and worker processes crawling a local site together, one of them
killed with ``kill -9``. Real servers on 127.0.0.1 (own database, own Redis key prefix)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from archive import frontier, workers
from archive.models import ArticleRevision, Page
from archive.store import Archive
from crawler.distributed import ArchiveHostBudget, RedisHostBudget, WorkerFrontier
from newsarchive import testsite
from newsarchive.cli import main
from newsarchive.testsite import SyntheticServer, SyntheticSite

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def _queue(archive: Archive, count: int, profile: str = "p") -> None:
    entries = [(f"http://news.example/a/{i}.html", "article", 1) for i in range(count)]
    archive.enqueue_pages(entries, profile=profile, run_id=None)


def _register(archive: Archive, worker_id: str) -> None:
    workers.register_worker(
        archive.engine, worker_id, host="test", pid=os.getpid(), profile="p", run_id=None
    )


# -- the claiming loop's waits ----------------------------------------------------------------


def test_a_waiting_worker_wakes_when_it_offers_pages() -> None:
    """A worker that drained the queue claims again as soon as it queues new links, not at its
    next look; with nothing offered it waits its time out."""
    frontier_ = WorkerFrontier.__new__(WorkerFrontier)  # the waits need nothing else

    async def woken() -> float:
        frontier_._offered = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, frontier_._offered.set)
        started = time.monotonic()
        await frontier_._wait(60.0)
        return time.monotonic() - started

    async def not_woken() -> float:
        frontier_._offered = asyncio.Event()
        started = time.monotonic()
        await frontier_._wait(0.2)
        return time.monotonic() - started

    assert asyncio.run(woken()) < 30.0
    assert asyncio.run(not_woken()) >= 0.15


# -- leases -------------------------------------------------------------------------------------


def test_claims_are_leased_and_come_back_when_the_lease_expires(pg_url: str) -> None:
    with Archive(pg_url) as archive:
        _queue(archive, 5)
        _register(archive, "a")
        _register(archive, "b")
        first = frontier.claim_pages(archive.engine, "p", "a", limit=3, lease_seconds=60)
        assert [p.url for p in first] == [f"http://news.example/a/{i}.html" for i in range(3)]
        # Leased pages are passed over: b gets the other two, then nothing.
        second = frontier.claim_pages(archive.engine, "p", "b", limit=10, lease_seconds=60)
        assert {p.url for p in second} == {f"http://news.example/a/{i}.html" for i in (3, 4)}
        assert frontier.claim_pages(archive.engine, "p", "b", limit=10, lease_seconds=60) == []
        # a's worker dies: its leases run out (moved into the past here), b takes its pages.
        with archive.engine.begin() as conn:
            conn.execute(
                update(Page)
                .where(Page.claimed_by == "a")
                .values(lease_expires_at=datetime(2020, 1, 1, tzinfo=UTC))
            )
        taken = frontier.claim_pages(archive.engine, "p", "b", limit=10, lease_seconds=60)
        assert {p.url for p in taken} == {p.url for p in first}
        listed = {w.id: w for w in workers.list_workers(archive.engine)}
        assert (listed["a"].pages_claimed, listed["b"].pages_claimed) == (3, 5)
        assert (listed["a"].holding, listed["b"].holding) == (0, 5)


def test_heartbeat_renews_held_leases_and_forgets_handled_pages(pg_url: str) -> None:
    with Archive(pg_url) as archive:
        _queue(archive, 3)
        _register(archive, "a")
        pages = frontier.claim_pages(archive.engine, "p", "a", limit=3, lease_seconds=1)
        archive.record_fetch(pages[0].url, kind="article", status=200, fetched_at=datetime.now(UTC))
        held = workers.heartbeat(
            archive.engine,
            "a",
            {p.id for p in pages},
            lease_seconds=300,
            state="crawling",
            pages_done=1,
            current_url=pages[0].url,
        )
        assert held == {p.id for p in pages[1:]}  # the handled page's lease ended with it
        with archive.engine.connect() as conn:
            rows = conn.execute(
                select(Page.url, Page.claimed_by, Page.lease_expires_at).order_by(Page.id)
            ).all()
        assert rows[0].claimed_by is None
        assert rows[0].lease_expires_at is None
        now = datetime.now(UTC)
        assert all((r.lease_expires_at - now).total_seconds() > 200 for r in rows[1:])
        # A clean stop gives the pages back at once.
        assert workers.stop_worker(archive.engine, "a", pages_done=1) == 2
        again = frontier.claim_pages(archive.engine, "p", "b", limit=10, lease_seconds=60)
        assert [p.url for p in again] == [p.url for p in pages[1:]]


def test_two_concurrent_claimers_never_get_the_same_page(pg_url: str) -> None:
    with Archive(pg_url) as archive:
        _queue(archive, 400)
        claimed: dict[str, list[str]] = {"a": [], "b": [], "c": []}
        start = threading.Barrier(len(claimed))

        def claim(worker_id: str) -> None:
            start.wait()
            while True:
                pages = frontier.claim_pages(
                    archive.engine, "p", worker_id, limit=3, lease_seconds=60
                )
                if not pages:
                    return
                claimed[worker_id] += [p.url for p in pages]

        threads = [threading.Thread(target=claim, args=(w,)) for w in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    every = [url for urls in claimed.values() for url in urls]
    assert len(every) == len(set(every)) == 400
    assert all(claimed.values()), "each claimer should have got pages"


def test_offered_pages_are_queued_once_per_crawl(pg_url: str) -> None:
    with Archive(pg_url) as archive:
        joined = workers.join_crawl(
            archive.engine, "p", "a", [("http://news.example/", "listing", 0)], run_id=None
        )
        assert joined.seeded
        # A second worker joins the crawl in progress; it seeds nothing.
        assert not workers.join_crawl(archive.engine, "p", "b", [], run_id=None).seeded
        (page,) = frontier.claim_pages(archive.engine, "p", "a", limit=5, lease_seconds=60)
        archive.record_fetch(page.url, kind="listing", status=200, fetched_at=datetime.now(UTC))
        # b finds the listing's link again: fetched in this crawl already, not queued again.
        entry = [(page.url, "listing", 0)]
        offer = {"profile": "p", "run_id": None, "since": joined.started_at}
        assert frontier.offer_pages(archive.engine, entry, **offer) == 0
        new = [("http://news.example/n", "other", 1)]
        assert frontier.offer_pages(archive.engine, new, **offer) == 1
        assert not workers.finish_crawl(archive.engine, "p")  # a page is pending: not over
        archive.record_fetch(new[0][0], kind="other", status=200, fetched_at=datetime.now(UTC))
        assert workers.finish_crawl(archive.engine, "p")
        # The next crawl seeds it again.
        later = workers.join_crawl(archive.engine, "p", "b", entry, run_id=None)
        assert later.seeded
        assert frontier.queue_state(archive.engine, "p").pending == 1


def test_worker_refuses_sqlite_in_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('[[profiles]]\nname = "p"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    result = CliRunner().invoke(
        main, ["worker", "--profiles", str(profile), "--db", f"sqlite:///{tmp_path / 'a.db'}"]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "needs a PostgreSQL archive" in result.output


# -- the per-host budget ------------------------------------------------------------------------


async def _hammer(budget: Any, requests: int, holders: int) -> list[tuple[float, float]]:
    """``holders`` concurrent clients send ``requests`` each through ``budget``; returns every
    request's (start, end) on one clock."""
    spans: list[tuple[float, float]] = []

    async def client(number: int) -> None:
        for i in range(requests):
            holder = f"h{number}-{i}"
            while (wait := await budget.acquire("news.example", holder)) != 0:
                await asyncio.sleep(0.005 if wait is None else wait)
            started = time.monotonic()
            await asyncio.sleep(0.03)  # the download
            spans.append((started, time.monotonic()))
            await budget.release("news.example", holder)

    await asyncio.gather(*(client(n) for n in range(holders)))
    await budget.close()
    return sorted(spans)


def _check_budget(spans: list[tuple[float, float]], concurrency: int, delay: float) -> None:
    starts = [s for s, _ in spans]
    # Starts are granted on the budget's clock and read here when the client resumes: a
    # loaded machine may resume one late, which shortens the gap after it, not a longer span.
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= delay * 0.5, f"two starts {min(gaps):.3f} s apart (delay {delay})"
    spans3 = [b - a for a, b in zip(starts, starts[2:], strict=False)]
    assert min(spans3) >= 2 * delay * 0.8, f"3 starts in {min(spans3):.3f} s (delay {delay})"
    for start, _ in spans:
        in_flight = sum(1 for s, e in spans if s <= start < e)
        assert in_flight <= concurrency


def test_redis_budget_holds_concurrency_and_delay(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    budget = RedisHostBudget(url, prefix=prefix, concurrency=2, delay=0.05, ttl=30)
    spans = asyncio.run(_hammer(budget, requests=6, holders=4))
    assert len(spans) == 24
    _check_budget(spans, concurrency=2, delay=0.05)


def test_postgresql_budget_holds_concurrency_and_delay(pg_url: str) -> None:
    with Archive(pg_url) as archive:
        budget = ArchiveHostBudget(archive.engine, concurrency=2, delay=0.05, ttl=30)
        spans = asyncio.run(_hammer(budget, requests=5, holders=3))
        assert len(spans) == 15
        _check_budget(spans, concurrency=2, delay=0.05)
        workers.clear_host_slots(archive.engine)


def test_a_dead_holders_slot_is_freed_after_its_ttl(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix

    async def scenario() -> tuple[float | None, float | None]:
        budget = RedisHostBudget(url, prefix=prefix, concurrency=1, delay=0, ttl=0.2)
        await budget.acquire("news.example", "killed")  # never released
        blocked = await budget.acquire("news.example", "next")
        await asyncio.sleep(0.4)
        freed = await budget.acquire("news.example", "next")
        await budget.close()
        return blocked, freed

    blocked, freed = asyncio.run(scenario())
    assert blocked is None
    assert freed == 0


# -- worker processes ---------------------------------------------------------------------------


class _TimedHandler(testsite._Handler):
    """Records when each request reached the server, and from which worker."""

    times: list[tuple[float, str, str]]

    def do_GET(self) -> None:
        self.times.append((time.monotonic(), self.path, self.headers.get("User-Agent", "")))
        super().do_GET()


def _serve(site: SyntheticSite) -> tuple[SyntheticServer, list[tuple[float, str, str]]]:
    server = SyntheticServer(site)
    times: list[tuple[float, str, str]] = []
    server.httpd.RequestHandlerClass = type(
        "Timed", (_TimedHandler,), {"site": site, "times": times}
    )
    return server, times


def _profile(path: Path, start_url: str, *, concurrency: int, delay: float = 0.0) -> Path:
    path.write_text(
        "[[profiles]]\n"
        'name = "synthetic"\n'
        f'start_urls = ["{start_url}"]\n'
        "recheck_after_days = 7\n"
        "[profiles.politeness]\n"
        "autothrottle = false\n"
        f"concurrency_per_host = {concurrency}\n"
        f"download_delay = {delay}\n",
        encoding="utf-8",
    )
    return path


def _worker(profile: Path, db_url: str, name: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "worker",
            "--profiles",
            str(profile),
            "--db",
            db_url,
            "--id",
            name,
            "--warc-dir",
            str(tmp / f"warc-{name}"),
            "-s",
            "NEWSARCHIVE_PROGRESS_INTERVAL=0",
            "-s",
            "NEWSARCHIVE_EXTRACT_WORKERS=1",
            "-s",
            f"USER_AGENT=test-{name}",
            *extra,
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _archive(pg_database: Callable[[], str]) -> str:
    """A fresh archive, created before the workers start (as deploy.md says: two workers
    creating the schema of an empty database at once would collide)."""
    url = pg_database()
    Archive(url).close()
    return url


def _finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def _articles(db_url: str) -> tuple[list[tuple[str, str]], int]:
    """(url, content hash) of every article, and how many revisions are stored."""
    with Archive(db_url, create=False) as archive:
        pairs = sorted((a.url, a.content_hash) for a in archive.iter_articles())
        with archive.engine.connect() as conn:
            revisions = conn.execute(select(func.count()).select_from(ArticleRevision)).scalar()
    return pairs, int(revisions or 0)


@pytest.mark.crawl
def test_two_workers_never_fetch_a_host_faster_than_one(
    tmp_path: Path, pg_database: Callable[[], str], redis_prefix: tuple[str, str]
) -> None:
    redis_url, prefix = redis_prefix
    delay = 0.25
    site = SyntheticSite(articles=16, per_page=8, advertise_sitemap=False)
    server, times = _serve(site)
    db_url = _archive(pg_database)
    with server:
        profile = _profile(tmp_path / "p.toml", server.start_url, concurrency=1, delay=delay)
        redis = ("--redis", redis_url, "-s", f"NEWSARCHIVE_REDIS_PREFIX={prefix}")
        # Few pages held at a time, so that both workers get some of this small site.
        redis += ("-s", "NEWSARCHIVE_CLAIM_SIZE=1", "-s", "CONCURRENT_REQUESTS=2")
        procs = [_worker(profile, db_url, name, tmp_path, *redis) for name in ("a", "b")]
        for proc in procs:
            _finish(proc)
    pages = [(t, path, agent) for t, path, agent in times if path != "/robots.txt"]
    assert {agent for _, _, agent in pages} == {"test-a", "test-b"}, "both workers fetched"
    starts = sorted(t for t, _, _ in pages)
    # One start per delay across both workers. The server sees a request a little after the
    # budget granted it, later still on a loaded machine, so one gap may shrink by that lag;
    # a span of four starts may not: two workers each keeping only its own pace would make
    # it half as long (3 × delay / 2).
    spans = [b - a for a, b in zip(starts, starts[3:], strict=False)]
    assert min(spans) >= 3 * delay * 0.8, f"4 starts in {min(spans):.3f} s: {sorted(times)}"
    assert starts[-1] - starts[0] >= (len(starts) - 1) * delay * 0.9
    pairs, revisions = _articles(db_url)
    assert len(pairs) == 16
    assert revisions == 16
    result = CliRunner().invoke(main, ["workers", "--db", db_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["worker", "host", "pid", "profile", "state"]
    assert {line.split()[0] for line in lines[1:]} == {"a", "b"}
    assert all(" stopped " in line for line in lines[1:])


@pytest.mark.crawl
def test_a_worker_killed_mid_crawl_loses_and_duplicates_nothing(
    tmp_path: Path, pg_database: Callable[[], str]
) -> None:
    site = SyntheticSite(articles=60, per_page=15, delay=0.05)
    server, _times = _serve(site)
    lease = ("--lease", "3")
    with server:
        profile = _profile(tmp_path / "p.toml", server.start_url, concurrency=4)
        alone = _archive(pg_database)
        _finish(_worker(profile, alone, "alone", tmp_path, *lease))
        shared = _archive(pg_database)
        killed = _worker(profile, shared, "killed", tmp_path, *lease)
        survivor = _worker(profile, shared, "survivor", tmp_path, *lease)
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and stored < 15:
            time.sleep(0.2)
            try:
                with Archive(shared, create=False) as archive:
                    stored = archive.count_articles()
            except Exception:  # the schema may not be there yet
                continue
        with Archive(shared, create=False) as archive:
            held = {w.id: w.holding for w in workers.list_workers(archive.engine)}
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        assert 15 <= stored < 60, "the crawl should have been killed mid-way"
        _finish(survivor)
    assert _articles(shared) == _articles(alone)
    pairs, revisions = _articles(shared)
    assert len(pairs) == 60  # every article
    assert revisions == 60  # each stored once
    with Archive(shared, create=False) as archive:
        state = frontier.queue_state(archive.engine, "synthetic")
        runs = {r.status for r in archive.list_runs()}
    assert state.pending == 0
    # The survivor's run finished; the killed worker's was marked interrupted when the
    # survivor ended the crawl (silent for two leases by then).
    assert runs == {"finished", "interrupted"}
    del held
