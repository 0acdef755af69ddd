"""Search: two-character Chinese words, phrases, ranking and hostile input, on both backends."""

from __future__ import annotations

import pytest

from archive.record import ArticleRecord
from archive.search import QueryError, make_snippet, parse_query, search_tokens, snippet_segments
from archive.store import Archive

ARTICLES = [
    (
        "http://a.example/1.html",
        "罗湖区推进城市更新",
        "深圳罗湖区今年推进城市更新项目。罗湖口岸改造提速。",
    ),
    ("http://a.example/2.html", "福田区举办读书月", "福田区图书馆举办读书月活动，市民踊跃参加。"),
    ("http://a.example/3.html", "东门步行街焕新", "位于罗湖的东门步行街完成改造。"),
    (
        "http://b.example/4.html",
        "C++ meetup in Shenzhen",
        "Developers met to discuss C++ and Rust. Not a boring talk.",
    ),
    ("http://b.example/5.html", "湖区新景", "湖区公园开放，罗马风格建筑吸引游客。"),
]


@pytest.fixture
def archive(db_url: str) -> Archive:
    archive = Archive(db_url)
    for url, title, text in ARTICLES:
        archive.upsert_article(ArticleRecord(url=url, title=title, text=text, language="zh"))
    return archive


def urls(archive: Archive, query: str) -> list[str]:
    return [hit.article.url for hit in archive.search(query, limit=10)]


def test_tokens_pair_han_and_split_words() -> None:
    assert search_tokens("深圳罗湖区") == ["深圳", "圳罗", "罗湖", "湖区"]
    assert search_tokens("罗湖 C++ Rust2024") == ["罗湖", "c", "rust2024"]
    assert search_tokens("湖") == ["湖"]
    assert search_tokens("ＡＢＣ") == ["abc"]  # NFKC folds full-width letters


def test_two_character_chinese_word(archive: Archive) -> None:
    found = urls(archive, "罗湖")
    assert set(found) == {"http://a.example/1.html", "http://a.example/3.html"}
    # The title match and two body matches rank the first article above the third.
    assert found[0] == "http://a.example/1.html"


def test_pairs_across_word_boundaries_do_not_match_longer_query(archive: Archive) -> None:
    # 湖区 stands in articles 1 (罗湖区) and 5; 罗湖区 only in article 1.
    assert set(urls(archive, "湖区")) == {"http://a.example/1.html", "http://b.example/5.html"}
    assert urls(archive, "罗湖区") == ["http://a.example/1.html"]
    assert urls(archive, "罗马") == ["http://b.example/5.html"]


def test_all_words_are_required(archive: Archive) -> None:
    assert urls(archive, "罗湖 东门") == ["http://a.example/3.html"]
    assert urls(archive, "福田 罗湖") == []


def test_phrase_and_english(archive: Archive) -> None:
    assert urls(archive, '"discuss c++"') == ["http://b.example/4.html"]
    assert urls(archive, "RUST") == ["http://b.example/4.html"]
    assert urls(archive, '"rust discuss"') == []


def test_single_han_character(archive: Archive) -> None:
    assert set(urls(archive, "福")) == {"http://a.example/2.html"}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "NOT",
        "NOT 罗湖",
        "C++",
        "AND OR",
        "罗湖*",
        "title:罗湖",
        "NEAR(a b)",
        "(",
        ")",
        "-罗湖",
        'a"b"c',
        "\\",
        "%",
        "_",
        "'; DROP TABLE articles; --",
        "😀 罗湖",
        "x" * 500,
    ],
)
def test_hostile_queries_never_raise_unexpected(archive: Archive, query: str) -> None:
    message = ""
    try:
        hits = archive.search(query)
    except QueryError as exc:
        message = str(exc)
        hits = []
    assert "\n" not in message
    assert isinstance(hits, list)
    assert archive.count_articles() == len(ARTICLES)


@pytest.mark.parametrize("query", ["", "   ", "*", "+++", "()"])
def test_queries_without_words_are_clear_errors(archive: Archive, query: str) -> None:
    with pytest.raises(QueryError, match=r"query|nothing to search"):
        archive.search(query)


def test_hostile_sql_is_data(archive: Archive) -> None:
    assert urls(archive, "'; DROP TABLE articles; --") == []
    assert "罗湖" in [t for t in ["罗湖"] if urls(archive, t)]


def test_snippet_highlights_the_match() -> None:
    text = "前文" * 50 + "深圳罗湖区今年推进城市更新。" + "后文" * 50
    snippet = make_snippet(text, ("罗湖",))
    assert "**罗湖**" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")


def test_parse_query_reads_quotes_as_phrases() -> None:
    parsed = parse_query('罗湖 "city renewal" NOT')
    assert parsed.phrases == (("罗湖",), ("city", "renewal"), ("not",))


def test_snippet_segments_keep_stored_marks_as_text() -> None:
    text = "前文**不是标记**，位於羅湖的東門步行街" + "后文" * 50
    pieces = snippet_segments(text, ("罗湖",))
    assert [piece for piece, match in pieces if match] == ["羅湖"]
    assert ("**不是标记**" in "".join(piece for piece, _ in pieces)) is True
    assert pieces[-1] == ("…", False)
    assert make_snippet(text, ("罗湖",)) == "".join(
        f"**{piece}**" if match else piece for piece, match in pieces
    )
