"""The read functions of archive/browse.py, on SQLite and PostgreSQL: pages of results with
totals, facet counts (all matches, or the first N), an article by id, a revision's archived
page, per-run per-site metadata shares, and read-only connections."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.browse import (
    Facets,
    article_ids,
    article_url,
    count_matches,
    counts_under,
    facet_counts,
    raw_page,
    refuse_writes,
    run_site_shares,
    runs_health,
    search_page,
)
from archive.db import ArchiveError
from archive.filters import ArticleFilter
from archive.record import ArticleRecord
from archive.search import QueryError, fold_han
from archive.store import Archive
from tests.browse_samples import (
    ALIAS,
    FIRST_RUN,
    HOSTILE_HTML,
    HOSTILE_URL,
    RAW_MARKER,
    Sample,
    build_sample,
)

LUOHU_ZH = {
    "http://sz.example/news/1.html",
    "http://sz.example/news/2.html",
    "http://gov.example/xw/4.html",
    "http://gov.example/xw/5.html",
    HOSTILE_URL,
}


@pytest.fixture
def sample(db_url: str, tmp_path: Path) -> Sample:
    return build_sample(db_url, tmp_path / "warc")


@pytest.fixture
def archive(sample: Sample) -> Archive:
    return Archive(sample.db_url, create=False, warc_dir=sample.warc_dir)


def test_a_page_of_hits_with_total_ids_and_marked_snippets(archive: Archive) -> None:
    page = search_page(archive, "罗湖", limit=3)
    assert page.total == len(LUOHU_ZH) == 5
    assert len(page.hits) == 3
    for hit in page.hits:
        assert article_url(archive, hit.article_id) == hit.article.url
        marked = [piece for piece, match in hit.snippet_parts if match]
        assert marked, hit.article.url
        assert {fold_han(piece) for piece in marked} == {"罗湖"}  # 羅湖 marked as written
        assert "**" + marked[0] + "**" in hit.snippet
        assert hit.score is not None
    rest = search_page(archive, "罗湖", limit=3, offset=3)
    assert rest.total == 5
    urls = [h.article.url for h in page.hits] + [h.article.url for h in rest.hits]
    assert len(urls) == len(set(urls)) == 5
    assert set(urls) == LUOHU_ZH
    # Same order as the CLI's search, which it uses.
    assert urls == [hit.article.url for hit in archive.search("罗湖", limit=10)]


@pytest.mark.parametrize("facets", [True, False])
def test_the_total_with_and_without_the_facets_counting_every_match(
    archive: Archive, facets: bool
) -> None:
    for cap in (1, 2, 5, 6, 1000):
        for query, filters in (
            ("罗湖", None),
            ("罗湖", ArticleFilter(site="gov.example")),
            (None, None),
            ("", ArticleFilter(language="zh")),
        ):
            page = search_page(archive, query, filters=filters, facets=facets, facet_cap=cap)
            assert page.total == archive.count_articles(filters, query=query or None)
            assert page.total == count_matches(archive, query, filters)


def test_traditional_query_and_filters(archive: Archive) -> None:
    page = search_page(archive, "羅湖", filters=ArticleFilter(site="sz.example"))
    assert {hit.article.url for hit in page.hits} == {
        "http://sz.example/news/1.html",
        "http://sz.example/news/2.html",
    }
    assert page.total == 2


def test_a_query_with_nothing_to_search_is_a_query_error(archive: Archive) -> None:
    with pytest.raises(QueryError):
        search_page(archive, "***")


def test_without_a_query_newest_first_undated_last(archive: Archive) -> None:
    page = search_page(archive, None, limit=20)
    assert page.total == 8
    dates = [hit.article.published_at for hit in page.hits]
    assert dates[-1] is None
    assert [hit.score for hit in page.hits] == [None] * 8
    instants = [hit.article.published_at for hit in page.hits[:-1]]
    assert instants[0] == "2024-05-23T08:00:00+08:00"  # the hostile page, newest
    assert instants[-1] == "2022-03-03"
    english = search_page(archive, "", filters=ArticleFilter(language="EN"))
    assert english.total == 2
    assert [hit.article.title for hit in english.hits] == [
        "Luohu port reopens after upgrade",
        "Harbour news",
    ]


def _expected_counts(records: list[ArticleRecord]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {
        name: Counter() for name in ("site", "source", "author", "section", "language")
    }
    for record in records:
        counts["site"][record.site] += 1
        counts["author"].update(record.authors)
        for name in ("source", "section", "language"):
            if getattr(record, name):
                counts[name][getattr(record, name)] += 1
    return counts


def _as_counters(facets: Facets) -> dict[str, Counter[str]]:
    return {
        name: Counter({v.value: v.count for v in values}) for name, values in facets.fields.items()
    }


def test_facets_count_every_match(archive: Archive) -> None:
    facets = facet_counts(archive, "罗湖")
    matches = [r for r in archive.iter_articles() if r.url in LUOHU_ZH]
    assert facets.counted == 5
    assert _as_counters(facets) == _expected_counts(matches)
    assert facets.fields["site"][0].value == "gov.example"  # 3 before 2
    # Four dated in 2023 and 2024: by year; the editor-only article is undated.
    assert [(b.label, b.count, b.since, b.until) for b in facets.dates] == [
        ("2024", 3, "2024-01", "2024-12"),
        ("2023", 1, "2023-01", "2023-12"),
    ]
    assert facets.undated == 1


def test_dates_by_month_within_one_year(archive: Archive) -> None:
    facets = facet_counts(archive, "罗湖", filters=ArticleFilter.from_options(since="2024-01"))
    assert [(b.label, b.count) for b in facets.dates] == [("2024-05", 3)]
    assert facets.undated == 0


def test_facets_over_the_cap_count_the_first_matches(archive: Archive) -> None:
    top = archive.search("罗湖", limit=2)
    facets = facet_counts(archive, "罗湖", cap=2)
    assert facets.counted == 2
    assert _as_counters(facets) == _expected_counts([hit.article for hit in top])
    newest = archive.search("罗湖", limit=2, sort="date")
    by_date = facet_counts(archive, "罗湖", cap=2, sort="date")
    assert _as_counters(by_date) == _expected_counts([hit.article for hit in newest])


def test_facets_without_a_query_count_the_newest(archive: Archive) -> None:
    everything = facet_counts(archive, None)
    assert everything.counted == 8
    assert dict(_as_counters(everything)["language"]) == {"zh": 6, "en": 2}
    newest = facet_counts(archive, "", cap=1)
    assert newest.counted == 1
    assert [v.value for v in newest.fields["site"]] == ["gov.example"]  # the hostile page


def test_facet_size_keeps_the_most_frequent(archive: Archive) -> None:
    facets = facet_counts(archive, None, size=2)
    # 3, 3, 2: a tie goes in alphabetical order, so a page shows the same values each time.
    assert [(v.value, v.count) for v in facets.fields["site"]] == [
        ("gov.example", 3),
        ("sz.example", 3),
    ]


def test_search_page_without_facets(archive: Archive) -> None:
    assert search_page(archive, "罗湖", facets=False).facets is None
    assert search_page(archive, "罗湖").facets is not None


def test_article_by_id_and_ids_by_url(archive: Archive, sample: Sample) -> None:
    first = FIRST_RUN[0].url
    ids = article_ids(archive, [first, "http://nowhere.example/", first])
    assert ids == {first: sample.id_of(first)}
    assert article_url(archive, sample.id_of(first)) == first
    assert article_url(archive, 999_999) is None
    assert ALIAS in archive.aliases_of(first)


def test_raw_page_of_each_revision(archive: Archive, sample: Sample) -> None:
    first = FIRST_RUN[0].url
    old, new = raw_page(archive, first, 1), raw_page(archive, first, 2)
    assert old is not None
    assert new is not None
    assert RAW_MARKER.encode() in old.body
    assert "改造提速".encode() in old.body
    assert "大幅提速".encode() in new.body
    assert raw_page(archive, first, 3) is None
    hostile = raw_page(archive, HOSTILE_URL, 1)
    assert hostile is not None
    assert hostile.body == HOSTILE_HTML.encode()
    assert raw_page(archive, "http://en.example/port.html", 1) is None  # imported, no page


def test_run_site_shares_count_what_each_run_stored(archive: Archive, sample: Sample) -> None:
    runs = archive.list_runs()
    assert [run.id for run in runs] == sample.runs[::-1]
    shares = run_site_shares(archive, runs)
    first, second = (shares[run_id] for run_id in sample.runs)
    by_site = {s.site: s for s in first}
    assert [s.site for s in first] == ["sz.example", "gov.example"]  # most articles first
    sz, gov = by_site["sz.example"], by_site["gov.example"]
    assert (sz.articles, sz.with_author, sz.with_date, sz.with_source, sz.with_section) == (
        3,
        3,
        3,
        3,
        3,
    )
    assert (gov.articles, gov.with_author, gov.with_date, gov.with_source) == (2, 0, 1, 1)
    assert gov.share("date") == 0.5
    later = {s.site: s for s in second}
    assert later["sz.example"].articles == 1
    assert later["sz.example"].share("author") == 0.0  # the template lost its bylines
    assert later["sz.example"].share("section") == 0.0
    assert later["gov.example"].share("author") == 1.0  # the hostile page's 记者 赵敏
    only_second = run_site_shares(archive, runs[:1])
    assert list(only_second) == [sample.runs[1]]
    assert run_site_shares(archive, []) == {}


def test_runs_health_is_the_health_report_and_counts_runs_without_figures(
    archive: Archive, sample: Sample
) -> None:
    runs = archive.list_runs()
    health = runs_health(archive, runs)
    # Runs that recorded figures: exactly what `newsarchive health` reports, flags included.
    assert health == {report.run_id: report for report in archive.health_report()}
    assert [len(s.flags) for s in health[sample.runs[1]].sites] == [2, 1]
    # A run killed before it recorded anything: the articles it stored, counted, unjudged.
    third = archive.start_run(["http://sz.example/news/"])
    later = dataclasses.replace(FIRST_RUN[0], url="http://sz.example/news/later.html")
    archive.upsert_article(later, run_id=third)
    runs = archive.list_runs()
    health = runs_health(archive, runs)
    assert not health[third].recorded
    assert [(s.health.site, s.health.articles, s.flags) for s in health[third].sites] == [
        ("sz.example", 1, ())
    ]
    assert health[sample.runs[0]].recorded
    assert runs_health(archive, []) == {}


def test_run_site_shares_read_in_batches(archive: Archive, sample: Sample) -> None:
    runs = archive.list_runs()
    assert run_site_shares(archive, runs, batch_size=1) == run_site_shares(archive, runs)


def test_counts_under_a_prefix() -> None:
    stats = {
        "newsarchive/skipped/listing": 3,
        "newsarchive/skipped/http_404": 1,
        "newsarchive/errors/Timeout": 2,
        "newsarchive/skipped_note": "x",
        "downloader/request_count": 9,
    }
    assert counts_under(stats, "newsarchive/skipped/") == {"http_404": 1, "listing": 3}
    assert counts_under(stats, "newsarchive/errors/") == {"Timeout": 2}


def test_refuse_writes_leaves_reads(archive: Archive) -> None:
    before = archive.count_articles()
    refuse_writes(archive)
    assert archive.count_articles() == before
    assert search_page(archive, "罗湖").total == 5
    with pytest.raises(ArchiveError):
        archive.upsert_article(ArticleRecord(url="http://x.example/1", title="t", text="罗湖"))
    with pytest.raises(ArchiveError):
        archive.start_run(["http://x.example/"])
    with pytest.raises(ArchiveError):
        archive.mark_removed(FIRST_RUN[0].url, datetime.now(UTC))
    assert archive.count_articles() == before
