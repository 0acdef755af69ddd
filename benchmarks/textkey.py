"""What one text, one article costs: the text key, the crawl's copy lookup, migration 0004.

    python3 benchmarks/textkey.py [--articles 20000] [--backends sqlite,postgresql]
                                  [--corpus ../shared/eval/dev]

1. **Key**: ``archive.textkey.text_key`` of every extracted article of the demo sites (and of
   ``--corpus``), against ``extract_page`` of the same pages, interleaved, 5 rounds; medians
   per page and their ratio. The key is computed once by the spider (``CrawlState.is_copy``)
   and once by the archive (``upsert_article``) per article page. With ``--corpus``, also how
   the key treats labelled pages: the labelled body lines it leaves out, by kind (real text
   taken for furniture), the pages without a key, and the pages that share one.
2. **Lookup**: ``Archive.find_same_text`` (what the spider asks once per article page not
   seen in the run) in an archive of ``--articles`` synthetic articles
   (``benchmarks/scale.py``'s), for keys it holds and keys it does not; p50 and p95 over 500
   lookups each. Baseline: ``Archive.page_states`` of one URL, the frontier lookup the spider
   already makes for the links of every page.
3. **Migration fill**: ``articles.fill_text_keys`` over the whole archive (what ``db upgrade``
   to 0004 does), in articles/s; baseline: the same batched read of id, title and text alone.

PostgreSQL runs in a database of its own on ``$NEWSARCHIVE_TEST_PG``'s server, dropped at the
end. Nothing here is asserted: read the ratios, the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from run import demo_pages
from scale import bench_database, generate, percentiles, timed
from sqlalchemy import select

from archive.articles import fill_text_keys
from archive.models import Article
from archive.store import Archive, ArticleVersion
from archive.textkey import boilerplate_kind, normalise_line, text_key
from crawler.extraction import extract_page


def corpus_report(corpus: Path) -> None:
    """How the key treats the labelled pages of ``corpus`` (no timing)."""
    left_out: Counter[str] = Counter()
    lines = no_key = 0
    holders: dict[str, list[str]] = {}
    for page in sorted(corpus.glob("*/*.html")):
        label = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        body = label.get("body") or ""
        for line in filter(None, (normalise_line(raw) for raw in body.split("\n"))):
            lines += 1
            kind = boilerplate_kind(line)
            if kind is not None:
                left_out[kind] += 1
        result = extract_page(page.read_bytes(), label.get("url") or "http://example.com/a.html")
        if result.article is None:
            continue
        key = text_key(result.article.title, result.article.text)
        if key is None:
            no_key += 1
        else:
            holders.setdefault(key, []).append(page.stem)
    shared = [names for names in holders.values() if len(names) > 1]
    print(
        f"corpus: {sum(left_out.values())} of {lines:,} labelled body lines left out of the key"
        f" ({dict(left_out.most_common())}); {no_key} extracted articles without a key;"
        f" {len(shared)} keys shared by several pages {shared}"
    )


def bench_key(pages: list[tuple[str, bytes]]) -> None:
    extract_ms: list[float] = []
    key_ms: list[float] = []
    for _ in range(5):
        for url, body in pages:
            started = time.perf_counter()
            result = extract_page(body, url)
            extract_ms.append((time.perf_counter() - started) * 1000)
            if result.article is None:
                continue
            started = time.perf_counter()
            text_key(result.article.title, result.article.text)
            key_ms.append((time.perf_counter() - started) * 1000)
    extract, key = statistics.median(extract_ms), statistics.median(key_ms)
    print(
        f"key: {key:.3f} ms per article page (median of {len(key_ms)}), extraction"
        f" {extract:.2f} ms per page: the key costs {key / extract:.1%} of extraction"
    )


def bench_backend(db_url: str, count: int) -> None:
    archive = Archive(db_url)
    records = list(generate(count, seed=11))
    archive.import_versions((ArticleVersion(r, None) for r in records), bulk=True)
    rng = random.Random(3)
    held = [(r.site, text_key(r.title, r.text) or "") for r in rng.sample(records, 500)]
    absent = [(site, f"{rng.getrandbits(256):064x}") for site, _ in held]
    urls = iter([r.url for r in records] * 2)
    for name, keys in (("held", held), ("absent", absent)):
        found = iter(keys)
        samples = timed(lambda it=found: archive.find_same_text(*next(it)), len(keys) - 1)
        p50, p95 = percentiles(samples)
        print(f"find_same_text, key {name}: p50 {p50:.3f} ms, p95 {p95:.3f} ms")
    p50, p95 = percentiles(timed(lambda: archive.page_states([next(urls)]), 499))
    print(f"baseline page_states (one URL): p50 {p50:.3f} ms, p95 {p95:.3f} ms")
    rates = {}
    for name in ("read", "fill"):
        started = time.perf_counter()
        with archive.engine.begin() as conn:
            if name == "fill":
                done = fill_text_keys(conn)
            else:
                done, last = 0, 0
                while rows := conn.execute(
                    select(Article.id, Article.title, Article.text)
                    .where(Article.id > last)
                    .order_by(Article.id)
                    .limit(1000)
                ).all():
                    done, last = done + len(rows), rows[-1].id
        rates[name] = done / (time.perf_counter() - started)
    print(
        f"migration fill: {rates['fill']:,.0f} articles/s; baseline batched read"
        f" {rates['read']:,.0f} articles/s"
    )
    archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--corpus", type=Path, help="a corpus laid out like ../shared/eval/dev")
    args = parser.parse_args()
    pages = demo_pages()
    if args.corpus:
        for page in sorted(args.corpus.glob("*/*.html")):
            label = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
            pages.append((label.get("url") or "http://example.com/a.html", page.read_bytes()))
    bench_key(pages)
    if args.corpus:
        corpus_report(args.corpus)
    for backend in args.backends.split(","):
        print(f"== {backend}, {args.articles:,} articles")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                bench_backend(f"sqlite:///{Path(tmp) / 'bench.db'}", args.articles)
            continue
        with bench_database() as url:
            bench_backend(url, args.articles)


if __name__ == "__main__":
    sys.exit(main())
