"""ArticleFilter: reading command-line values, and the where-clauses it makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from archive.filters import ArticleFilter, FilterError, parse_when


def test_days_and_months_are_utc_and_until_includes_its_day() -> None:
    assert parse_when("2024-05-20") == datetime(2024, 5, 20, tzinfo=UTC)
    assert parse_when("2024-05-20", end=True) == datetime(2024, 5, 21, tzinfo=UTC)
    assert parse_when("2024-12", end=True) == datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_when("2024-02") == datetime(2024, 2, 1, tzinfo=UTC)


def test_times_keep_their_offset() -> None:
    assert parse_when("2024-05-20T08:00+08:00") == datetime(2024, 5, 20, 0, 0, tzinfo=UTC)
    assert parse_when("2024-05-20T08:00:00Z") == datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
    assert parse_when("2024-05-20T08:00") == datetime(2024, 5, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "2024-05-32", "20240520x", ""])
def test_bad_dates_are_one_line_errors(value: str) -> None:
    with pytest.raises(FilterError, match="YYYY-MM-DD") as info:
        parse_when(value)
    assert "\n" not in str(info.value)


def test_values_are_normalised() -> None:
    f = ArticleFilter(site="A.Example", language=("ZH", ""), author="张三")  # type: ignore[arg-type]
    assert f.site == ("a.example",)
    assert f.language == ("zh",)
    assert f.author == ("张三",)
    assert not f.is_empty()
    assert ArticleFilter().is_empty()
    assert ArticleFilter().describe() == "none"
    assert "site=a.example" in f.describe()


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(FilterError):
        ArticleFilter(since=datetime(2024, 1, 1))


def test_from_options_reads_strings() -> None:
    f = ArticleFilter.from_options(site=["x.example"], since="2024-05", until="2024-05")
    assert f.since == datetime(2024, 5, 1, tzinfo=UTC)
    assert f.until == datetime(2024, 6, 1, tzinfo=UTC)
    assert len(f.clauses("sqlite")) == 3
    assert len(f.clauses("postgresql")) == 3
