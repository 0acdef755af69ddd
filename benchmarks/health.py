"""Extraction health benchmark: what counting costs a crawl, and what the report costs the CLI.

    python3 benchmarks/health.py [--repeats N] [--corpus ../shared/eval/dev] [--runs 10000]

1. **Counting**: every page of the bundled demo sites (and of ``--corpus`` when given) is
   extracted once; then, ``--repeats`` times, the pages are extracted again and, separately,
   fed to a :class:`crawler.health.HealthTally` the way a crawl feeds it (a response, the
   record, a known link). The medians per page and their ratio are printed: the tally's share
   of the work a crawl already does for each page.
2. **Report**: a temporary SQLite archive gets ``--runs`` runs of one profile, each with the
   figures of 5 sites; ``health_report`` (20 runs, with their baselines and flags; and with
   ``--site``) is timed against ``list_runs`` (the query of ``newsarchive runs``) on the same
   archive, medians of ``--repeats``.

The machine is shared and noisy: read the ratios and medians, not single timings. Nothing here
is asserted; tests never time anything.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from archive.health import SiteHealth
from archive.models import CrawlRun, RunSiteHealth
from archive.record import ArticleRecord
from archive.store import Archive
from crawler.extraction import extract_page
from crawler.health import HealthTally

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import corpus_pages, demo_pages


def median_time(work: Callable[[], object], repeats: int) -> float:
    work()  # warm: statements compiled, pages cached
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def counting(pages: list[tuple[str, bytes]], repeats: int) -> None:
    records: list[tuple[str, ArticleRecord | None]] = []
    for url, body in pages:
        records.append((url, extract_page(body, url).article))

    def extract_all() -> None:
        for url, body in pages:
            extract_page(body, url)

    def count_all() -> None:
        tally = HealthTally()
        for url, record in records:
            tally.page(url, 200)
            if record is not None:
                tally.article(record)
            tally.known(url + "#known")
        tally.rows()

    extraction = median_time(extract_all, repeats) / len(pages)
    tally = median_time(count_all, max(repeats, 20)) / len(pages)
    articles = sum(record is not None for _, record in records)
    print(f"counting: {len(pages)} pages ({articles} articles), median of {repeats} passes")
    print(f"  extract_page        {extraction * 1e3:9.3f} ms/page")
    print(f"  HealthTally         {tally * 1e6:9.2f} µs/page")
    print(f"  ratio               {tally / extraction:9.5f} (tally / extraction)")


def report(runs: int, repeats: int) -> None:
    sites = [f"site{i}.example" for i in range(5)]
    with tempfile.TemporaryDirectory() as tmp, Archive(f"sqlite:///{tmp}/h.db") as archive:
        started = time.perf_counter()
        first = datetime(2024, 1, 1, tzinfo=UTC)
        with archive.engine.begin() as conn:
            conn.execute(
                insert(CrawlRun),
                [
                    {
                        "id": i + 1,
                        "started_at": first + timedelta(hours=i),
                        "finished_at": first + timedelta(hours=i, minutes=5),
                        "status": "finished",
                        "profile": "p",
                        "start_urls": [],
                        "stats": {},
                        "pages_fetched": 0,
                        "articles_new": 0,
                        "articles_updated": 0,
                        "articles_unchanged": 0,
                        "articles_removed": 0,
                        "pages_skipped": 0,
                        "errors": 0,
                        "bytes_downloaded": 0,
                    }
                    for i in range(runs)
                ],
            )
            row = SiteHealth("x", 30, 29, 30, 30, 10, 900, 5, 40, 3)
            conn.execute(
                insert(RunSiteHealth),
                [
                    {
                        "run_id": i + 1,
                        "site": site,
                        "pages": row.pages,
                        "not_modified": row.not_modified,
                        "articles": row.articles,
                        "with_author": row.with_author,
                        "with_date": row.with_date,
                        "with_source": row.with_source,
                        "with_section": row.with_section,
                        "median_text_chars": row.median_text_chars,
                        "known_unchanged": row.known_unchanged,
                    }
                    for i in range(runs)
                    for site in sites
                ],
            )
        made = time.perf_counter() - started
        print(f"report: {runs} runs x {len(sites)} sites, made in {made:.1f} s")
        baseline = median_time(lambda: archive.list_runs(20), repeats)
        full = median_time(lambda: archive.health_report(limit=20), repeats)
        one = median_time(lambda: archive.health_report(limit=20, sites=[sites[2]]), repeats)
        print(f"  list_runs(20)                   {baseline * 1e3:8.2f} ms")
        print(f"  health_report(20 runs)          {full * 1e3:8.2f} ms  ({full / baseline:.1f}x)")
        print(f"  health_report(20 runs, --site)  {one * 1e3:8.2f} ms  ({one / baseline:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    pages = demo_pages() + (corpus_pages(args.corpus) if args.corpus else [])
    counting(pages, args.repeats)
    report(args.runs, args.repeats)


if __name__ == "__main__":
    main()
