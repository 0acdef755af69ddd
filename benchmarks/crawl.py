"""End-to-end crawl benchmark: newsarchive against a minimal Scrapy + trafilatura spider.

    python3 benchmarks/crawl.py [--articles 1200] [--rounds 3] [--workers auto] [--no-in-process]
                                [--corpus ../shared/eval/dev]

Generates a local news site (``benchsite.py``: ``--articles`` article pages of 48-91 KB in
Chinese and English, with listings), serves it on 127.0.0.1 with nginx when installed (else
Python's threaded ``http.server``), and crawls it end to end, in interleaved rounds, with:

- **newsarchive**: ``newsarchive crawl`` into a fresh SQLite archive (WARC files, frontier,
  revisions, search index), extraction in the worker pool (``--workers``);
- **baseline**: ``baseline_spider.py``, a minimal spider that calls
  ``trafilatura.bare_extraction`` on each article page and stores it in SQLite;
- **in-process** (unless ``--no-in-process``): newsarchive with
  ``NEWSARCHIVE_EXTRACT_WORKERS=0``, extraction on the reactor thread as before the pool.

With ``--corpus DIR``, the site is made of real pages instead (``benchsite.corpus_site``: the
corpus's pages served as often as ``--articles`` takes, each copy a distinct article, links
made absolute so that they lead off the site, served with no charset declared).

Both crawl with the same politeness settings (robots.txt obeyed, AutoThrottle off, 16 requests
at once). Each crawl is a subprocess timed whole, start-up included. It prints the medians of
articles/s, the ratio newsarchive / baseline (of the medians, and the median of each round's
ratio), what of newsarchive's first round was not stored as an article of its own (copies of
another article, listings, galleries, pages with no title...: the baseline stores every page
it gets text from), CPU per page, and where a page's CPU time goes by stage: the crawl's own
CPU timers (frontier and WARC on the reactor thread; the archive write and, on SQLite, the
frontier's writes on the writer thread; extraction and links in the workers), split further
by the shares of a cProfile of one more crawl's reactor and writer threads and by timers
around the extraction's steps on a sample of the site's pages.

The machine is shared and noisy: read the ratios, measured within each round. Nothing here is
asserted.
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from benchsite import StaticServer, corpus_site, generate_site  # noqa: E402

from archive.store import Archive  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
COMMON = {
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ROBOTSTXT_OBEY": "True",
    "TELNETCONSOLE_ENABLED": "False",
}


@dataclass(slots=True)
class Run:
    seconds: float
    articles: int
    pages: int
    cpu_seconds: float  # the crawl's process, whole (rusage), start-up included
    stats: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def crawl_newsarchive(
    urls: list[str], work: Path, workers: str, extra: dict[str, str] | None = None
) -> Run:
    db = work / "newsarchive.db"
    settings = {**COMMON, "NEWSARCHIVE_PROGRESS_INTERVAL": "0"}
    settings["NEWSARCHIVE_EXTRACT_WORKERS"] = workers
    settings.update(extra or {})
    command = [sys.executable, "-m", "newsarchive", "crawl", *urls, "--db", f"sqlite:///{db}"]
    command += ["--log-level", "ERROR"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    seconds, cpu = _timed(command, ROOT)
    with Archive(f"sqlite:///{db}", create=False) as archive:
        stats = dict(archive.list_runs()[0].stats)
        articles = archive.count_articles()
    return Run(seconds, articles, int(stats.get("newsarchive/pages_fetched", 0)), cpu, stats)


def crawl_baseline(urls: list[str], work: Path) -> Run:
    db = work / "baseline.db"
    command = [sys.executable, "-m", "scrapy", "runspider", str(HERE / "baseline_spider.py")]
    command += ["-a", f"start_urls={','.join(urls)}", "-a", f"db={db}", "-s", "LOG_LEVEL=ERROR"]
    for key, value in COMMON.items():
        command += ["-s", f"{key}={value}"]
    # Run outside the repository, so that scrapy.cfg does not bring in the project's settings.
    seconds, cpu = _timed(command, work)
    with sqlite3.connect(db) as conn:
        (articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    return Run(seconds, articles, 0, cpu, {})


# -- the profile, by stage ---------------------------------------------------------------------

#: (path suffix, function name) of the functions whose cumulative time makes each stage.
_TIMED = [  # measured by the crawl's own CPU timers (crawler.state.StageClock)
    ("crawler/state.py", "decide"),
    ("crawler/state.py", "enqueue"),
    ("crawler/state.py", "page_done"),
    ("crawler/state.py", "write_warc"),
    ("archive/store.py", "upsert_article"),
]
_INDEX = [("archive/search.py", "index_prepared")]
_UPSERT = [("archive/store.py", "upsert_articles")]
_HANDOFF = [("crawler/pool.py", "_received"), ("crawler/pool.py", "_send")]
#: Our code's entry points on the reactor thread: what is not under them is Scrapy's.
_OURS = [
    ("crawler/spiders/news.py", "parse"),
    ("crawler/spiders/news.py", "parse_part"),
    ("crawler/spiders/news.py", "parse_feed"),
    ("crawler/spiders/news.py", "parse_sitemap"),
    ("crawler/spiders/news.py", "parse_robots"),
    ("crawler/spiders/news.py", "on_error"),
    ("crawler/spiders/news.py", "_on_response"),
    ("crawler/spiders/news.py", "_on_idle"),
    ("crawler/spiders/news.py", "start"),
    ("crawler/pipelines.py", "process_item"),
    ("crawler/pool.py", "_received"),
    ("crawler/extensions.py", "report"),
]
#: The extraction's steps, timed in this process on a sample of the site's pages (their
#: names in ``crawler.extraction.page``; when one is renamed, the split is not shown).
_EXTRACTION_STEPS = {"decode_html": "decode", "_parse": "parse", "_trafilatura": "trafilatura"}


def _cumulative(stats: pstats.Stats, functions: Iterable[tuple[str, str]]) -> float:
    wanted = list(functions)
    total = 0.0
    for (filename, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if any(filename.endswith(suffix) and name == fn for suffix, fn in wanted):
            total += row[3]
    return total


def _total(stats: pstats.Stats) -> float:
    return float(sum(row[2] for row in stats.stats.values()))  # type: ignore[attr-defined]


def _share(part: float, whole: float) -> float:
    return min(max(part / whole, 0.0), 1.0) if whole > 0 else 0.0


def extraction_shares(pages: list[tuple[str, bytes]]) -> dict[str, float] | None:
    """Shares of decode, parse and trafilatura in ``extract_page``'s CPU time on ``pages``.

    Timed here, with CPU timers wrapped around the extraction's own steps for the length of
    this measurement (no profiler: it would slow Python code more than lxml's C code).
    """
    import crawler.extraction.page as page_module
    from crawler.extraction import extract_page

    originals = {name: getattr(page_module, name, None) for name in _EXTRACTION_STEPS}
    if any(step is None for step in originals.values()):
        return None
    spent = dict.fromkeys(_EXTRACTION_STEPS.values(), 0.0)

    def timed(name: str, step: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return step(*args, **kwargs)
            finally:
                spent[_EXTRACTION_STEPS[name]] += time.process_time() - started

        return wrapper

    for url, body in pages[:5]:  # imports and caches
        extract_page(body, url)
    for name, step in originals.items():
        setattr(page_module, name, timed(name, step))
    try:
        started = time.process_time()
        for url, body in pages:
            extract_page(body, url)
        total = time.process_time() - started
    finally:
        for name, step in originals.items():
            setattr(page_module, name, step)
    return {key: seconds / total for key, seconds in spent.items()}


def stage_profile(
    folder: Path, run: Run, shares: dict[str, float] | None
) -> list[tuple[str, str, float]]:
    """(process, stage, ms per page) for ``run`` (an unprofiled crawl).

    The crawl measures its own stages with CPU timers (frontier, WARC, archive write, and in
    the workers extraction, links and the archive's derived values). The cProfile of another
    crawl's reactor thread (``folder``) splits the archive write into the write and the search
    index, and the rest of the thread into Scrapy's download handling, the hand-off to the
    workers and our callbacks (cProfile slows Python code more than C code, so its shares, not
    its times, are used, and only within one stage). ``shares`` splits the extraction
    (:func:`extraction_shares`).
    """
    pages = max(run.pages, 1)

    def ms(key: str) -> float:
        return 1000 * float(run.stats.get(f"newsarchive/cpu_seconds/{key}", 0)) / pages

    crawl_files = sorted(folder.glob("crawl-*.prof"))
    main = pstats.Stats(*map(str, crawl_files)) if crawl_files else None
    writer_files = sorted(folder.glob("writer-*.prof"))
    writer = pstats.Stats(*map(str, writer_files)) if writer_files else None
    index_share = _share(_cumulative(main, _INDEX), _cumulative(main, _UPSERT)) if main else 0
    if writer is not None:  # the batches are written on the writer thread
        index_share = _share(_cumulative(writer, _INDEX), _cumulative(writer, _UPSERT))
    in_writer = sum(
        float(v) for k, v in run.stats.items() if k.startswith("newsarchive/cpu_seconds/writer_")
    )
    rest = (
        ms("crawl") - ms("frontier") - ms("warc") - ms("archive_write") - 1000 * in_writer / pages
    )
    if main is not None:
        untimed = _total(main) - _cumulative(main, _TIMED)
        ours = _share(_cumulative(main, _OURS) - _cumulative(main, _TIMED), untimed)
        handoff = _share(_cumulative(main, _HANDOFF), untimed)
    else:
        ours = handoff = 0.0
    rows = [
        ("crawl", "download handling (Scrapy: engine, HTTP, middlewares)", rest * (1 - ours)),
        ("crawl", "frontier (pages table: decide, enqueue, done)", ms("frontier")),
        ("crawl", "WARC", ms("warc")),
        (
            "crawl",
            "archive write (article, revision, aliases)",
            ms("archive_write") * (1 - index_share),
        ),
        ("crawl", "search index", ms("archive_write") * index_share),
        ("crawl", "hand-off to workers (pickle, sockets)", rest * handoff),
        ("crawl", "our callbacks and items (scope, stats, items)", rest * (ours - handoff)),
        (
            "writer",
            "archive write (article, revision, aliases)",
            ms("writer_archive_write") * (1 - index_share),
        ),
        ("writer", "search index", ms("writer_archive_write") * index_share),
        ("writer", "frontier (enqueue, done)", ms("writer_frontier")),
    ]
    if shares is None:
        rows.append(("workers", "extraction (its steps not measured)", ms("extract")))
    else:
        decode = shares["decode"] + shares["parse"]
        rows += [
            ("workers", "decode and parse", ms("extract") * decode),
            ("workers", "trafilatura", ms("extract") * shares["trafilatura"]),
            ("workers", "our rules (classify, title, bylines, dates, cleaning)",
             ms("extract") * (1 - decode - shares["trafilatura"])),
        ]  # fmt: skip
    rows.append(("workers", "links, canonical link, split-article pages", ms("links")))
    rows.append(("workers", "the archive's derived values (prepare_text)", ms("prepare")))
    return rows


# -- the rounds ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="auto", help="NEWSARCHIVE_EXTRACT_WORKERS")
    parser.add_argument("--no-in-process", action="store_true", help="skip workers=0 crawls")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled crawl")
    parser.add_argument(
        "--corpus", type=Path, help="a folder of real pages (<id>.html, <id>.json) to serve"
    )
    args = parser.parse_args()
    contenders = ["newsarchive", "baseline"] + ([] if args.no_in_process else ["in-process"])
    with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as tmp:
        tmp_path = Path(tmp)
        tmp_path.chmod(0o755)  # nginx's workers run as an unprivileged user
        if args.corpus:
            site = corpus_site(tmp_path / "site", args.corpus, args.articles)
        else:
            site = generate_site(tmp_path / "site", args.articles)
        (tmp_path / "server").mkdir()
        charset = None if args.corpus else "utf-8"
        with StaticServer(site.root, tmp_path / "server", charset) as server:
            urls = [server.base_url + path for path in site.start_paths]
            print(
                f"site: {site.articles} articles ({site.article_bytes_mean / 1000:.0f} KB on "
                f"average), {site.listing_pages} listing pages, served by {server.name}; "
                f"{os.cpu_count()} cores; extraction workers: {args.workers}"
            )
            runs: dict[str, list[Run]] = {name: [] for name in contenders}
            for number in range(args.rounds):
                # Alternate the order, so that neither side always runs on a warmer machine.
                order = contenders if number % 2 == 0 else list(reversed(contenders))
                for name in order:
                    work = tmp_path / f"{name}-{number}"
                    work.mkdir()
                    if name == "baseline":
                        run = crawl_baseline(urls, work)
                    else:
                        workers = "0" if name == "in-process" else args.workers
                        run = crawl_newsarchive(urls, work, workers)
                    runs[name].append(run)
                    cpu = f"CPU {run.cpu_seconds:6.1f} s"
                    if name == "newsarchive":
                        cpu += f" + workers {_worker_cpu(run):.1f} s"
                    elif name == "in-process":
                        cpu += f" (extraction and links {_worker_cpu(run):.1f} s of it)"
                    print(
                        f"round {number + 1} {name:>11}: {run.articles} articles in "
                        f"{run.seconds:6.1f} s = {run.rate:6.1f} articles/s, {cpu}",
                        flush=True,
                    )
                    if number == 0 and name != "baseline":
                        print(f"{'':>19}{_not_stored(run)}", flush=True)
            report(runs, args.rounds)
            if not args.no_profile:
                folder = tmp_path / "profile"
                work = tmp_path / "profiled"
                work.mkdir()
                profiled = crawl_newsarchive(
                    urls, work, args.workers, {"NEWSARCHIVE_PROFILE_DIR": str(folder)}
                )
                del profiled
                sample = sorted(p for p in site.root.rglob("*.html") if "index" not in p.name)
                pages = [
                    (server.base_url + "/" + p.relative_to(site.root).as_posix(), p.read_bytes())
                    for p in sample[:: max(1, len(sample) // 150)]
                ]
                shares = extraction_shares(pages)
                print_stages(stage_profile(folder, runs["newsarchive"][-1], shares))


def _not_stored(run: Run) -> str:
    """What of the pages fetched did not become an article of its own, from the run's stats:
    copies of an article stored under another address, pages skipped (by reason: listings,
    galleries, no title, HTTP errors...)."""
    counts = {"copies": int(run.stats.get("newsarchive/articles/duplicate", 0))}
    for key, value in run.stats.items():
        if key.startswith("newsarchive/skipped/"):
            counts[key.rsplit("/", 1)[1]] = int(value)
    shown = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()) if n)
    return f"of {run.pages} pages fetched, not stored as articles of their own: {shown or 'none'}"


def _worker_cpu(run: Run) -> float:
    return sum(
        float(run.stats.get(f"newsarchive/cpu_seconds/{key}", 0)) for key in ("extract", "links")
    )


def report(runs: dict[str, list[Run]], rounds: int) -> None:
    medians = {name: statistics.median(r.rate for r in rs) for name, rs in runs.items()}
    print(f"\nmedians of {rounds} rounds (articles/s, whole process, start-up included):")
    for name, rate in medians.items():
        print(f"  {name:>11}: {rate:6.1f}")
    per_round = [
        ours.rate / base.rate
        for ours, base in zip(runs["newsarchive"], runs["baseline"], strict=True)
    ]
    print(
        f"newsarchive / baseline: {medians['newsarchive'] / medians['baseline']:.2f}x "
        f"(median of the rounds' ratios {statistics.median(per_round):.2f}x; "
        f"rounds: {', '.join(f'{r:.2f}' for r in per_round)})"
    )
    if "in-process" in runs:
        print(
            f"newsarchive / in-process (workers=0): "
            f"{medians['newsarchive'] / medians['in-process']:.2f}x"
        )
    ours = runs["newsarchive"][-1]
    pages = max(ours.pages, 1)
    base = runs["baseline"][-1]
    extract_cpu = _worker_cpu(ours)
    print(
        f"CPU per page (whole processes, {pages} pages): newsarchive "
        f"{1000 * (ours.cpu_seconds + extract_cpu) / pages:.1f} ms "
        f"(crawl process {1000 * ours.cpu_seconds / pages:.1f}, workers "
        f"{1000 * extract_cpu / pages:.1f}), baseline {1000 * base.cpu_seconds / pages:.1f} ms"
    )


def print_stages(rows: list[tuple[str, str, float]]) -> None:
    print(
        "\nwhere a page's CPU time goes, ms per page (the last unprofiled crawl's CPU timers,"
        "\nsplit further by the shares of a profiled crawl; 'crawl' is the reactor thread,"
        "\n'writer' the thread that writes the archive, 'workers' the extraction pool):"
    )
    for process, stage, ms in rows:
        print(f"  {process:>7}  {stage:<56} {ms:6.2f}")
    crawl = {stage: ms for process, stage, ms in rows if process == "crawl"}
    workers = {stage: ms for process, stage, ms in rows if process == "workers"}
    scrapy = next((ms for stage, ms in crawl.items() if stage.startswith("download")), 0.0)
    beyond = sum(crawl.values()) - scrapy
    links = next((ms for stage, ms in workers.items() if stage.startswith("links")), 0.0)
    write = sum(ms for stage, ms in crawl.items() if stage.startswith(("archive", "search")))
    writer = sum(ms for process, _stage, ms in rows if process == "writer")
    print(
        f"ours beyond extraction, on the reactor thread: {beyond:.2f} ms a page "
        f"(of which archive write and search index {write:.2f} ms); on the writer thread "
        f"{writer:.2f} ms; in the workers, links {links:.2f} ms"
    )


if __name__ == "__main__":
    main()
