"""Progress lines: redrawn in place on a terminal, plain periodic lines in a pipe or log."""

from __future__ import annotations

import io
from typing import Any

from crawler.extensions import ProgressReporter


class _Stats:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get_stats(self) -> dict[str, Any]:
        return self.values


class _Crawler:
    def __init__(self, values: dict[str, Any]) -> None:
        self.stats = _Stats(values)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


STATS = {
    "newsarchive/pages_fetched": 120,
    "newsarchive/articles/new": 40,
    "newsarchive/articles/updated": 2,
    "newsarchive/articles/unchanged": 7,
    "newsarchive/skipped/listing": 10,
    "newsarchive/skipped/http_404": 3,
    "newsarchive/errors/TimeoutError": 1,
}


def test_plain_lines_in_a_pipe() -> None:
    out = io.StringIO()
    reporter = ProgressReporter(_Crawler(STATS), 10.0, out)  # type: ignore[arg-type]
    assert not reporter.live
    reporter.report()
    reporter.report()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[progress ")
    assert "120 pages" in lines[0]
    assert "articles: 40 new, 2 updated, 7 unchanged; 13 skipped, 1 errors" in lines[0]
    assert "/s)" in lines[0]


def test_one_line_redrawn_on_a_terminal() -> None:
    out = _Tty()
    reporter = ProgressReporter(_Crawler(STATS), 10.0, out)  # type: ignore[arg-type]
    assert reporter.live
    reporter.report()
    reporter.report()
    text = out.getvalue()
    assert "\n" not in text
    assert text.count("\r\x1b[2K") == 2
