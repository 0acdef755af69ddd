"""Fuzz the HTML -> article path, time-boxed, by hand (not in CI).

    python fuzz/fuzz_extract.py [--seconds 60] [--engine atheris|random] [--seed N]
                                [--out fuzz/findings]

``--engine atheris`` (the default when ``pip install atheris`` has been run) is coverage-guided:
atheris instruments the project's code and steers the mutations below (which seed page, which
mutation, and raw bytes spliced in) towards new branches. ``--engine random`` needs nothing
installed and picks the mutations at random.

Takes the project's own pages (tests/fixtures, the demo sites) as seeds, mutates them (bytes
flipped and spliced, tags nested deep or left open, hostile URLs in href/canonical/base,
charset labels swapped, bodies cut short) and runs each through what the spider does with a
page:

1. ``crawler.extraction.extract_page`` (must not fail internally: ``extraction_failed``);
2. the spider's link and canonical-link handling on a Scrapy ``HtmlResponse``
   (``LinkExtractor`` + ``canonicalize_url``, ``_canonical_link``): must not raise.

A finding is written to ``--out`` as ``<kind>-<sha1>.html`` with a ``.txt`` beside it holding
the error, and the run goes on. What it finds is fixed and becomes a regression test
(tests/test_properties.py). Every loop is bounded by ``--seconds``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy.http import HtmlResponse  # noqa: E402
from scrapy.linkextractors import LinkExtractor  # noqa: E402

from crawler.extraction import extract_page  # noqa: E402
from crawler.spiders.news import _canonical_link  # noqa: E402
from crawler.urls import canonicalize_url  # noqa: E402

URL = "http://news.example/news/2024/0601/10001.html"

HOSTILE_URLS = [
    "http://news.example:99999/a.html",
    "http://[::1]/a.html",
    "http://[::1/a.html",
    "http://[fe80::1%25eth0]/",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "//evil.example/x",
    "http://a\x00b.example/",
    "http://xn--/",
    "http://%zz/",
    "http://news.example/" + "a/" * 500,
    "http://news.example/?" + "&".join(f"k{i}=v" for i in range(2000)),
    "\u202ehttp://news.example/",
    "http:///path",
    "http://user:pass@news.example:0/",
    " \t\nhttp://news.example/%E7%BD%97 ",
]
CHARSETS = [b"utf-8", b"gbk", b"gb2312", b"big5", b"utf-16", b"bogus", b"", b"x-user-defined"]


def seeds() -> list[bytes]:
    pages = sorted(
        [*ROOT.glob("tests/fixtures/**/*.htm*"), *ROOT.glob("newsarchive/demo/site/**/*.htm*")]
    )
    found = [p.read_bytes() for p in pages]
    return found or [b"<html><head><title>t</title></head><body><p>x</p></body></html>"]


def mutate(rng: random.Random, page: bytes, others: list[bytes]) -> bytes:
    """One to three random mutations of ``page``."""
    out = bytearray(page)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(9)
        if not out:
            out = bytearray(b"<html></html>")
        pos = rng.randrange(len(out))
        if choice == 0:  # flip bytes
            for _ in range(rng.randint(1, 20)):
                out[rng.randrange(len(out))] = rng.randrange(256)
        elif choice == 1:  # splice another page in
            other = rng.choice(others)
            start = rng.randrange(max(1, len(other)))
            out[pos:pos] = other[start : start + rng.randint(1, 4000)]
        elif choice == 2:  # cut short
            del out[pos:]
        elif choice == 3:  # deep nesting
            depth = rng.choice([50, 300, 3000])
            tag = rng.choice([b"div", b"p", b"table", b"b", b"li"])
            out[pos:pos] = b"<%s>" % tag * depth + b"text" + b"</%s>" % tag * rng.choice([0, depth])
        elif choice == 4:  # hostile link
            href = rng.choice(HOSTILE_URLS).encode("utf-8", "surrogatepass")
            out[pos:pos] = b"<a href='" + href + b"'>link</a>"
        elif choice == 5:  # hostile canonical or base
            href = rng.choice(HOSTILE_URLS).encode("utf-8", "surrogatepass")
            kind = rng.choice([b"<link rel='canonical' href='%s'>", b"<base href='%s'>"])
            head = out.find(b"</head>")
            out[head if head >= 0 else 0 : head if head >= 0 else 0] = kind % href
        elif choice == 6:  # charset label swapped
            out[0:0] = b"<meta charset='" + rng.choice(CHARSETS) + b"'>"
        elif choice == 7:  # junk characters
            out[pos:pos] = rng.choice(
                [b"\x00" * 50, "\ufeff\u202e\u200b".encode(), b"\xff\xfe", b"]]>", b"<!--", b"&#0;"]
            )
        else:  # repeat a slice
            end = min(len(out), pos + rng.randint(1, 200))
            out[pos:pos] = out[pos:end] * rng.randint(2, 200)
    return bytes(out[: 2 * 1024 * 1024])


def spider_path(body: bytes) -> None:
    """What NewsSpider does with a page's links and canonical link, minus the engine."""
    response = HtmlResponse(URL, body=body, headers={"Content-Type": "text/html"})
    try:
        links = LinkExtractor(unique=True, canonicalize=False).extract_links(response)
    except (ValueError, TypeError):  # the spider catches these (nothing to follow)
        links = []
    for link in links:
        if not link.nofollow:
            canonicalize_url(link.url)
    _canonical_link(response)


def check(body: bytes) -> tuple[str, str] | None:
    """(kind, error) of a finding, or None."""
    result = extract_page(body, URL, content_type="text/html")
    if result.reason == "extraction_failed":
        return "extract", "extract_page returned extraction_failed"
    try:
        spider_path(body)
    except Exception:  # any exception here is a finding
        return "spider", traceback.format_exc(limit=6)
    return None


def save_finding(out: Path, kind: str, body: bytes, error: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{hashlib.sha1(body).hexdigest()[:12]}"
    (out / f"{name}.html").write_bytes(body)
    (out / f"{name}.txt").write_text(error, encoding="utf-8")
    return out / f"{name}.html"


def run_atheris(seconds: float, out: Path) -> int:
    """Coverage-guided: atheris/libFuzzer drive the choice of seed, mutation and spliced bytes."""
    import atheris

    corpus = seeds()

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        base = corpus[provider.ConsumeIntInRange(0, len(corpus) - 1)]
        rng = random.Random(provider.ConsumeInt(4))
        body = mutate(rng, base, corpus)
        extra = provider.ConsumeBytes(provider.remaining_bytes())
        if extra:
            at = rng.randrange(len(body) + 1)
            body = body[:at] + extra + body[at:]
        finding = check(body)
        if finding is not None:
            kind, error = finding
            path = save_finding(out, kind, body, error)
            raise RuntimeError(
                f"finding ({kind}) saved to {path}: {error.strip().splitlines()[-1]}"
            )

    logging.disable(logging.WARNING)
    atheris.instrument_all()
    atheris.Setup([sys.argv[0], f"-max_total_time={int(seconds)}", "-timeout=20"], one_input)
    atheris.Fuzz()  # exits the process: 0 when the time is up, non-zero on a finding
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "fuzz" / "findings")
    parser.add_argument("--engine", choices=["atheris", "random"], default=None)
    args = parser.parse_args(argv)
    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "random"
    if engine == "atheris":
        return run_atheris(args.seconds, args.out)
    logging.disable(logging.WARNING)  # extract_page logs each failure; we report them ourselves
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    corpus = seeds()
    deadline = time.monotonic() + args.seconds
    runs = 0
    found: dict[str, int] = {}
    report: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731
    report(f"seed {seed}, {len(corpus)} seed pages, {args.seconds:.0f} s")
    while time.monotonic() < deadline:
        body = mutate(rng, rng.choice(corpus), corpus)
        runs += 1
        finding = check(body)
        if finding is None:
            continue
        kind, error = finding
        signature = error.strip().splitlines()[-1]
        found[signature] = found.get(signature, 0) + 1
        if found[signature] == 1:
            path = save_finding(args.out, kind, body, error)
            report(f"finding ({kind}): {signature}  -> {path}")
    report(f"{runs} inputs, {len(found)} distinct findings")
    for signature, count in sorted(found.items(), key=lambda item: -item[1]):
        report(f"  {count:6d}  {signature}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
