"""The crawl's write path: articles/s into SQLite and PostgreSQL, search index included, batched
against one article per transaction, measured in the same run.

    python3 benchmarks/writes.py [--articles 2000] [--rounds 3] [--batch 200]
                                 [--preload 5000] [--backends sqlite,postgresql] [--is-copy]
                                 [--writers 2] [--split]

Each backend gets a fresh archive, first loaded with ``--preload`` synthetic articles of
``benchmarks/scale.py`` (about 5 KB of text each, 80 % Chinese) so that its indexes are not
empty. Then, ``--rounds`` times, ``--articles`` new articles go through each path, the two paths
taking turns:

- **batched** (the crawl now): ``CrawlState.store_article`` for each article, as the archive
  pipeline calls it, with the derived values (text key, search strings, story fingerprint:
  ``archive/prepared.py``) that the crawl's extraction workers compute and carry with the
  record, and ``flush_articles`` at the end (what the pipeline does on close): a transaction
  per ``--batch`` articles, their frontier pages marked done in it. The workers' share,
  ``prepare_text`` of each article, is timed apart, before the round, and printed as ms an
  article: it is CPU the extraction pool spends, not the crawl's writer;
- **one by one** (the crawl before): ``Archive.upsert_article`` for each article (one
  transaction), then its page marked done (``CrawlState.page_done``, another one), as
  ``ArchivePipeline`` did.

With ``--is-copy``, both paths start, for each article, with what the spider asks of every
article page before it becomes an item (``CrawlState.is_copy``: its text key, remembered for
the write, and one indexed lookup): the crawl thread's work on an article from its parse to
its commit. With ``--writers N`` (N above 1, PostgreSQL only), each round has a third path,
**N writers**: N processes that each write ``--articles`` articles of their own by the
batched path (without ``--is-copy``), at the same time, into the same archive, as N workers
of a distributed crawl would (runs not exclusive); printed is their articles/s together,
from the first start to the last end, against the one batched writer of the same run. Every
path first queues its pages as ``pending`` (the spider does that when it requests them; not
timed), and writes no WARC record (the same cost for all). Printed: the median articles/s
of each path over the rounds and their ratios, and the CPU milliseconds this process spent
an article (on SQLite, all of the work; on PostgreSQL, the server's share is not in it): on
a shared machine whose load decides how much CPU a run gets, that figure varies less than
the rate. With ``--split``, each round also has the path **batched, no search index** (the
same batched write with the search index's statements and, on PostgreSQL, its merge left
out, in this process only: its articles are never searchable), and the batched path's wall
time is split by the table each statement writes or reads (``before_cursor_execute`` and
``after_cursor_execute`` events), the rest being Python and the commits (on SQLite, FTS5
writes its new segment and merges at the commit): where the write's time goes, and what the
index costs. Nothing is asserted: read the ratios.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import multiprocessing
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from scale import bench_database, generate
from sqlalchemy import Engine, event

import archive.articles
from archive.prepared import PreparedText, prepare_text
from archive.record import ArticleRecord
from archive.store import Archive, ArticleVersion, PageFetch
from crawler.state import CrawlState

HEADERS = {"etag": '"bench"', "last-modified": "Sat, 01 Jun 2024 08:00:00 GMT"}


def batched(
    state: CrawlState,
    records: list[ArticleRecord],
    prepared: list[PreparedText | None],
    is_copy: bool = False,
) -> None:
    for record, ready in zip(records, prepared, strict=True):
        if is_copy:  # the spider asks this of every article page
            state.is_copy(record, record.url, ready)
        state.store_article(
            record,
            PageFetch(url=record.url, status=200, fetched_at=record.fetched_at),
            aliases=(),
            urls=[record.url],
            status=200,
            headers=HEADERS,
            prepared=ready,
        )
    state.flush_articles()


def one_by_one(
    state: CrawlState,
    records: list[ArticleRecord],
    _prepared: list[PreparedText | None],
    is_copy: bool = False,
) -> None:
    for record in records:
        if is_copy:
            state.is_copy(record, record.url)
        result = state.archive.upsert_article(
            record,
            PageFetch(url=record.url, status=200, fetched_at=record.fetched_at),
            run_id=state.run_id,
            profile=state.profile,
        )
        state.page_done(
            record.url, kind="article", status=200, headers=HEADERS, article_id=result.article_id
        )


def no_index(
    state: CrawlState,
    records: list[ArticleRecord],
    prepared: list[PreparedText | None],
    is_copy: bool = False,
) -> None:
    """The batched path with the search index left out (``--split``): its statements and its
    merge replaced by no-ops for the path's duration, in this process only."""
    with (
        _swapped(archive.articles, "index_prepared", lambda *_a, **_k: 0),
        _swapped(archive.articles, "merge_pending_index", lambda *_a, **_k: False),
    ):
        batched(state, records, prepared, is_copy)


@contextlib.contextmanager
def _swapped(module: object, name: str, value: object) -> Iterator[None]:
    saved = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, saved)


_TABLE_RE = re.compile(r"\b(?:INTO|UPDATE|FROM)\s+(\w+)", re.IGNORECASE)


class StatementClock:
    """Wall seconds of the statements an engine runs, summed by the first table each names
    (``INSERT INTO t``, ``UPDATE t``, ``FROM t``), while :attr:`on`; thread-safe enough for
    one writer at a time (the start is kept on the connection)."""

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.seconds: collections.Counter[str] = collections.Counter()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: object, _cursor: object, *_rest: object) -> None:
        if self.on:
            conn.info["statement_began"] = time.perf_counter()  # type: ignore[attr-defined]

    def _after(self, conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        began = conn.info.pop("statement_began", None)  # type: ignore[attr-defined]
        if self.on and began is not None:
            match = _TABLE_RE.search(statement)
            table = match.group(1) if match else statement.split(None, 1)[0].lower()
            merge = statement.lstrip().upper().startswith("SELECT GIN_CLEAN_PENDING_LIST")
            if merge or table.startswith("article_fts") or table == "article_search":
                table = "search index"
            self.seconds[table] += time.perf_counter() - began


def writer_process(db_url: str, start: int, count: int, batch: int, pipe: Connection) -> None:
    """One of ``--writers`` processes: its own records, derived values and crawl state ready
    before the start, then the batched path timed (``time.monotonic``, one clock for all)."""
    archive = Archive(db_url)
    state = CrawlState(
        archive,
        profile="bench",
        start_urls=[],
        recheck_after=timedelta(days=1),
        write_batch=batch,
        write_interval=0,
        exclusive=False,  # beside the other writers' runs, as distributed crawl workers
    )
    records = list(generate(count, seed=100 + start, start=start))
    for record in records:
        record.fetched_at = datetime.now(UTC)
    state.enqueue((r.url, "article", 1) for r in records)
    prepared: list[PreparedText | None] = [prepare_text(r.title, r.text) for r in records]
    pipe.send("ready")
    pipe.recv()  # the start
    batched(state, records, prepared)
    pipe.send(time.monotonic())
    state.finish("finished", {}, {})
    archive.engine.dispose()


def concurrent_writers(db_url: str, writers: int, start: int, args: argparse.Namespace) -> float:
    """Articles/s of ``writers`` processes writing at once, first start to last end."""
    context = multiprocessing.get_context("spawn")  # no engine inherited from this process
    pipes, processes = [], []
    for number in range(writers):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=writer_process,
            args=(db_url, start + number * args.articles, args.articles, args.batch, theirs),
        )
        process.start()
        pipes.append(ours)
        processes.append(process)
    try:
        for pipe in pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("a writer process did not start")
        began = time.monotonic()
        for pipe in pipes:
            pipe.send("start")
        ended = max(float(pipe.recv()) for pipe in pipes)
    finally:
        for process in processes:
            process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError("a writer process failed")
    return writers * args.articles / (ended - began)


def bench_backend(db_url: str, args: argparse.Namespace) -> None:
    archive = Archive(db_url)
    if args.preload:
        started = time.perf_counter()
        archive.import_versions(
            (ArticleVersion(r, 1, []) for r in generate(args.preload, seed=3)), bulk=True
        )
        print(f"  preloaded {args.preload:,} articles in {time.perf_counter() - started:.0f} s")
    state = CrawlState(
        archive,
        profile="bench",
        start_urls=[],
        recheck_after=timedelta(days=1),
        write_batch=args.batch,
        write_interval=0,  # batches by size: the benchmark pushes as fast as it can
    )
    paths: dict[
        str, Callable[[CrawlState, list[ArticleRecord], list[PreparedText | None], bool], None]
    ] = {
        "batched": batched,
        "one by one": one_by_one,
    }
    if args.split:
        paths["batched, no search index"] = no_index
    clock = StatementClock(archive.engine)
    split_wall = 0.0
    rates: dict[str, list[float]] = {name: [] for name in paths}
    together = f"{args.writers} writers"
    if args.writers > 1:
        rates[together] = []
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    prepare_ms: list[float] = []
    start = args.preload
    for round_number in range(args.rounds):
        order = list(rates) if round_number % 2 == 0 else list(rates)[::-1]
        for name in order:
            if name == together:
                rate = concurrent_writers(db_url, args.writers, start, args)
                start += args.writers * args.articles
                rates[name].append(rate)
                print(f"  round {round_number + 1}, {name} at once: {rate:,.0f} articles/s in all")
                continue
            records = list(generate(args.articles, seed=100 + start, start=start))
            start += args.articles
            for record in records:
                record.fetched_at = datetime.now(UTC)
            state.enqueue((r.url, "article", 1) for r in records)
            prepared: list[PreparedText | None] = [None] * len(records)
            if name.startswith("batched"):  # what the extraction workers do, timed apart
                began_cpu = time.process_time()
                prepared = [prepare_text(r.title, r.text) for r in records]
                if name == "batched":
                    prepare_ms.append((time.process_time() - began_cpu) * 1000 / args.articles)
            clock.on = args.split and name == "batched"
            began, began_cpu = time.perf_counter(), time.process_time()
            paths[name](state, records, prepared, args.is_copy)
            seconds = time.perf_counter() - began
            if clock.on:
                split_wall += seconds
            clock.on = False
            cpu_ms = (time.process_time() - began_cpu) * 1000 / args.articles
            rates[name].append(args.articles / seconds)
            cpu[name].append(cpu_ms)
            print(
                f"  round {round_number + 1}, {name}: {args.articles / seconds:,.0f} articles/s,"
                f" {cpu_ms:.2f} ms of this process's CPU an article"
            )
    total = archive.count_articles()
    pending = len(archive.pending_pages("bench"))
    state.finish("finished", {}, {})
    ours, theirs = statistics.median(rates["batched"]), statistics.median(rates["one by one"])
    ours_cpu, theirs_cpu = statistics.median(cpu["batched"]), statistics.median(cpu["one by one"])
    print(
        f"  median of {args.rounds} rounds of {args.articles:,} articles"
        f" (archive of {total:,} at the end; pages left pending: {pending}):"
    )
    print(
        f"    batched (batches of {args.batch}), pages marked in the batch:"
        f" {ours:,.0f}/s, {ours_cpu:.2f} ms CPU an article"
    )
    print(
        f"      + in the extraction workers, the derived values (prepare_text):"
        f" {statistics.median(prepare_ms):.2f} ms CPU an article"
    )
    print(
        f"    one transaction per article, then one per page:"
        f"       {theirs:,.0f}/s, {theirs_cpu:.2f} ms CPU an article"
    )
    print(f"    ratio: {ours / theirs:.1f}x the rate, {theirs_cpu / ours_cpu:.1f}x less CPU")
    if args.split:
        bare = statistics.median(rates["batched, no search index"])
        bare_cpu = statistics.median(cpu["batched, no search index"])
        print(
            f"    batched, no search index: {bare:,.0f}/s, {bare_cpu:.2f} ms CPU an article:"
            f" the index costs {1000 / ours - 1000 / bare:.2f} ms of the batched write's"
            f" {1000 / ours:.2f} ms an article ({(1 - ours / bare) * 100:.0f} %)"
        )
        per_article = 1000 / (args.rounds * args.articles)
        print("    the batched write's wall time by table, ms an article (all rounds):")
        for table, spent in clock.seconds.most_common():
            if spent * per_article >= 0.005:
                print(f"      {table:<22} {spent * per_article:6.3f}")
        rest = split_wall - sum(clock.seconds.values())
        print(f"      {'Python and commits':<22} {rest * per_article:6.3f}")
        if db_url.startswith("sqlite"):
            print(
                "      (FTS5 writes the entries it gathered at the commit, or at the first"
                " statement after its inserts\n       that may change many rows, the pages'"
                " update: part of the index's cost is counted there)"
            )
    if args.writers > 1:
        both = statistics.median(rates[together])
        print(
            f"    {together} at once, batched, into this archive: {both:,.0f}/s together,"
            f" {both / ours:.2f}x one batched writer"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles per path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=200, help="NEWSARCHIVE_WRITE_BATCH")
    parser.add_argument("--preload", type=int, default=5000, help="articles loaded first")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--is-copy", action="store_true", help="time CrawlState.is_copy too, as the spider calls it"
    )
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes [a temp dir]")
    parser.add_argument(
        "--writers",
        type=int,
        default=1,
        help="above 1: also N batched writer processes at once (PostgreSQL only)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="also the batched path without the search index, and its time by table",
    )
    args = parser.parse_args()
    if args.writers > 1 and "sqlite" in args.backends:
        parser.error("--writers is for PostgreSQL: give --backends postgresql")
    # A benchmark stopped with kill still drops its PostgreSQL database (finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for backend in (b.strip() for b in args.backends.split(",") if b.strip()):
        print(f"== {backend}")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
                bench_backend(f"sqlite:///{Path(tmp) / 'writes.db'}", args)
        elif backend == "postgresql":
            with bench_database() as url:
                bench_backend(url, args)
        else:
            parser.error(f"unknown backend {backend!r}")


if __name__ == "__main__":
    main()
