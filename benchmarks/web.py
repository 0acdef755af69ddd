"""The web app at archive scale: server time of the search page, the API and the article page,
against the CLI's own read (``Archive.search``, ``Archive.get_article``) in the same run.

    python3 benchmarks/web.py [--scale 200000] [--db URL] [--runs 50] [--facet-cap N]

The archive is ``benchmarks/scale.py``'s synthetic one (about 5 KB of text per article, 80 %
Chinese), built with ``import_versions(bulk=True)``; ``--db`` keeps it for the next run (an
archive that already has articles is reused as it is), else it goes in a temporary folder.

Requests go to the ASGI app in this process (Starlette's TestClient); "server time" is measured
inside the app, from the request's arrival to the end of its response body, so it leaves out
the test client's own overhead (also printed). Queries are the CLI benchmark's: a two-character
word in 1 % of the articles, a four-character phrase in 0.5 %, an English word in 1 % of the
English ones, each without and with filters. Nothing here is asserted: the machine is shared
and noisy, read the medians and the ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scale import _SITES, RARE_ENGLISH, RARE_PAIR, RARE_PHRASE, generate, percentiles, timed

from archive.browse import FACET_CAP, article_url
from archive.filters import ArticleFilter
from archive.store import Archive, ArticleVersion


class ServerTime:
    """ASGI middleware: how long each request spent in the app, to its last body byte."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append((time.perf_counter() - started) * 1000)

        await self.app(scope, receive, timed_send)


def build(db_url: str, scale: int) -> None:
    archive = Archive(db_url)
    have = archive.count_articles()
    if have:
        print(f"  reusing the archive: {have:,} articles", flush=True)
        archive.close()
        return
    started = time.perf_counter()
    archive.import_versions(
        (ArticleVersion(record, 1, []) for record in generate(scale)), batch_size=1000, bulk=True
    )
    seconds = time.perf_counter() - started
    print(f"  built {scale:,} articles in {seconds:.0f} s", flush=True)
    archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=200_000, help="articles (default 200000)")
    parser.add_argument("--db", help="archive to build or reuse [a temporary SQLite file]")
    parser.add_argument("--runs", type=int, default=50, help="requests per measurement")
    parser.add_argument("--facet-cap", type=int, default=FACET_CAP, help="facets counted over")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or f"sqlite:///{Path(tmp) / 'web.db'}"
        run(db_url, args.scale, args.runs, args.facet_cap)


def run(db_url: str, scale: int, runs: int, facet_cap: int) -> None:
    from fastapi.testclient import TestClient

    from newsarchive.web.app import create_app

    print(f"== {db_url.split(':', maxsplit=1)[0]}, --scale {scale:,}, {runs} runs each", flush=True)
    build(db_url, scale)
    timing = ServerTime(create_app(db_url, facet_cap=facet_cap))
    with TestClient(timing) as client, Archive(db_url, create=False) as archive:
        measure_all(client, timing, archive, runs, facet_cap)


Stat = tuple[float, float, float]  # wall p50, wall p95, CPU p50 (ms)


def cpu_timed(function: Callable[[], object], runs: int) -> list[float]:
    """CPU time of this process per call, in ms: what a call costs when it has a core."""
    function()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.process_time()
        function()
        samples.append((time.process_time() - started) * 1000)
    return samples


def measure_all(
    client: Any, timing: ServerTime, archive: Archive, runs: int, facet_cap: int
) -> None:
    """Every measurement, through one client (one event loop and thread pool, as a server)."""
    total = archive.count_articles()
    print(f"  archive: {total:,} articles; facets counted over the first {facet_cap:,} results")
    print(f"  load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    def get(url: str) -> None:
        answer = client.get(url)
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")

    def server(path: str, params: dict[str, Any]) -> Stat:
        return server_each([path + "?" + urlencode(params, doseq=True)] * runs)

    def server_each(urls: list[str]) -> Stat:
        get(urls[0])  # warm-up
        timing.samples.clear()
        cpu = statistics.median(cpu_timed_each(get, urls))
        return (*percentiles(list(timing.samples)), cpu)

    def base(function: Callable[[], object]) -> Stat:
        return (*percentiles(timed(function, runs)), statistics.median(cpu_timed(function, runs)))

    since = {"language": "zh", "since": "2024-01-01"}
    site = {"site": _SITES[0], "language": "en"}
    queries = [
        (f"2 chars {RARE_PAIR}", RARE_PAIR, {}),
        (f"2 chars {RARE_PAIR} +language,since", RARE_PAIR, since),
        (f"4 chars {RARE_PHRASE}", RARE_PHRASE, {}),
        (f"4 chars {RARE_PHRASE} +language,since", RARE_PHRASE, since),
        (f"English {RARE_ENGLISH}", RARE_ENGLISH, {}),
        (f"English {RARE_ENGLISH} +site,language", RARE_ENGLISH, site),
    ]
    print("  search, 10 hits a page: server time p50 / p95, and CPU time p50 (ms); the ratio is")
    print("  page+facets over the baseline, Archive.search (the CLI's search, 10 hits), by CPU")
    names = ("baseline", "page+facets", "page", "API+facets", "API")
    print(f"    {'query':36} {'matches':>8}" + "".join(f" {n:>19}" for n in names) + "  ratio")
    for label, word, extra in queries:
        filters = ArticleFilter.from_options(
            site=[extra["site"]] if "site" in extra else [],
            language=[extra["language"]] if "language" in extra else [],
            since=extra.get("since"),
        )
        matches = archive.count_articles(filters, query=word)
        baseline = base(lambda w=word, f=filters: archive.search(w, limit=10, filters=f))
        params = {"q": word, **extra}
        cells = [
            server("/", params),
            server("/", {**params, "facets": "false"}),
            server("/api/search", params),
            server("/api/search", {**params, "facets": "false"}),
        ]
        print(
            f"    {label:36} {matches:>8,}{_cell(baseline)}"
            + "".join(_cell(cell) for cell in cells)
            + f" {cells[0][2] / baseline[2]:>5.1f}x",
            flush=True,
        )
    for label, params in (
        (f"{RARE_PAIR} sort=date", {"q": RARE_PAIR, "sort": "date"}),
        (f"{RARE_PAIR} page 50", {"q": RARE_PAIR, "page": 50}),
    ):
        print(f"    {label:36} {'':>8} {'':>19}{_cell(server('/', params))}")

    print("  without a query (newest first): page+facets, page")
    for label, params in (
        ("everything", {}),
        (f"site={_SITES[3]}", {"site": _SITES[3]}),
        ("language=en", {"language": "en"}),
    ):
        with_facets = server("/", params)
        plain = server("/", {**params, "facets": "false"})
        print(f"    {label:36} {'':>8} {'':>19}{_cell(with_facets)}{_cell(plain)}", flush=True)

    rng = random.Random(3)
    picked = [
        (article_id, url)
        for article_id in rng.sample(range(1, total + 1), k=min(runs, total))
        if (url := article_url(archive, article_id)) is not None
    ]
    urls = iter([url for _, url in picked] * 4)
    baseline = base(lambda: archive.get_article(next(urls)))
    pages = server_each([f"/articles/{article_id}" for article_id, _ in picked])
    api = server_each([f"/api/articles/{article_id}" for article_id, _ in picked])
    print(f"  article, over {len(picked)} different articles; ratio to the baseline, by CPU")
    print(f"    {'baseline: Archive.get_article':36}{_cell(baseline)}")
    print(f"    {'article page':36}{_cell(pages)} {pages[2] / baseline[2]:>5.1f}x")
    print(f"    {'/api/articles/{id}':36}{_cell(api)} {api[2] / baseline[2]:>5.1f}x")
    overhead = base(lambda: client.get("/static/style.css"))
    print(
        f"  the test client's own round trip (a static file): {overhead[0]:.1f} ms,"
        f" CPU {overhead[2]:.1f} ms (in the CPU times above, not in the server times)"
    )
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")


def cpu_timed_each(function: Callable[[str], object], urls: list[str]) -> list[float]:
    samples = []
    for url in urls:
        started = time.process_time()
        function(url)
        samples.append((time.process_time() - started) * 1000)
    return samples


def _cell(stat: Stat) -> str:
    return f" {stat[0]:>6.1f} / {stat[1]:<5.1f} {stat[2]:>5.1f}"


if __name__ == "__main__":
    main()
