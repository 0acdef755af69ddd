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
import random
import sys
import tempfile
import time
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


def measure_all(
    client: Any, timing: ServerTime, archive: Archive, runs: int, facet_cap: int
) -> None:
    """Every measurement, through one client (one event loop and thread pool, as a server)."""
    total = archive.count_articles()
    print(f"  archive: {total:,} articles; facets counted over the first {facet_cap:,} results")

    def server(path: str, params: dict[str, Any]) -> tuple[float, float]:
        url = path + "?" + urlencode(params, doseq=True)

        def get() -> None:
            answer = client.get(url)
            if answer.status_code != 200:
                raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")

        get()  # warm-up
        timing.samples.clear()
        for _ in range(runs):
            get()
        return percentiles(list(timing.samples))

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
    print("  search, 10 hits a page; server time p50 / p95 ms; ratio: p50 over the baseline's")
    print("  (baseline: Archive.search, the CLI's search, 10 hits with rows and snippets)")
    header = (
        f"    {'query':36} {'matches':>8} {'baseline':>13} {'page+facets':>13}"
        f" {'page':>13} {'API+facets':>13} {'API':>13} {'page+facets/base':>17}"
    )
    print(header)
    for label, word, extra in queries:
        filters = ArticleFilter.from_options(
            site=[extra["site"]] if "site" in extra else [],
            language=[extra["language"]] if "language" in extra else [],
            since=extra.get("since"),
        )
        matches = archive.count_articles(filters, query=word)
        base = percentiles(
            timed(lambda w=word, f=filters: archive.search(w, limit=10, filters=f), runs)
        )
        params = {"q": word, **extra}
        page_facets = server("/", params)
        page_plain = server("/", {**params, "facets": "false"})
        api_facets = server("/api/search", params)
        api_plain = server("/api/search", {**params, "facets": "false"})
        cells = [page_facets, page_plain, api_facets, api_plain]
        print(
            f"    {label:36} {matches:>8,}{_cell(base)}"
            + "".join(_cell(cell) for cell in cells)
            + f" {page_facets[0] / base[0]:>16.1f}x",
            flush=True,
        )
    for label, params in (
        (f"{RARE_PAIR} sort=date", {"q": RARE_PAIR, "sort": "date"}),
        (f"{RARE_PAIR} page 50", {"q": RARE_PAIR, "page": 50}),
    ):
        print(f"    {label:36} {'':>8} {'':>13}{_cell(server('/', params))}")

    print("  without a query (newest first): page+facets, page; p50 / p95 ms")
    for label, params in (
        ("everything", {}),
        (f"site={_SITES[3]}", {"site": _SITES[3]}),
        ("language=en", {"language": "en"}),
    ):
        with_facets = server("/", params)
        plain = server("/", {**params, "facets": "false"})
        print(f"    {label:36} {'':>8} {'':>13}{_cell(with_facets)}{_cell(plain)}", flush=True)

    rng = random.Random(3)
    picked = [
        (article_id, url)
        for article_id in rng.sample(range(1, total + 1), k=min(runs, total))
        if (url := article_url(archive, article_id)) is not None
    ]
    urls = iter([url for _, url in picked] * 3)
    base = percentiles(timed(lambda: archive.get_article(next(urls)), runs))
    pages = _each(client, timing, [f"/articles/{article_id}" for article_id, _ in picked])
    api = _each(client, timing, [f"/api/articles/{article_id}" for article_id, _ in picked])
    print(f"  article, p50 / p95 ms over {len(picked)} different articles; ratio to the baseline")
    print(f"    {'baseline: Archive.get_article':36}{_cell(base)}")
    print(f"    {'article page':36}{_cell(pages)} {pages[0] / base[0]:>6.1f}x")
    print(f"    {'/api/articles/{id}':36}{_cell(api)} {api[0] / base[0]:>6.1f}x")
    overhead = percentiles(timed(lambda: client.get("/static/style.css"), runs))
    print(f"  test client round trip for a static file (not in server time): {overhead[0]:.1f} ms")


def _cell(p50_p95: tuple[float, float]) -> str:
    return f" {p50_p95[0]:>6.1f} / {p50_p95[1]:<5.1f}"


def _each(client: Any, timing: ServerTime, paths: list[str]) -> tuple[float, float]:
    client.get(paths[0])
    timing.samples.clear()
    for path in paths:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code}")
    return percentiles(list(timing.samples))


if __name__ == "__main__":
    main()
