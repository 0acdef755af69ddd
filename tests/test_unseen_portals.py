"""Crawls of three portals whose templates the extractor was not written for (issue 9).

``tests/portal_sites.py`` builds a district government's news centre (GBK), a city newspaper's
site and a commercial portal, 20 labelled articles in all. One crawl through the Scrapy engine
(in a subprocess) archives them into a temporary SQLite file; the tests read that archive and
hold it to the labels: every article found and nothing else, bylines with their roles (F1 over
(name, role) pairs), dates with their time and the +08:00 offset, sources, titles without the
site's suffix, bodies without the site's boilerplate.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from portal_sites import PortalArticle, PortalServers, PortalSite

from archive.record import ArticleRecord
from archive.store import Archive
from crawler.urls import canonicalize_url

pytestmark = pytest.mark.crawl

ROOT = Path(__file__).resolve().parent.parent
# Never route 127.0.0.1 through a proxy that the environment may name.
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def run_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    """``newsarchive crawl`` in a subprocess (Scrapy's reactor starts once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", "crawl", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=ENV,
        check=False,
    )


@dataclass
class PortalCrawl:
    servers: PortalServers
    records: dict[str, ArticleRecord]
    stdout: str
    stderr: str
    returncode: int

    def labelled(self) -> Iterator[tuple[PortalSite, PortalArticle, str]]:
        """(site, article, canonical URL) of every labelled article."""
        for site in self.servers.sites:
            for article in site.articles:
                yield (
                    site,
                    article,
                    canonicalize_url(self.servers.base_url(site.name) + article.path),
                )


@pytest.fixture(scope="module")
def portal_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalCrawl]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('portals') / 'portals.db'}"
    with PortalServers() as servers:
        result = run_crawl(
            *servers.start_urls,
            "--db",
            db_url,
            *("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSARCHIVE_PROGRESS_INTERVAL=0"),
        )
        records: dict[str, ArticleRecord] = {}
        if result.returncode == 0:
            with Archive(db_url, create=False) as archive:
                records = {r.url: r for r in archive.iter_articles()}
        yield PortalCrawl(servers, records, result.stdout, result.stderr, result.returncode)


def test_crawl_archives_the_twenty_articles_and_nothing_else(portal_crawl: PortalCrawl) -> None:
    assert portal_crawl.returncode == 0, portal_crawl.stderr
    expected = {url for _, _, url in portal_crawl.labelled()}
    assert len(expected) == 20
    archived = set(portal_crawl.records)
    assert archived - expected == set(), "listings, 404 pages or continuation pages were archived"
    assert expected - archived == set(), "articles were missed"


def test_robots_txt_is_obeyed(portal_crawl: PortalCrawl) -> None:
    for site in portal_crawl.servers.sites:
        paths = portal_crawl.servers.requests[site.name]
        assert "/robots.txt" in paths
        for disallowed in site.robots_disallow:
            assert not [p for p in paths if p.startswith(disallowed)], (site.name, disallowed)


def _pairs(bylines: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return set(bylines)


def test_bylines_with_roles_reach_f1_095(portal_crawl: PortalCrawl) -> None:
    true_positives = found = labelled = 0
    misses: list[str] = []
    for _, article, url in portal_crawl.labelled():
        record = portal_crawl.records.get(url)
        got = {(b.name, b.role) for b in record.bylines} if record else set()
        want = _pairs(article.bylines)
        true_positives += len(got & want)
        found += len(got)
        labelled += len(want)
        if got != want:
            misses.append(
                f"{article.path}: missing {sorted(want - got)}, spurious {sorted(got - want)}"
            )
    precision = true_positives / found if found else 0.0
    recall = true_positives / labelled
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert f1 >= 0.95, f"F1 {f1:.3f} (P {precision:.3f} R {recall:.3f}):\n" + "\n".join(misses)


def test_authors_are_the_writing_roles(portal_crawl: PortalCrawl) -> None:
    wrong = [
        (article.path, record.authors, article.authors)
        for _, article, url in portal_crawl.labelled()
        if (record := portal_crawl.records.get(url)) is not None
        and record.authors != article.authors
    ]
    assert len(wrong) <= 1, wrong


def test_dates_carry_the_time_and_the_china_offset(portal_crawl: PortalCrawl) -> None:
    wrong = [
        (article.path, record.published_at if record else None, article.published_at)
        for _, article, url in portal_crawl.labelled()
        if (record := portal_crawl.records.get(url)) is None
        or record.published_at != article.published_at
    ]
    gaps = [
        article.path
        for _, article, _ in portal_crawl.labelled()
        if "published_at" in article.known_gaps
    ]
    # The known gaps still give the right day; when one is fixed, drop it from the labels.
    assert [path for path, got, want in wrong if got != want[:10]] == []
    assert sorted(path for path, _, _ in wrong) == sorted(gaps)


def test_sources_are_the_outlets_the_pages_name(portal_crawl: PortalCrawl) -> None:
    wrong = [
        (article.path, record.source if record else None, article.source)
        for _, article, url in portal_crawl.labelled()
        if (record := portal_crawl.records.get(url)) is None or record.source != article.source
    ]
    assert wrong == []


def test_titles_carry_no_site_suffix(portal_crawl: PortalCrawl) -> None:
    wrong = [
        (article.path, record.title if record else None, article.title)
        for _, article, url in portal_crawl.labelled()
        if (record := portal_crawl.records.get(url)) is None or record.title != article.title
    ]
    assert wrong == []


def test_bodies_hold_the_text_and_no_boilerplate(portal_crawl: PortalCrawl) -> None:
    wrong: list[tuple[str, str, str]] = []
    for site, article, url in portal_crawl.labelled():
        record = portal_crawl.records.get(url)
        text = record.text if record else ""
        wrong += [(article.path, "missing", s) for s in article.must_contain if s not in text]
        wrong += [
            (article.path, "boilerplate", s)
            for s in [*site.boilerplate, *article.must_not_contain]
            if s in text
        ]
    assert wrong == []


def test_the_gbk_site_decodes_without_mojibake(portal_crawl: PortalCrawl) -> None:
    gov = [r for r in portal_crawl.records.values() if r.source and "云港" in r.text]
    assert gov
    assert "\ufffd" not in "".join(r.text + (r.title or "") for r in gov)
    assert any(b.name == "钟离堃" for r in gov for b in r.bylines)


def test_summary_counts_what_was_skipped(portal_crawl: PortalCrawl) -> None:
    out = portal_crawl.stdout
    assert "articles: 20 new" in out
    assert "errors: 0" in out
