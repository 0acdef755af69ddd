"""One crawl, N workers: the benchmark site crawled by 1 and by 2 ``newsarchive worker``
processes into one PostgreSQL archive, and what coordinating them costs.

    python3 benchmarks/workers.py [--articles 300] [--rounds 2] [--no-redis] [--pin]

Generates the site of ``benchsite.py`` (as ``benchmarks/crawl.py`` does), serves it on
127.0.0.1, and per round crawls it, each time into a fresh PostgreSQL database:

- **crawl**: ``newsarchive crawl`` of the same profile (one process, no coordination), the
  reference for what one worker costs beyond it;
- **1 worker** and **2 workers**: ``newsarchive worker`` processes started together, the
  per-host politeness budget in Redis (``--no-redis``: in PostgreSQL).

Every process gets ``cores / processes`` extraction workers, so each side uses the machine's
cores, no more. With ``--pin``, every process instead gets one extraction worker and is held
to a core of its own (``sched_setaffinity``, inherited by its threads and its pool): one
worker, one core, as when each worker runs on a machine of its own; the local servers are
not pinned. It prints articles/s (wall time from the first process's start to the last
one's end, start-up included), the speed-up of 2 workers over 1 (medians; on 2 cores the
ceiling is about 2x, less what the start-up costs twice), and from the workers' run
statistics the coordination round trips per page (claims, heartbeats, queue checks, host
slots taken and given back) and the milliseconds per page spent in them: that is the cost
that stays per page when the workers are on many machines. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/incremental.py would shadow Twisted's `incremental`, which Scrapy imports: the
# benchmarks folder joins the path only after crawler.distributed is imported.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from crawler.distributed import ArchiveHostBudget, RedisHostBudget  # noqa: E402

sys.path.insert(0, str(HERE))

from benchsite import StaticServer, generate_site  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from archive.store import Archive  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
PG_ADMIN = os.environ.get(
    "NEWSARCHIVE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("NEWSARCHIVE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
COMMON = ["-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0", "-s", "TELNETCONSOLE_ENABLED=False"]
COMMON += ["--log-level", "ERROR"]


@dataclass(slots=True)
class Result:
    seconds: float
    articles: int
    pages: int
    calls: int
    #: Seconds in the frontier's coordination calls (claims, heartbeats, queue checks: each a
    #: transaction on the reactor's thread, timed as such).
    coordination_seconds: float
    #: Host slots taken and given back (awaited; their cost is measured apart).
    politeness_calls: int = 0
    #: CPU seconds of the crawl's processes (theirs and their extraction workers'): near
    #: cores x seconds, the machine, not coordination, is what limits the speed-up.
    cpu_seconds: float = 0.0
    #: Calls per kind (claim, heartbeat, queue, ...), summed over the processes.
    kinds: dict[str, int] = field(default_factory=dict)
    #: CPU seconds of the local PostgreSQL, Redis and nginx meanwhile (:func:`servers_cpu`):
    #: on a machine that also runs them, crawlers plus servers near cores x seconds means
    #: the machine is full.
    server_seconds: float = 0.0
    #: CPU seconds of the extraction pools' processes, from the runs' statistics
    #: (``newsarchive/cpu_seconds/extract``, ``links``, ``prepare``): rusage does not reach them.
    pool_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def _profile(path: Path, start_urls: list[str]) -> Path:
    urls = ", ".join(f'"{u}"' for u in start_urls)
    path.write_text(
        "[[profiles]]\n"
        'name = "bench"\n'
        f"start_urls = [{urls}]\n"
        "recheck_after_days = 7\n"
        "[profiles.politeness]\n"
        "autothrottle = false\n"
        "concurrency_per_host = 16\n",
        encoding="utf-8",
    )
    return path


#: The servers the crawl leans on, whose CPU the crawl's own rusage does not count.
_SERVERS = ("postgres", "redis-server", "nginx")


def servers_cpu() -> float:
    """CPU seconds the local PostgreSQL, Redis and nginx processes have used so far, read from
    /proc (Linux): each process's own time plus that of its children already waited for, so
    that PostgreSQL backends which have exited are counted in their postmaster. 0 elsewhere."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            data = stat.read_text()
        except OSError:
            continue
        name = data[data.find("(") + 1 : data.rfind(")")]
        if name.startswith(_SERVERS):
            fields = data[data.rfind(")") + 2 :].split()
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return total / tick


def _database(admin: object) -> str:
    name = f"newsarchive_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    Archive(url).close()  # the schema, before the workers start
    return url


def crawl(
    kind: str,
    processes: int,
    profile: Path,
    db_url: str,
    work: Path,
    redis: bool,
    pin: bool = False,
) -> Result:
    cores = os.cpu_count() or 1
    extract = "1" if pin else str(max(1, cores // processes))
    commands = []
    for number in range(processes):
        common = [*COMMON, "-s", f"NEWSARCHIVE_EXTRACT_WORKERS={extract}"]
        common += ["--warc-dir", str(work / f"warc-{number}")]
        if kind == "crawl":
            command = ["crawl", "--profiles", str(profile), "--db", db_url, *common]
        else:
            command = ["worker", "--profiles", str(profile), "--db", db_url, "--id", f"w{number}"]
            command += common + (["--redis", REDIS] if redis else [])
        commands.append([sys.executable, "-m", "newsarchive", *command])
    env = {**ENV, "NEWSARCHIVE_LOCK_DIR": str(work)}
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers_before = servers_cpu()
    procs = [
        subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    if pin:  # at once, before the child starts its threads and processes, which inherit it
        for number, proc in enumerate(procs):
            os.sched_setaffinity(proc.pid, {number % cores})
    for proc in procs:
        _out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"{kind} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    servers = servers_cpu() - servers_before
    with Archive(db_url, create=False) as archive:
        articles = archive.count_articles()
        runs = archive.list_runs()
    pages = sum(int(r.stats.get("newsarchive/pages_fetched", 0)) for r in runs)
    polite = sum(int(r.stats.get("newsarchive/coordination/politeness/calls", 0)) for r in runs)
    calls = sum(int(r.stats.get("newsarchive/coordination/calls", 0)) for r in runs)
    coordination = sum(float(r.stats.get("newsarchive/coordination/seconds", 0)) for r in runs)
    coordination -= sum(
        float(r.stats.get("newsarchive/coordination/politeness/seconds", 0)) for r in runs
    )
    kinds: dict[str, int] = {}
    for run in runs:
        for key, value in run.stats.items():
            parts = key.split("/")
            if (
                len(parts) == 4
                and parts[:2] == ["newsarchive", "coordination"]
                and parts[3] == "calls"
            ):
                kinds[parts[2]] = kinds.get(parts[2], 0) + int(value)
    pool = sum(
        float(r.stats.get(f"newsarchive/cpu_seconds/{key}", 0))
        for r in runs
        for key in ("extract", "links", "prepare")
    )
    return Result(seconds, articles, pages, calls, coordination, polite, cpu, kinds, servers, pool)


def budget_latency(redis: bool, db_url: str, calls: int = 300) -> float:
    """Milliseconds one politeness call (take or give back a host slot) costs on its own, on a
    quiet event loop: the crawl's wall time of these awaits also counts the loop's other work."""
    import asyncio

    async def run() -> float:
        budget: ArchiveHostBudget | RedisHostBudget
        if redis:
            prefix = f"newsarchive-bench-{uuid.uuid4().hex[:8]}:"
            budget = RedisHostBudget(REDIS, prefix=prefix, concurrency=10**6, delay=0, ttl=60)
        else:
            engine = create_engine(db_url)
            budget = ArchiveHostBudget(engine, concurrency=10**6, delay=0, ttl=60)
        started = time.perf_counter()
        for i in range(calls // 2):
            await budget.acquire("bench.example", f"h{i}")
            await budget.release("bench.example", f"h{i}")
        seconds = time.perf_counter() - started
        if redis:
            keys = [k async for k in budget.client.scan_iter(match=f"{prefix}*")]
            if keys:
                await budget.client.delete(*keys)
        await budget.close()
        return seconds * 1000 / calls

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-redis", action="store_true", help="politeness in PostgreSQL")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="one core a process (its extraction pool one worker, on that core): one machine"
        " of one core per worker, as when workers are added on machines of their own",
    )
    args = parser.parse_args()
    if args.pin and not hasattr(os, "sched_setaffinity"):
        parser.error("--pin needs os.sched_setaffinity (Linux)")
    redis = not args.no_redis
    sides = [("crawl", 1), ("worker", 1), ("worker", 2)]
    if os.environ.get("BENCH_SIDES"):
        sides = [s for s in sides if f"{s[0]}{s[1]}" in os.environ["BENCH_SIDES"].split(",")]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    results: dict[str, list[Result]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="newsarchive-workers-") as tmp:
            tmp_path = Path(tmp)
            tmp_path.chmod(0o755)  # nginx's workers run as an unprivileged user
            site = generate_site(tmp_path / "site", args.articles)
            (tmp_path / "server").mkdir()
            with StaticServer(site.root, tmp_path / "server") as server:
                urls = [server.base_url + path for path in site.start_paths]
                profile = _profile(tmp_path / "profile.toml", urls)
                print(
                    f"site: {site.articles} articles, served by {server.name}; "
                    f"{os.cpu_count()} cores; politeness budget in "
                    f"{'Redis' if redis else 'PostgreSQL'}"
                    + ("; each process pinned to a core of its own" if args.pin else "")
                )
                for number in range(args.rounds):
                    order = sides if number % 2 == 0 else list(reversed(sides))
                    for kind, processes in order:
                        label = "crawl" if kind == "crawl" else f"{processes} worker(s)"
                        db_url = _database(admin)
                        made.append(db_url.rsplit("/", 1)[1])
                        work = tmp_path / f"{kind}-{processes}-{number}"
                        work.mkdir()
                        result = crawl(kind, processes, profile, db_url, work, redis, args.pin)
                        results.setdefault(label, []).append(result)
                        busy = (
                            result.cpu_seconds + result.pool_seconds + result.server_seconds
                        ) / result.seconds
                        print(
                            f"round {number + 1} {label:>12}: {result.articles} articles in "
                            f"{result.seconds:6.1f} s = {result.rate:6.1f} articles/s; "
                            f"{result.pages} pages; CPU {result.cpu_seconds:5.1f} s + "
                            f"extraction pools {result.pool_seconds:5.1f} s + servers "
                            f"{result.server_seconds:4.1f} s = {busy:.2f} cores busy; "
                            f"load {os.getloadavg()[0]:.1f}",
                            flush=True,
                        )
                db_url = _database(admin)
                made.append(db_url.rsplit("/", 1)[1])
                latency = budget_latency(redis, db_url)
        report(results, latency)
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def report(results: dict[str, list[Result]], latency: float) -> None:
    def median(label: str) -> float:
        return statistics.median(r.rate for r in results[label])

    print("\nmedians:")
    for label in results:
        print(f"  {label:>12}: {median(label):6.1f} articles/s")
    if "1 worker(s)" in results and "2 worker(s)" in results:
        one, two = median("1 worker(s)"), median("2 worker(s)")
        print(f"speed-up, 2 workers over 1: {two / one:.2f}x")
        if "crawl" in results:
            crawl_rate = median("crawl")
            print(f"1 worker against newsarchive crawl (no coordination): {one / crawl_rate:.2f}x")
    print(f"\ncoordination per page (one politeness call alone: {latency:.2f} ms):")
    for label, runs in results.items():
        if label == "crawl":
            continue
        pages = max(sum(r.pages for r in runs), 1)
        frontier_calls = sum(r.calls - r.politeness_calls for r in runs) / pages
        frontier_ms = sum(r.coordination_seconds for r in runs) * 1000 / pages
        polite = sum(r.politeness_calls for r in runs) / pages
        print(
            f"  {label:>12}: {frontier_calls + polite:.2f} round trips a page"
            f" (frontier {frontier_calls:.2f}, politeness {polite:.2f});"
            f" {frontier_ms + polite * latency:.2f} ms a page"
            f" (frontier {frontier_ms:.2f} timed, politeness {polite * latency:.2f})"
        )
        kinds: dict[str, int] = {}
        for run in runs:
            for kind, calls in run.kinds.items():
                kinds[kind] = kinds.get(kind, 0) + calls
        print(
            " " * 16
            + ", ".join(f"{kind} {calls / pages:.2f}" for kind, calls in sorted(kinds.items()))
        )


if __name__ == "__main__":
    main()
