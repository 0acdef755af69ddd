"""Incremental recrawl benchmark: a second run of a profile with nothing changed.

    python3 benchmarks/incremental.py [--articles 2000] [--per-page 20]

Serves a synthetic site of ``--articles`` article pages (and its paginated listing) on
127.0.0.1, crawls it with a profile into a fresh SQLite archive, then crawls it again with
nothing changed, and prints the second run's time and downloaded bytes as ratios of the first
run's, both measured in this run. Each crawl is a ``newsarchive crawl`` subprocess (Scrapy's
reactor runs once per process), timed whole. The targets: at most 20% of the time and 10% of
the bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsarchive.testsite import SiteStats, SyntheticServer, SyntheticSite

ROOT = Path(__file__).resolve().parent.parent


def crawl(profile: Path, db_url: str, lock_dir: Path) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NEWSARCHIVE_LOCK_DIR"] = str(lock_dir)
    started = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "crawl",
            "--profiles",
            str(profile),
            "--db",
            db_url,
            "-s",
            "NEWSARCHIVE_PROGRESS_INTERVAL=0",
            "--log-level",
            "ERROR",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return time.perf_counter() - started, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--per-page", type=int, default=20)
    args = parser.parse_args()
    # No Sitemap: line in robots.txt: the paginated listing is the only way to the articles, as
    # on most district government sites.
    site = SyntheticSite(articles=args.articles, per_page=args.per_page, advertise_sitemap=False)
    with tempfile.TemporaryDirectory() as tmp, SyntheticServer(site) as server:
        tmp_path = Path(tmp)
        profile = tmp_path / "bench.toml"
        profile.write_text(
            "[[profiles]]\n"
            'name = "bench"\n'
            f'start_urls = ["{server.start_url}"]\n'
            "recheck_after_days = 7\n"
            "[profiles.politeness]\n"
            "autothrottle = false\n"
            "concurrency_per_host = 16\n",
            encoding="utf-8",
        )
        db_url = f"sqlite:///{tmp_path / 'bench.db'}"
        first_s, first_out = crawl(profile, db_url, tmp_path)
        first = site.stats
        site.stats = SiteStats()
        second_s, second_out = crawl(profile, db_url, tmp_path)
        second = site.stats
    print(f"site: {args.articles} articles, {site.listing_pages} listing pages")
    for name, seconds, stats, out in (
        ("first run ", first_s, first, first_out),
        ("second run", second_s, second, second_out),
    ):
        articles = re.search(r"articles: .*", out)
        print(
            f"{name}: {seconds:7.2f} s, {stats.requests:5d} requests, "
            f"{stats.bytes_sent / 1e6:7.2f} MB sent; {articles.group(0) if articles else ''}"
        )
    print(
        f"second/first: time {second_s / first_s:.3f} (target <= 0.20), "
        f"bytes {second.bytes_sent / max(first.bytes_sent, 1):.4f} (target <= 0.10)"
    )


if __name__ == "__main__":
    main()
