"""Dump what the extraction makes of a fixed set of pages, to check that a speed-up changes nothing.

    python3 benchmarks/extract_dump.py OUT.jsonl [--dev ../shared/eval/dev] [--articles 300]
    python3 benchmarks/extract_dump.py OUT.jsonl --compare BEFORE.jsonl

One JSON line per page and way in: every field of :func:`crawler.extraction.extract_page`'s
result (kind, reason, the whole article record), for the pages of the labelled dev corpus (as
bytes, the crawl's way in, and as text, ``newsarchive eval``'s way in), the demo site, the test
fixtures and a generated benchmark site (``benchsite.py``); and, for the pages a crawl hands to
the worker pool, :func:`crawler.pagework.process_page`'s whole outcome (links, canonical link,
split-article pages) except its CPU timers. ``fetched_at`` is fixed, so two runs of the same code
give the same bytes. ``--compare`` prints the pages whose lines differ and exits 1 if any do.

The dev corpus is read where it lies and never copied; only the dump (in a temporary folder or
wherever OUT points) holds what came of it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Not this folder on the path: benchmarks/incremental.py would stand in for Twisted's
# ``incremental`` package, which Scrapy imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("benchsite", HERE / "benchsite.py")
assert _spec is not None
assert _spec.loader is not None
benchsite = importlib.util.module_from_spec(_spec)
sys.modules["benchsite"] = benchsite  # dataclasses look their module up
_spec.loader.exec_module(benchsite)
generate_site = benchsite.generate_site

from crawler.extraction import PageResult, extract_page  # noqa: E402
from crawler.pagework import PageJob, process_page  # noqa: E402

#: Fixed, so that dates capped at "tomorrow" and fetched_at itself do not move between runs.
FETCHED_AT = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _result_dict(result: PageResult) -> dict[str, Any]:
    article = result.article
    return {
        "kind": result.kind,
        "reason": result.reason,
        "article": article.to_json_dict() if article is not None else None,
    }


def _pages(dev: Path | None, articles: int, tmp: Path) -> Iterator[tuple[str, str, bytes]]:
    """(name, url, body) of every page, in a fixed order."""
    if dev is not None and dev.is_dir():
        for path in sorted(dev.glob("*/*.html")):
            label = path.with_suffix(".json")
            url = ""
            if label.exists():
                url = json.loads(label.read_text(encoding="utf-8")).get("url") or ""
            yield f"dev/{path.relative_to(dev)}", url, path.read_bytes()
    for folder, base in (
        (ROOT / "newsarchive" / "demo" / "site", "http://127.0.0.1:8000/"),
        (ROOT / "tests" / "fixtures", "http://www.example.gov.cn/"),
    ):
        for path in sorted(folder.rglob("*.html")):
            rel = path.relative_to(folder).as_posix()
            yield f"{folder.name}/{rel}", base + rel, path.read_bytes()
    site = generate_site(tmp / "site", articles)
    for path in sorted(site.root.rglob("*.html")):
        rel = path.relative_to(site.root).as_posix()
        yield f"bench/{rel}", f"http://127.0.0.1:8080/{rel}", path.read_bytes()


def dump(out: Path, dev: Path | None, articles: int) -> int:
    count = 0
    with tempfile.TemporaryDirectory(prefix="newsarchive-dump-") as tmp, out.open("w") as sink:
        for name, url, body in _pages(dev, articles, Path(tmp)):
            rows: list[dict[str, Any]] = []
            result = extract_page(body, url, fetched_at=FETCHED_AT)
            rows.append({"page": name, "way": "bytes", **_result_dict(result)})
            if name.startswith("dev/"):
                text = body.decode("utf-8", errors="replace")
                rows.append(
                    {
                        "page": name,
                        "way": "text",
                        **_result_dict(extract_page(text, url, fetched_at=FETCHED_AT)),
                    }
                )
            else:
                job = PageJob(url, body, "text/html", None, FETCHED_AT)
                outcome = process_page(job)
                rows.append(
                    {
                        "page": name,
                        "way": "process_page",
                        **_result_dict(outcome.result),
                        "links": outcome.links,
                        "canonical_url": outcome.canonical_url,
                        "first_page_url": outcome.first_page_url,
                        "continuation_urls": outcome.continuation_urls,
                    }
                )
            for row in rows:
                sink.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
    return count


def compare(after: Path, before: Path) -> int:
    old = before.read_text(encoding="utf-8").splitlines()
    new = after.read_text(encoding="utf-8").splitlines()
    differ = 0
    if len(old) != len(new):
        print(f"{len(old)} lines before, {len(new)} after")
        differ += 1
    for a, b in zip(old, new, strict=False):
        if a != b:
            differ += 1
            left, right = json.loads(a), json.loads(b)
            keys = [k for k in sorted(set(left) | set(right)) if left.get(k) != right.get(k)]
            print(f"differs: {left.get('page')} ({left.get('way')}): {', '.join(keys)}")
    print(f"{len(new)} results, {differ} different")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "dev")
    parser.add_argument("--articles", type=int, default=300, help="of the generated site")
    parser.add_argument("--compare", type=Path, metavar="BEFORE", help="an earlier dump")
    args = parser.parse_args()
    count = dump(args.out, args.dev, args.articles)
    print(f"{count} results written to {args.out}")
    if args.compare is not None:
        raise SystemExit(compare(args.out, args.compare))


if __name__ == "__main__":
    main()
