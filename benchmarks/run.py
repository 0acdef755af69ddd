"""Throughput benchmarks: the demo crawl, and extraction against bare trafilatura.

    python3 benchmarks/run.py [--repeats N] [--crawls N] [--corpus ../shared/eval/dev]

1. **Extraction**: every page of the bundled demo sites (and of ``--corpus`` when given) is run
   through ``crawler.extraction.extract_page`` and through ``trafilatura.bare_extraction``
   (``with_metadata=True``), interleaved, ``--repeats`` times; the medians and their ratio are
   printed. Both sides get the same bytes (trafilatura decodes them itself).
2. **Demo crawl**: the demo sites are served on 127.0.0.1 and crawled into a temporary SQLite
   archive in a subprocess (Scrapy's reactor runs once per process), ``--crawls`` times, with
   AutoThrottle off; pages/s and articles/s are medians over the runs.

The machine is shared and noisy: read the ratios and medians, not single timings. Nothing here is
asserted; tests never time anything.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from crawler.extraction import extract_page
from newsarchive.demo.server import DemoServer, site_root


def demo_pages() -> list[tuple[str, bytes]]:
    """(url, body) of every HTML page of the demo sites."""
    root = site_root()
    pages = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root)
        pages.append((f"http://127.0.0.1/{rel.as_posix()}", path.read_bytes()))
    return pages


def corpus_pages(corpus: Path) -> list[tuple[str, bytes]]:
    pages = []
    for path in sorted(corpus.glob("*/*.html")):
        label = path.with_suffix(".json")
        url = json.loads(label.read_text(encoding="utf-8")).get("url") if label.exists() else None
        pages.append((url or path.resolve().as_uri(), path.read_bytes()))
    return pages


def time_pass(pages: list[tuple[str, bytes]], ours: bool) -> float:
    started = time.perf_counter()
    for url, body in pages:
        if ours:
            extract_page(body, url)
        else:
            trafilatura.bare_extraction(
                body, url=url, with_metadata=True, include_comments=False, deduplicate=False
            )
    return time.perf_counter() - started


def bench_extraction(name: str, pages: list[tuple[str, bytes]], repeats: int) -> None:
    time_pass(pages[:5], True)  # warm imports and caches on both sides
    time_pass(pages[:5], False)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        ours.append(time_pass(pages, True))
        theirs.append(time_pass(pages, False))
    ours_rate = len(pages) / statistics.median(ours)
    theirs_rate = len(pages) / statistics.median(theirs)
    print(
        f"extraction on {name} ({len(pages)} pages, median of {repeats}): "
        f"newsarchive {ours_rate:.1f} pages/s, bare trafilatura {theirs_rate:.1f} pages/s, "
        f"ratio {ours_rate / theirs_rate:.2f}"
    )


def bench_crawl(crawls: int) -> None:
    rates: list[tuple[float, float, int, int]] = []
    with DemoServer() as server:
        for _ in range(crawls):
            with tempfile.TemporaryDirectory() as tmp:
                db = f"sqlite:///{Path(tmp) / 'bench.db'}"
                started = time.perf_counter()
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "newsarchive",
                        "crawl",
                        *server.start_urls,
                        "--db",
                        db,
                        "-s",
                        "AUTOTHROTTLE_ENABLED=False",
                        "-s",
                        "NEWSARCHIVE_PROGRESS_INTERVAL=0",
                        "--log-level",
                        "ERROR",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds = time.perf_counter() - started
                pages, articles = _counts(out.stdout)
                rates.append((pages / seconds, articles / seconds, pages, articles))
    pages_rate = statistics.median(r[0] for r in rates)
    articles_rate = statistics.median(r[1] for r in rates)
    print(
        f"demo crawl ({rates[0][2]} pages, {rates[0][3]} articles; median of {crawls} runs,"
        f" whole process incl. start-up): {pages_rate:.1f} pages/s, {articles_rate:.1f} articles/s"
    )


def _counts(summary: str) -> tuple[int, int]:
    pages = articles = 0
    for line in summary.splitlines():
        if " pages fetched" in line:
            pages = int(line.split(":", 1)[1].split()[0])
        if line.startswith("articles:"):
            articles = int(line.split()[1])
    return pages, articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--crawls", type=int, default=3)
    parser.add_argument("--corpus", type=Path, help="a labelled corpus such as ../shared/eval/dev")
    args = parser.parse_args()
    bench_extraction("the demo sites", demo_pages(), args.repeats)
    if args.corpus:
        bench_extraction(str(args.corpus), corpus_pages(args.corpus), max(1, args.repeats // 2))
    bench_crawl(args.crawls)


if __name__ == "__main__":
    main()
