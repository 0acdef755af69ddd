"""Chinese-aware full-text search over the archive, on SQLite (FTS5) and PostgreSQL (tsvector).

Neither SQLite's default tokenizer nor its trigram tokenizer finds a two-character Chinese word
such as 罗湖, and PostgreSQL's parser treats a run of Han characters as one word. So the text that
goes into the index is prepared here, in Python: each run of Han characters becomes its
overlapping character pairs (罗湖区 -> 罗湖 湖区), other scripts become lower-cased words. The
same function prepares queries, and a query's pairs are matched as a phrase, so that 深圳罗湖
matches only where the four characters stand together. The application writes the index rows
itself, in the same transaction as the article (see :mod:`archive.store`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from sqlalchemy import DDL, Connection, event, text

from archive.models import Base

# Han ideographs (CJK unified, extensions A-F, compatibility) are paired; every other letter or
# digit run is a word. \w is Unicode-aware, so Latin, Cyrillic, digits... all become words.
_HAN_RANGES: Final = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_TOKEN_RE: Final = re.compile(rf"([{_HAN_RANGES}]+)|([^\W_{_HAN_RANGES}]+)")
_PHRASE_RE: Final = re.compile(r'"([^"]*)"|(\S+)')

SNIPPET_CHARS: Final = 80
MARK_START: Final = "**"
MARK_END: Final = "**"


class QueryError(ValueError):
    """The query holds nothing that can be searched; the message says so in one line."""


def search_tokens(value: str) -> list[str]:
    """Index tokens of ``value``: Han character pairs, and lower-cased words otherwise."""
    tokens: list[str] = []
    normalized = unicodedata.normalize("NFKC", value).lower()
    for match in _TOKEN_RE.finditer(normalized):
        han, word = match.group(1), match.group(2)
        if han:
            if len(han) == 1:
                tokens.append(han)
            else:
                tokens.extend(han[i : i + 2] for i in range(len(han) - 1))
        else:
            tokens.append(word)
    return tokens


def prepare_search_text(value: str | None) -> str:
    """The string stored in the index for ``value``: its tokens joined by spaces."""
    return " ".join(search_tokens(value or ""))


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A user query as phrases of index tokens; every phrase must match."""

    phrases: tuple[tuple[str, ...], ...]
    #: The words the user typed, for snippets and highlighting.
    terms: tuple[str, ...]


def parse_query(query: str) -> ParsedQuery:
    """Read a user query: words and ``"quoted phrases"``, all required.

    Search syntax of the backends (``NOT``, ``*``, ``:``, ``NEAR``, parentheses) is not passed on:
    everything is read as plain words, so that no input can produce a syntax error.
    """
    phrases: list[tuple[str, ...]] = []
    terms: list[str] = []
    for match in _PHRASE_RE.finditer(query.replace("\u201c", '"').replace("\u201d", '"')):
        term = match.group(1) if match.group(1) is not None else match.group(2)
        tokens = search_tokens(term)
        if tokens:
            phrases.append(tuple(tokens))
            terms.append(term.strip().strip('"'))
    if not phrases:
        if not query.strip():
            raise QueryError("empty query: give a word to search for, e.g. 罗湖")
        raise QueryError(
            f"nothing to search for in {query!r}: use letters, digits or Han characters"
        )
    return ParsedQuery(tuple(phrases), tuple(terms))


def _fts5_match(parsed: ParsedQuery) -> str:
    """An FTS5 MATCH expression: each phrase quoted (so no token is read as syntax), ANDed."""
    parts = []
    for phrase in parsed.phrases:
        quoted = " ".join('"' + token.replace('"', '""') + '"' for token in phrase)
        # A lone Han character is matched as the start of a pair, or as a one-character run.
        if len(phrase) == 1 and len(phrase[0]) == 1 and not phrase[0].isascii():
            parts.append(f"({quoted} OR {quoted}*)")
        elif len(phrase) == 1:
            parts.append(quoted)
        else:
            parts.append("(" + " + ".join(quoted.split(" ")) + ")")
    return " AND ".join(parts)


def make_snippet(body: str, terms: tuple[str, ...], width: int = SNIPPET_CHARS) -> str:
    """A window of ``body`` around the first matching term, matches wrapped in ``**``."""
    folded = body.lower()
    positions = [(folded.find(term.lower()), term) for term in terms if term]
    found = [(pos, term) for pos, term in positions if pos >= 0]
    if not found:
        snippet = body[:width]
        return snippet + ("…" if len(body) > width else "")
    start_at = max(0, min(pos for pos, _ in found) - width // 3)
    window = body[start_at : start_at + width]
    for term in sorted({t for _, t in found}, key=len, reverse=True):
        window = re.sub(
            re.escape(term), lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", window, flags=re.I
        )
    window = " ".join(window.split())
    return ("…" if start_at > 0 else "") + window + ("…" if start_at + width < len(body) else "")


# --- index DDL, per dialect ------------------------------------------------------------------


def _ddl(statement: str) -> DDL:
    return DDL(statement)  # type: ignore[no-untyped-call]  # SQLAlchemy leaves DDL() untyped


event.listen(
    Base.metadata,
    "after_create",
    _ddl(
        "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
        "title, text, tokenize = 'unicode61 remove_diacritics 2')"
    ).execute_if(dialect="sqlite"),
)
event.listen(
    Base.metadata,
    "after_create",
    _ddl(
        "CREATE TABLE IF NOT EXISTS article_search ("
        " article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
        " document TSVECTOR NOT NULL);"
        "CREATE INDEX IF NOT EXISTS ix_article_search_document"
        " ON article_search USING GIN (document)"
    ).execute_if(dialect="postgresql"),
)
event.listen(
    Base.metadata,
    "before_drop",
    _ddl("DROP TABLE IF EXISTS article_fts").execute_if(dialect="sqlite"),
)
event.listen(
    Base.metadata,
    "before_drop",
    _ddl("DROP TABLE IF EXISTS article_search").execute_if(dialect="postgresql"),
)


def index_article(conn: Connection, article_id: int, title: str | None, body: str) -> None:
    """Write (or rewrite) the index row of one article, in the caller's transaction."""
    title_tokens = prepare_search_text(title)
    text_tokens = prepare_search_text(body)
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article_id})
        conn.execute(
            text("INSERT INTO article_fts (rowid, title, text) VALUES (:id, :title, :text)"),
            {"id": article_id, "title": title_tokens, "text": text_tokens},
        )
    else:
        conn.execute(
            text(
                "INSERT INTO article_search (article_id, document) VALUES (:id,"
                " setweight(to_tsvector('simple', :title), 'A')"
                " || setweight(to_tsvector('simple', :text), 'B'))"
                " ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": article_id, "title": title_tokens, "text": text_tokens},
        )


def _pg_tsquery(parsed: ParsedQuery) -> tuple[str, dict[str, str]]:
    """A tsquery expression with bound parameters: each phrase with ``<->``, phrases ANDed."""
    parts = []
    params: dict[str, str] = {}
    for i, phrase in enumerate(parsed.phrases):
        key = f"p{i}"
        params[key] = " ".join(phrase)
        if len(phrase) == 1 and len(phrase[0]) == 1 and not phrase[0].isascii():
            # to_tsquery with a quoted lexeme and :* matches pairs that start with the character.
            params[key] = "'" + phrase[0] + "':*"
            parts.append(f"to_tsquery('simple', :{key})")
        else:
            parts.append(f"phraseto_tsquery('simple', :{key})")
    return " && ".join(parts), params


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """One hit: the article's id and its score (higher is better)."""

    article_id: int
    score: float


def search_ids(conn: Connection, parsed: ParsedQuery, limit: int) -> list[SearchMatch]:
    """Ids of the best-ranked articles for ``parsed``, best first."""
    if conn.dialect.name == "sqlite":
        # bm25() is lower-is-better; weigh a title match five times a body match.
        rows = conn.execute(
            text(
                "SELECT rowid, -bm25(article_fts, 5.0, 1.0) AS score FROM article_fts"
                " WHERE article_fts MATCH :match ORDER BY bm25(article_fts, 5.0, 1.0) LIMIT :limit"
            ),
            {"match": _fts5_match(parsed), "limit": limit},
        )
    else:
        expression, params = _pg_tsquery(parsed)
        rows = conn.execute(
            text(
                f"SELECT article_id, ts_rank_cd(document, q) AS score"
                f" FROM article_search, ({'SELECT ' + expression + ' AS q'}) AS query"
                " WHERE document @@ q ORDER BY score DESC, article_id LIMIT :limit"
            ),
            {**params, "limit": limit},
        )
    return [SearchMatch(int(row[0]), float(row[1])) for row in rows]


__all__ = [
    "ParsedQuery",
    "QueryError",
    "SearchMatch",
    "index_article",
    "make_snippet",
    "parse_query",
    "prepare_search_text",
    "search_ids",
    "search_tokens",
]
