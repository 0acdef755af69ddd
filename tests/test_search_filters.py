"""Search at archive scale: traditional/simplified folding, ranking, filters, date order, the
CLI's options; the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.filters import ArticleFilter
from archive.record import ArticleRecord, Byline
from archive.search import make_snippet, search_tokens
from archive.store import Archive
from newsarchive.cli import main

FILLER = "市民表示满意。"


def article(url: str, title: str, text: str, **extra: object) -> ArticleRecord:
    return ArticleRecord(url=url, title=title, text=text, **extra)  # type: ignore[arg-type]


CORPUS = [
    article(
        "http://sz.example/1.html",
        "罗湖口岸改造",
        "罗湖口岸今年完成改造。" + FILLER * 3,
        published_at="2024-05-20T10:00:00+08:00",
        bylines=[Byline("张一鎏", "reporter"), Byline("王编", "editor")],
        source="南方都市报",
        section="要闻",
        language="zh",
        profile="sz",
    ),
    article(
        "http://sz.example/2.html",
        "城市更新提速",
        "罗湖区和福田区推进城市更新，罗湖的旧改项目最多。" + FILLER * 2,
        published_at="2024-03-01",
        bylines=[Byline("陈杏花", "correspondent")],
        source="深圳特区报",
        section="民生",
        language="zh",
        profile="sz",
    ),
    article(
        "http://hk.example/3.html",
        "東門步行街",
        "位於羅湖的東門步行街完成改造。" + FILLER * 3,
        published_at="2023-11-11",
        bylines=[Byline("李四", "author")],
        source="香港商报",
        section="要闻",
        language="zh-hant",
        profile="hk",
    ),
    article(
        "http://en.example/4.html",
        "Luohu port reopens",
        "The Luohu port reopened after renovation. Travellers praised the new hall.",
        published_at="2024-06-01T09:00:00Z",
        bylines=[Byline("Jane Doe", "reporter")],
        source="Shenzhen Daily",
        section="News",
        language="en",
    ),
    article("http://en.example/5.html", "Undated", "Luohu without a date.", language="en"),
]


@pytest.fixture
def archive(db_url: str) -> Archive:
    archive = Archive(db_url)
    for record in CORPUS:
        archive.upsert_article(record)
    return archive


def urls(archive: Archive, query: str, **kwargs: object) -> list[str]:
    return [hit.article.url for hit in archive.search(query, limit=20, **kwargs)]  # type: ignore[arg-type]


def test_traditional_and_simplified_fold_to_one_token() -> None:
    assert search_tokens("羅湖區") == search_tokens("罗湖区") == ["罗湖", "湖区"]
    assert search_tokens("東門") == ["东门"]


def test_traditional_query_finds_simplified_text_and_back(archive: Archive) -> None:
    simplified = set(urls(archive, "罗湖"))
    traditional = set(urls(archive, "羅湖"))
    assert (
        simplified
        == traditional
        == {
            "http://sz.example/1.html",
            "http://sz.example/2.html",
            "http://hk.example/3.html",
        }
    )
    assert urls(archive, "东门步行街") == ["http://hk.example/3.html"]


def test_ranking_on_a_known_set(archive: Archive) -> None:
    # A title match outweighs two body matches, which outweigh one.
    assert urls(archive, "罗湖") == [
        "http://sz.example/1.html",
        "http://sz.example/2.html",
        "http://hk.example/3.html",
    ]
    hits = archive.search("罗湖")
    assert hits[0].score > hits[1].score > hits[2].score > 0


def test_phrases_and_words(archive: Archive) -> None:
    assert urls(archive, '"port reopened"') == ["http://en.example/4.html"]
    assert urls(archive, '"reopened port"') == []
    assert urls(archive, '"罗湖口岸" 改造') == ["http://sz.example/1.html"]


def test_snippet_marks_the_match_as_written() -> None:
    snippet = make_snippet("位於羅湖的東門步行街", ("罗湖",))
    assert "**羅湖**" in snippet


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ArticleFilter(site="sz.example"), {"1", "2"}),
        (ArticleFilter(source="香港商报"), {"3"}),
        (ArticleFilter(author="陈杏花"), {"2"}),
        (ArticleFilter(author=("张一鎏", "李四")), {"1", "3"}),
        (ArticleFilter(author="王编"), set()),  # an editor is not an author
        (ArticleFilter(section="要闻"), {"1", "3"}),
        (ArticleFilter(profile="hk"), {"3"}),
        (ArticleFilter(language="zh"), {"1", "2"}),
        (ArticleFilter.from_options(since="2024-03-01"), {"1", "2"}),
        (ArticleFilter.from_options(until="2024-03-01"), {"2", "3"}),
        (ArticleFilter.from_options(since="2024-05-20T00:00+08:00", until="2024-05"), {"1"}),
        (ArticleFilter(site="sz.example", section="民生"), {"2"}),
    ],
)
def test_each_filter_in_search_and_count(
    archive: Archive, filters: ArticleFilter, expected: set[str]
) -> None:
    found = {url.rsplit("/", 1)[1].split(".")[0] for url in urls(archive, "罗湖", filters=filters)}
    assert found == expected
    counted = archive.count_articles(filters, query="罗湖")
    assert counted == len(expected)


def test_filters_on_english_and_dates(archive: Archive) -> None:
    assert set(urls(archive, "luohu", filters=ArticleFilter(language="en"))) == {
        "http://en.example/4.html",
        "http://en.example/5.html",
    }
    # Articles without a date are left out once a date bound is given.
    assert urls(archive, "luohu", filters=ArticleFilter.from_options(since="2000-01-01")) == [
        "http://en.example/4.html"
    ]


def test_sort_by_date_newest_first_undated_last(archive: Archive) -> None:
    assert urls(archive, "罗湖", sort="date") == [
        "http://sz.example/1.html",
        "http://sz.example/2.html",
        "http://hk.example/3.html",
    ]
    assert urls(archive, "luohu", sort="date") == [
        "http://en.example/4.html",
        "http://en.example/5.html",
    ]


def test_limit_and_offset_page_through_results(archive: Archive) -> None:
    everything = urls(archive, "罗湖")
    pages = [
        hit.article.url
        for offset in range(3)
        for hit in archive.search("罗湖", limit=1, offset=offset)
    ]
    assert pages == everything


@pytest.mark.parametrize("query", ["NOT 罗湖", "罗湖*", "title:罗湖", "'; DROP TABLE articles; --"])
def test_hostile_queries_with_filters(archive: Archive, query: str) -> None:
    hits = archive.search(query, filters=ArticleFilter(site="sz.example", author="张一鎏"))
    assert all(hit.article.site == "sz.example" for hit in hits)
    assert archive.count_articles() == len(CORPUS)


def test_cli_search_with_filters_and_json(archive: Archive) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["search", "羅湖", "--db", archive.db_url, "--site", "sz.example", "--json"],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["url"] for line in lines] == [
        "http://sz.example/1.html",
        "http://sz.example/2.html",
    ]
    assert all("**罗湖**" in line["snippet"] for line in lines)
    result = runner.invoke(
        main, ["search", "罗湖", "--db", archive.db_url, "--author", "nobody", "--sort", "date"]
    )
    assert result.exit_code == 0
    assert "no articles match" in result.output
    assert "author=nobody" in result.output


def test_cli_search_bad_filter_is_one_line(archive: Archive) -> None:
    result = CliRunner().invoke(main, ["search", "罗湖", "--db", archive.db_url, "--since", "soon"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert result.output.startswith("error: cannot read the date")
