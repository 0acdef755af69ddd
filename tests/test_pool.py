"""The extraction pool: worker processes that die, hang or raise, back-pressure, and crawls.

The pool's own tests drive :class:`crawler.pool.ExtractionPool` on an asyncio loop with a test
target (``tests.extract_hooks.echo``); the crawl tests run ``newsarchive crawl`` in a
subprocess through the Scrapy engine against a synthetic site on 127.0.0.1, with an extraction
function that crashes, exits or hangs on marked pages.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from archive.store import Archive
from crawler.pool import (
    ExtractionFailed,
    ExtractionPool,
    PoolBroken,
    PoolConfig,
    cores,
    describe_exit,
    parse_workers,
)
from newsarchive.testsite import SyntheticServer, SyntheticSite
from tests.extract_hooks import EXIT, HANG, SEGFAULT

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def echo_pool(workers: int = 2, timeout: float = 0.0, target: str = "echo") -> ExtractionPool:
    return ExtractionPool(
        PoolConfig(
            workers=workers, target=f"tests.extract_hooks.{target}", args=("!",), timeout=timeout
        )
    )


async def outcomes(pool: ExtractionPool, payloads: list[str]) -> list[Any]:
    await pool.start()
    try:
        return await asyncio.gather(*(pool.run(p) for p in payloads), return_exceptions=True)
    finally:
        await pool.close()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


# -- settings -------------------------------------------------------------------------------


def test_workers_setting() -> None:
    assert parse_workers("auto") == parse_workers("") == parse_workers(None) == cores() >= 1
    assert parse_workers("0") == 0
    assert parse_workers(3) == 3
    with pytest.raises(ValueError, match="NEWSARCHIVE_EXTRACT_WORKERS"):
        parse_workers("many")
    with pytest.raises(ValueError, match="≥ 0"):
        parse_workers("-1")


_PRESTART = """
import asyncio
from multiprocessing import forkserver
from crawler.pool import ExtractionPool, PoolConfig, prestart

prestart(0)
assert forkserver._forkserver._forkserver_pid is None, "prestart(0) started a fork server"
prestart(2)
started = forkserver._forkserver._forkserver_pid
assert started is not None, "prestart(2) started no fork server"

async def main():
    pool = ExtractionPool(PoolConfig(workers=2, target="tests.extract_hooks.echo", args=("!",)))
    await pool.start()
    try:
        return await asyncio.gather(pool.run("a"), pool.run("b"))
    finally:
        await pool.close()

got = asyncio.run(main())
assert forkserver._forkserver._forkserver_pid == started, "the pool started another server"
print(got)
"""


def test_prestart_starts_the_fork_server_the_pool_then_uses() -> None:
    """``newsarchive crawl`` starts the fork server (and its imports) before Scrapy's own
    start; the pool then forks its workers from that server, not from a second one."""
    out = subprocess.run(
        [sys.executable, "-c", _PRESTART],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "['a!', 'b!']"


def test_exit_descriptions() -> None:
    assert describe_exit(-11) == "was killed by SIGSEGV"
    assert describe_exit(3) == "exited with status 3"


# -- the pool ---------------------------------------------------------------------------------


def test_every_payload_comes_back_to_its_caller() -> None:
    payloads = [f"page{i}" for i in range(60)]
    assert run(outcomes(echo_pool(), payloads)) == [f"{p}!" for p in payloads]


def test_a_page_that_crashes_exits_or_raises_fails_alone() -> None:
    pool = echo_pool()
    results = run(outcomes(pool, ["a", "segfault", "b", "exit", "c", "raise", "d", "unpicklable"]))
    assert results[0::2] == ["a!", "b!", "c!", "d!"]
    crashed, exited, raised, unpicklable = results[1::2]
    assert isinstance(crashed, ExtractionFailed)
    assert "SIGSEGV" in str(crashed)
    assert isinstance(exited, ExtractionFailed)
    assert "exited with status 3" in str(exited)
    assert isinstance(raised, ExtractionFailed)
    assert "ValueError: a bad payload" in str(raised)
    assert isinstance(unpicklable, ExtractionFailed)
    assert "unpicklable" in str(unpicklable)
    assert pool.replaced == 2  # the two dead workers; raising is not dying


def test_pages_queued_behind_a_crash_are_never_blamed_for_it() -> None:
    """Every worker holds several pages; a crash resets its socket. Over many rounds, no good
    page is ever failed, and every crash page is."""
    payloads = [("segfault" if i % 2 else f"p{i}") for i in range(40)]
    results = run(outcomes(echo_pool(workers=2), payloads))
    for payload, result in zip(payloads, results, strict=True):
        if payload == "segfault":
            assert isinstance(result, ExtractionFailed), result
        else:
            assert result == f"{payload}!"


def test_a_hanging_page_is_killed_at_the_timeout_and_the_rest_goes_on() -> None:
    pool = echo_pool(workers=1, timeout=1.0)
    started = time.monotonic()
    results = run(outcomes(pool, ["hang", "after", "more"]))
    assert time.monotonic() - started < 15
    assert isinstance(results[0], ExtractionFailed)
    assert "longer than 1 s" in str(results[0])
    assert results[1:] == ["after!", "more!"]  # queued behind the hung page, not lost
    assert pool.replaced == 1


def test_the_replacement_is_a_new_process() -> None:
    async def scenario() -> tuple[int, int, int]:
        pool = echo_pool(workers=1)
        await pool.start()
        try:
            first = await pool.run("pid")
            with pytest.raises(ExtractionFailed):
                await pool.run("segfault")
            second = await pool.run("pid")
            return first, second, len(pool.pids)
        finally:
            await pool.close()

    first, second, live = run(scenario())
    assert first != second
    assert live == 1
    assert not alive(first)


def test_crashes_among_good_pages_under_a_busy_main_thread() -> None:
    """pebble's pool lost every queued task (BrokenProcessPool) in this very scenario."""
    busy = threading.Event()

    def spin() -> None:
        while not busy.is_set():
            sum(range(10_000))

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        payloads = ["segfault" if i % 3 == 0 else f"p{i}" for i in range(45)]
        results = run(outcomes(echo_pool(), payloads))
    finally:
        busy.set()
        spinner.join()
    for payload, result in zip(payloads, results, strict=True):
        if payload == "segfault":
            assert isinstance(result, ExtractionFailed)
            assert not isinstance(result, PoolBroken)
        else:
            assert result == f"{payload}!"


def test_workers_that_cannot_start_break_the_pool() -> None:
    async def scenario() -> BaseException | None:
        pool = echo_pool(target="no_such_function")
        await pool.start()
        try:
            await asyncio.wait_for(pool.run("x"), timeout=60)
        except ExtractionFailed as exc:
            return exc
        finally:
            await pool.close()
        return None

    error = run(scenario())
    assert isinstance(error, PoolBroken)
    assert "die as they start" in str(error)


def test_close_ends_every_worker() -> None:
    async def scenario() -> list[int]:
        pool = echo_pool()
        await pool.start()
        assert await pool.run("x") == "x!"
        pids = pool.pids
        await pool.close()
        with pytest.raises(ExtractionFailed, match="closed"):
            await pool.run("y")
        return pids

    pids = run(scenario())
    assert len(pids) == 2
    assert wait_gone(pids) == []


def test_workers_end_when_the_crawl_process_is_killed() -> None:
    """kill -9 of the crawl leaves no worker behind: each reads EOF on its socket and exits."""
    script = (
        "import asyncio, os, signal\n"
        "from crawler.pool import ExtractionPool, PoolConfig\n"
        "async def main():\n"
        "    pool = ExtractionPool(PoolConfig(2, 'tests.extract_hooks.echo'))\n"
        "    await pool.start()\n"
        "    await asyncio.gather(pool.run('a'), pool.run('b'))\n"
        "    print(' '.join(map(str, pool.pids)), flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "asyncio.run(main())\n"
    )
    # stdout to a file, not a pipe: a worker left behind would hold a pipe open, not a file.
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"pool-kill-{os.getpid()}.txt"
    with out.open("w") as stream:
        killed = subprocess.run(
            [sys.executable, "-c", script], stdout=stream, cwd=ROOT, timeout=120, check=False
        )
    pids = [int(p) for p in out.read_text().split()]
    out.unlink()
    assert killed.returncode == -9
    assert len(pids) == 2
    assert wait_gone(pids) == []


# -- crawls through the Scrapy engine ---------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("NEWSARCHIVE_EXTRACT_WORKERS=many", "expected auto or a whole number"),
        ("NEWSARCHIVE_EXTRACT_FUNCTION=no.such.function", "cannot use 'no.such.function'"),
    ],
)
def test_bad_extraction_settings_fail_in_one_line(
    tmp_path: Path, setting: str, message: str
) -> None:
    result = crawl("http://127.0.0.1:9/", f"sqlite:///{tmp_path / 'a.db'}", setting)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]


class MarkedSite(SyntheticSite):
    """A synthetic site whose chosen article pages carry a test marker."""

    def __init__(self, markers: dict[int, bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.markers = {self.article_paths()[i]: marker for i, marker in markers.items()}

    def page(self, path: str, host: str = "127.0.0.1") -> tuple[int, str, bytes, Any]:
        status, kind, body, modified = super().page(path, host)
        marker = self.markers.get(path)
        if marker is not None:
            body = body.replace(b"</body>", marker + b"</body>")
        return status, kind, body, modified


def crawl(start_url: str, db_url: str, *settings: str) -> subprocess.CompletedProcess[str]:
    args = [
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "NEWSARCHIVE_PROGRESS_INTERVAL=0",
        *[part for s in settings for part in ("-s", s)],
    ]
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", "crawl", start_url, "--db", db_url, *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env=ENV,
        check=False,
    )


def last_run_stats(db_url: str) -> dict[str, Any]:
    with Archive(db_url, create=False) as archive:
        return dict(archive.list_runs()[0].stats)


@pytest.mark.crawl
def test_crawl_goes_on_past_pages_that_kill_or_hang_their_worker(tmp_path: Path) -> None:
    site = MarkedSite({2: SEGFAULT, 5: HANG, 8: EXIT}, articles=14, per_page=20)
    bad = [site.article_paths()[i] for i in (2, 5, 8)]
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server:
        result = crawl(
            server.start_url,
            db_url,
            "NEWSARCHIVE_EXTRACT_FUNCTION=tests.extract_hooks.misbehaving_extract_page",
            "NEWSARCHIVE_EXTRACT_WORKERS=2",
            "NEWSARCHIVE_EXTRACT_TIMEOUT=3",
        )
        base = server.base_url
    assert result.returncode == 0, result.stderr
    with Archive(db_url, create=False) as archive:
        stored = {record.url for record in archive.iter_articles()}
        runs = archive.list_runs()
    expected = {f"{base}{path}" for path in site.article_paths()}
    assert stored == expected - {f"{base}{path}" for path in bad}
    assert runs[0].status == "finished"
    assert runs[0].stats["newsarchive/skipped/extract_failed"] == 3
    assert "extract_failed 3" in result.stdout
    for path, why in zip(bad, ["SIGSEGV", "longer than 3 s", "status 3"], strict=True):
        lines = [line for line in result.stderr.splitlines() if f"{base}{path}" in line]
        assert any("extract_failed" in line and why in line for line in lines), (path, lines)


@pytest.mark.crawl
def test_pages_waiting_for_extraction_stay_bounded(tmp_path: Path) -> None:
    """Extraction slower than downloads: Scrapy stops downloading once the responses waiting
    for extraction hold SCRAPER_SLOT_MAX_ACTIVE_SIZE bytes (each counted as at least 1 KB).

    A control crawl with no such limit shows that the stat would see far more waiting."""
    site = SyntheticSite(articles=90, per_page=100, paragraphs=2)
    slow = [
        "NEWSARCHIVE_EXTRACT_FUNCTION=tests.extract_hooks.slow_extract_page",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
        "CONCURRENT_REQUESTS=8",
        "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    ]
    max_active = 12_000
    with SyntheticServer(site) as server:
        bounded = crawl(
            server.start_url, f"sqlite:///{tmp_path / 'b.db'}", *slow,
            f"SCRAPER_SLOT_MAX_ACTIVE_SIZE={max_active}",
        )  # fmt: skip
        unbounded = crawl(
            server.start_url, f"sqlite:///{tmp_path / 'u.db'}", *slow,
            "SCRAPER_SLOT_MAX_ACTIVE_SIZE=1000000000",
        )  # fmt: skip
    assert bounded.returncode == 0, bounded.stderr
    assert unbounded.returncode == 0, unbounded.stderr
    stats = last_run_stats(f"sqlite:///{tmp_path / 'b.db'}")
    control = last_run_stats(f"sqlite:///{tmp_path / 'u.db'}")
    assert stats["newsarchive/articles/new"] == control["newsarchive/articles/new"] == 90
    # At most what fills the slot (the response that crosses the limit included), plus the
    # downloads already in flight when it filled.
    bound = max_active // 1024 + 1 + 8
    assert stats["newsarchive/extract/max_waiting"] <= bound, stats
    assert control["newsarchive/extract/max_waiting"] > bound, control


@pytest.mark.crawl
def test_in_process_extraction_archives_the_same(tmp_path: Path) -> None:
    site = SyntheticSite(articles=12, per_page=5)
    archives = {}
    with SyntheticServer(site) as server:
        for workers in ("0", "2"):
            db_url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
            result = crawl(server.start_url, db_url, f"NEWSARCHIVE_EXTRACT_WORKERS={workers}")
            assert result.returncode == 0, result.stderr
            with Archive(db_url, create=False) as archive:
                archives[workers] = sorted(
                    json.dumps(
                        {k: v for k, v in r.to_json_dict().items() if k != "fetched_at"},
                        ensure_ascii=False,
                        sort_keys=True,
                    )
                    for r in archive.iter_articles()
                )
            assert last_run_stats(db_url)["newsarchive/extract/workers"] == int(workers)
    assert len(archives["0"]) == 12
    assert archives["0"] == archives["2"]
