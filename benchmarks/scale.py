"""Search and export at archive scale, on SQLite and PostgreSQL, against baselines of the same run.

    python3 benchmarks/scale.py [--scale 200000] [--backends sqlite,postgresql]

1. **Insert**: ``--scale`` synthetic articles (about 5 KB of UTF-8 each, 80 % Chinese, 20 %
   English, ten sites, three years). The first tenth is loaded with ``Archive.import_versions``
   (batches of 1,000 committed one by one, search index updated as they go), the rest with
   ``import_versions(bulk=True)`` (``newsarchive import --bulk``: one transaction; on
   PostgreSQL the GIN index is dropped and built once at the end, over the whole archive);
   then 1,000 more through ``Archive.upsert_article``, the crawler's one-transaction-per-article
   path, into the full archive.
2. **Search**: ``Archive.search`` (ranked, 20 hits, rows and snippets included) for a
   two-character word planted in 1 % of the articles, a four-character phrase (0.5 %) and an
   English word (1 % of the English ones), without and with filters; p50 and p95 over
   ``--runs`` runs. Baseline: a ``LIKE '%word%'`` scan of title and text that finds every match.
3. **Export**: the whole archive as plain JSONL with ``export_archive`` (streamed), and as
   ``.jsonl.gz``; baseline: fetch every article with the ORM, then dump. Each export runs in a
   child process so that its peak memory (VmHWM, see ``peak_rss_mb``) is its own; the streamed
   export's peak is also measured at a tenth of the archive, to show it stays flat as the
   archive grows.

PostgreSQL runs in a database of its own (``newsarchive_bench_*``) on the server of
``$NEWSARCHIVE_TEST_PG`` (default postgres@127.0.0.1:5432), dropped at the end. Nothing here is
asserted: read the ratios, the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from archive.filters import ArticleFilter
from archive.record import ArticleRecord, Byline
from archive.store import Archive, ArticleVersion

PG_ADMIN_URL = os.environ.get(
    "NEWSARCHIVE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# Planted words: their characters appear nowhere else, so they match exactly where planted.
RARE_PAIR = "澜沧"  # in 1 % of the articles
RARE_PHRASE = "鲲鹏麒麟"  # in 0.5 %
RARE_ENGLISH = "harbourmaster"  # in 1 % of the English articles
_EXCLUDED = set(RARE_PAIR + RARE_PHRASE)
_COMMON_HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
    "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
    "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各"
    "重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代"
    "想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接"
    "知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北"
    "造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清美再采转更单风切打白"
    "教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿"
    "千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
    "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该"
    "铁价严龙飞"
)
_HAN = "".join(c for c in _COMMON_HAN if c not in _EXCLUDED)
_SITES = [f"news{n}.example" for n in range(10)]
_SOURCES = ["南方都市报", "深圳特区报", "深圳商报", "晶报", "新华社", "人民日报", "Shenzhen Daily"]
_SECTIONS = ["要闻", "民生", "经济", "文化", "体育", "区街", "News", "Business"]
_EN_TEXT = (
    "city council district residents project housing transport metro station school hospital "
    "market economy government plan report officials said new year week park road bridge river "
    "public service water power community local people development construction trade port"
)
_EN_WORDS = _EN_TEXT.split()


def _han_sentences(rng: random.Random, count: int) -> list[str]:
    sentences = []
    for _ in range(count):
        words = ["".join(rng.choices(_HAN, k=rng.choice((2, 2, 2, 3, 4)))) for _ in range(12)]
        sentences.append("".join(words) + rng.choice("，。；"))
    return sentences


def _en_sentences(rng: random.Random, count: int) -> list[str]:
    return [
        " ".join(rng.choices(_EN_WORDS, k=rng.randint(10, 20))).capitalize() + ". "
        for _ in range(count)
    ]


def generate(count: int, seed: int = 7, start: int = 0) -> Iterator[ArticleRecord]:
    """``count`` synthetic articles of about 5 KB each, deterministic for ``seed``."""
    rng = random.Random(seed)
    han = _han_sentences(rng, 3000)
    english = _en_sentences(rng, 2000)
    names = ["".join(rng.choices(_HAN, k=rng.choice((2, 3)))) for _ in range(500)]
    first_day = datetime(2022, 1, 1, tzinfo=UTC)
    for n in range(start, start + count):
        is_english = n % 5 == 4
        site = _SITES[n % len(_SITES)]
        if is_english:
            # ~5 KB: about 40 sentences of ~130 bytes.
            parts = rng.choices(english, k=40)
            if n % 500 == 4:  # 1 % of the English articles (every 100th English one)
                parts[rng.randrange(len(parts))] += f"The {RARE_ENGLISH} spoke. "
            body = "".join(parts)
            title = " ".join(rng.choices(_EN_WORDS, k=6)).title()
        else:
            # ~5 KB of UTF-8: about 60 sentences of ~28 bytes x 3.
            parts = rng.choices(han, k=60)
            if n % 100 == 0:
                parts[rng.randrange(len(parts))] += RARE_PAIR + "。"
            if n % 200 == 1:
                parts[rng.randrange(len(parts))] += RARE_PHRASE + "。"
            body = "\n".join("".join(parts[i : i + 6]) for i in range(0, len(parts), 6))
            title = "".join(rng.choices(_HAN, k=14))
        published = first_day + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        yield ArticleRecord(
            url=f"http://{site}/{published:%Y%m}/t{n}.html",
            title=title,
            text=body,
            published_at=published.astimezone(UTC).isoformat(timespec="seconds"),
            bylines=[Byline(rng.choice(names), "reporter")],
            source=rng.choice(_SOURCES),
            section=rng.choice(_SECTIONS),
            language="en" if is_english else "zh",
            fetched_at=published + timedelta(hours=1),
            extractor_version="bench",
            profile=f"p{n % 5}",
        )


# -- measurements --------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(function: Callable[[], object], runs: int) -> list[float]:
    function()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def like_scan(archive: Archive, word: str, filters: ArticleFilter | None) -> Callable[[], int]:
    """Baseline search: every article whose title or text contains ``word`` (LIKE scan)."""
    from archive.models import Article

    def run() -> int:
        pattern = f"%{word}%"
        query = select(Article.id).where(Article.title.like(pattern) | Article.text.like(pattern))
        with archive.engine.connect() as conn:
            if filters is not None:
                query = query.where(*filters.clauses(conn.dialect.name))
            return len(conn.execute(query).all())

    return run


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    Linux's ``VmHWM`` belongs to the process's memory since its ``exec``; ``ru_maxrss`` does
    not: it keeps the high-water mark of the parent's memory at the fork, so a child started
    from a large parent reports the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_child(db_url: str, mode: str, output: str) -> dict[str, Any]:
    """Run one export in this (child) process; report count, seconds, bytes and peak memory."""
    started = time.perf_counter()
    archive = Archive(db_url, create=False)
    if mode == "baseline":
        from sqlalchemy.orm import Session

        from archive.models import Article
        from archive.rows import record_of
        from exports.jsonl import dumps_record

        with Session(archive.engine) as session:
            rows = session.execute(select(Article).order_by(Article.id)).scalars().all()
            with open(output, "w", encoding="utf-8") as out:
                for row in rows:
                    out.write(dumps_record(record_of(row).to_json_dict()) + "\n")
            count = len(rows)
    else:
        from exports.jsonl import export_archive

        count = export_archive(archive, Path(output)).count
    seconds = time.perf_counter() - started
    archive.close()
    return {
        "count": count,
        "seconds": seconds,
        "bytes": Path(output).stat().st_size,
        "max_rss_mb": peak_rss_mb(),
    }


def run_export(db_url: str, mode: str, output: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child-export", db_url, mode, str(output)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"export child failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    output.unlink(missing_ok=True)
    return result


@dataclass
class Report:
    lines: list[str]

    def add(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def bench_backend(db_url: str, scale: int, runs: int, workdir: Path, report: Report) -> None:
    archive = Archive(db_url)
    tenth = max(1, scale // 10)
    small_export: dict[str, Any] | None = None
    loaded = 0
    text_bytes = 0
    started = time.perf_counter()

    def versions() -> Iterator[ArticleVersion]:
        nonlocal text_bytes
        for record in generate(tenth):
            text_bytes += len(record.text.encode()) + len((record.title or "").encode())
            yield ArticleVersion(record, 1, [])

    counts = archive.import_versions(versions(), batch_size=1000)
    loaded += counts["new"]
    first_seconds = time.perf_counter() - started
    small_export = run_export(db_url, "streamed", workdir / "small.jsonl")
    started = time.perf_counter()

    def more_versions() -> Iterator[ArticleVersion]:
        nonlocal text_bytes
        for record in generate(scale - tenth, start=tenth, seed=8):
            text_bytes += len(record.text.encode()) + len((record.title or "").encode())
            yield ArticleVersion(record, 1, [])

    counts = archive.import_versions(more_versions(), batch_size=1000, bulk=True)
    bulk_loaded = counts["new"]
    bulk_seconds = time.perf_counter() - started
    total = archive.count_articles()
    report.add(
        f"  archive: {total:,} articles, {text_bytes / total / 1024:.1f} KB of text each"
        f" ({text_bytes / 1e9:.2f} GB)"
    )
    report.add(
        f"  insert, import_versions, batches of 1,000 committed, index updated ({loaded:,}):"
        f" {loaded / first_seconds:,.0f} articles/s ({first_seconds:.0f} s)"
    )
    report.add(
        f"  insert, import_versions(bulk=True), index built at the end ({bulk_loaded:,}):"
        f" {bulk_loaded / bulk_seconds:,.0f} articles/s ({bulk_seconds:.0f} s)"
    )

    year_ago = ArticleFilter.from_options(language=["zh"], since="2024-01-01")
    site_filter = ArticleFilter(site=_SITES[0], language="en")
    queries = [
        (f"2 chars {RARE_PAIR}", RARE_PAIR, None),
        (f"2 chars {RARE_PAIR} +language,since", RARE_PAIR, year_ago),
        (f"4 chars {RARE_PHRASE}", RARE_PHRASE, None),
        (f"4 chars {RARE_PHRASE} +language,since", RARE_PHRASE, year_ago),
        (f"English {RARE_ENGLISH}", RARE_ENGLISH, None),
        (f"English {RARE_ENGLISH} +site,language", RARE_ENGLISH, site_filter),
    ]
    report.add(
        f"  search, 20 hits with rows and snippets; p50 / p95 ms over {runs} runs"
        " (baseline: LIKE scan, 3 runs)"
    )
    report.add(f"    {'query':40} {'matches':>8} {'ours':>15} {'LIKE scan':>17} {'p50 ratio':>10}")
    for label, word, filters in queries:
        matches = archive.count_articles(filters, query=word)
        ours = percentiles(
            timed(lambda w=word, f=filters: archive.search(w, limit=20, filters=f), runs)
        )
        base = percentiles(timed(like_scan(archive, word, filters), 3))
        report.add(
            f"    {label:40} {matches:>8,} {ours[0]:>7.1f} / {ours[1]:<6.1f}"
            f" {base[0]:>8.0f} / {base[1]:<7.0f} {base[0] / ours[0]:>9.0f}x"
        )
    sorted_by_date = percentiles(
        timed(lambda: archive.search(RARE_PAIR, limit=20, sort="date"), runs)
    )
    report.add(
        f"    {RARE_PAIR + ' --sort date':40} {'':>8} {sorted_by_date[0]:>7.1f} /"
        f" {sorted_by_date[1]:<6.1f}"
    )

    started = time.perf_counter()
    for record in generate(1000, start=scale, seed=9):
        archive.upsert_article(record)
    upsert_rate = 1000 / (time.perf_counter() - started)
    report.add(
        f"  insert, Archive.upsert_article (1,000, one transaction each): {upsert_rate:,.0f}/s"
    )
    archive.close()

    report.add("  export of the whole archive (each in a child process; peak = its own VmHWM)")
    report.add(f"    {'':34} {'articles/s':>11} {'MB/s':>7} {'peak MB':>8}")
    results = {
        "streamed JSONL (export_archive)": run_export(db_url, "streamed", workdir / "a.jsonl"),
        "streamed .jsonl.gz": run_export(db_url, "streamed", workdir / "a.jsonl.gz"),
        "baseline: fetch all, then dump": run_export(db_url, "baseline", workdir / "b.jsonl"),
    }
    for label, r in results.items():
        report.add(
            f"    {label:34} {r['count'] / r['seconds']:>11,.0f}"
            f" {r['bytes'] / 1e6 / r['seconds']:>7.1f} {r['max_rss_mb']:>8.0f}"
        )
    ours = results["streamed JSONL (export_archive)"]
    base = results["baseline: fetch all, then dump"]
    report.add(
        f"    streamed vs baseline: {base['seconds'] / ours['seconds']:.1f}x the rate,"
        f" {ours['max_rss_mb'] / base['max_rss_mb']:.2f}x the peak memory"
    )
    report.add(
        f"    streamed peak at {small_export['count']:,} articles: {small_export['max_rss_mb']:.0f}"
        f" MB; at {ours['count']:,}: {ours['max_rss_mb']:.0f} MB"
    )


@contextmanager
def bench_database() -> Iterator[str]:
    """The URL of a PostgreSQL database of its own on ``$NEWSARCHIVE_TEST_PG``'s server,
    dropped when the block ends."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"newsarchive_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child-export":
        print(json.dumps(export_child(sys.argv[2], sys.argv[3], sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=200_000, help="articles (default 200000)")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--runs", type=int, default=50, help="search runs per query")
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes [a temp dir]")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown or args.scale < 100:
        parser.error(f"unknown backends {sorted(unknown)}" if unknown else "--scale below 100")
    # A benchmark stopped with kill still drops its PostgreSQL database (finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Report([])
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        for backend in backends:
            report.add(f"== {backend}, --scale {args.scale:,}")
            if backend == "sqlite":
                bench_backend(
                    f"sqlite:///{workdir / 'bench.db'}", args.scale, args.runs, workdir, report
                )
                continue
            with bench_database() as url:
                bench_backend(url, args.scale, args.runs, workdir, report)


if __name__ == "__main__":
    main()
