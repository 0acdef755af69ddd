"""Chinese-aware full-text search over the archive, on SQLite (FTS5) and PostgreSQL (tsvector).

Neither SQLite's default tokenizer nor its trigram tokenizer finds a two-character Chinese word
such as 罗湖, and PostgreSQL's parser treats a run of Han characters as one word. So the text that
goes into the index is prepared here, in Python: each run of Han characters becomes its
overlapping character pairs (罗湖区 -> 罗湖 湖区), other scripts become lower-cased words. The
same function prepares queries, and a query's pairs are matched as a phrase, so that 深圳罗湖
matches only where the four characters stand together. The application writes the index rows
itself, in the same transaction as the article (see :mod:`archive.articles`).

Traditional characters are folded to simplified ones (OpenCC's character table, one character
for one, so that positions and lengths are kept) before pairing, in documents and queries alike:
羅湖 finds 罗湖 and the other way round. Changing this folding changes the index: an archive
indexed otherwise is rebuilt by ``newsarchive db upgrade`` or ``newsarchive db reindex``.
"""

from __future__ import annotations

import functools
import logging
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import (
    DDL,
    ColumnElement,
    Connection,
    Engine,
    Select,
    event,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from archive.filters import ArticleFilter
from archive.models import Article, Base

logger = logging.getLogger(__name__)

#: How search results are ordered: best match first, or newest first.
SortOrder = Literal["relevance", "date"]
SORT_ORDERS: Final[tuple[str, ...]] = ("relevance", "date")

# Han ideographs (CJK unified, extensions A-F, compatibility) are paired; every other letter or
# digit run is a word. \w is Unicode-aware, so Latin, Cyrillic, digits... all become words.
_HAN_RANGES: Final = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_TOKEN_RE: Final = re.compile(rf"([{_HAN_RANGES}]+)|([^\W_{_HAN_RANGES}]+)")
#: The Han ranges as a character-class body, for other modules that split Han text the same way
#: (:mod:`archive.stories`).
HAN_RANGES: Final = _HAN_RANGES
_PHRASE_RE: Final = re.compile(r'"([^"]*)"|(\S+)')
_WHITESPACE_RE: Final = re.compile(r"\s+")

SNIPPET_CHARS: Final = 80
MARK_START: Final = "**"
MARK_END: Final = "**"


class QueryError(ValueError):
    """The query holds nothing that can be searched; the message says so in one line."""


@functools.cache
def _traditional_to_simplified() -> dict[int, str]:
    """OpenCC's traditional-to-simplified mapping, restricted to one character for one.

    Built once (about 10 ms) by converting every ideograph on its own: phrase-level conversion
    depends on the neighbours, which would make a query fold differently from the same
    characters inside a document.
    """
    import opencc

    chars = [
        chr(code)
        for start, end in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
        for code in range(start, end)
    ]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a converter that merges lines
        return {}
    return {
        ord(old): new
        for old, new in zip(chars, converted, strict=True)
        if old != new and len(new) == 1
    }


@functools.cache
def _traditional_re() -> re.Pattern[str]:
    # A character class finds the few traditional characters far faster than str.translate
    # walks every character through a dict.
    return re.compile("[" + "".join(map(chr, sorted(_traditional_to_simplified()))) + "]")


def _simplified(match: re.Match[str]) -> str:
    return _traditional_to_simplified()[ord(match.group())]


def fold_han(value: str) -> str:
    """``value`` with traditional Han characters replaced by simplified ones (same length)."""
    return _traditional_re().sub(_simplified, value)


def search_tokens(value: str) -> list[str]:
    """Index tokens of ``value``: Han character pairs (simplified), lower-cased words otherwise."""
    tokens: list[str] = []
    if not unicodedata.is_normalized("NFKC", value):
        value = unicodedata.normalize("NFKC", value)
    for match in _TOKEN_RE.finditer(fold_han(value.lower())):
        han, word = match.group(1), match.group(2)
        if han:
            if len(han) == 1:
                tokens.append(han)
            else:
                tokens.extend(map(operator.add, han, han[1:]))
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


def _fold_for_match(value: str) -> str:
    folded = fold_han(value.lower())
    return folded if len(folded) == len(value) else value


def snippet_segments(
    body: str, terms: tuple[str, ...], width: int = SNIPPET_CHARS
) -> list[tuple[str, bool]]:
    """A window of ``body`` around the first matching term, as ``(text, is_match)`` pieces.

    Matching ignores case and traditional/simplified differences (羅湖 marks 罗湖); the pieces
    hold the text as stored, whitespace runs collapsed, with ``…`` where the window cuts the
    body. A caller that renders HTML escapes each piece and marks the matches itself, so that
    no stored text can pass for a mark.
    """
    folded = _fold_for_match(body)
    needles = sorted(
        {_fold_for_match(unicodedata.normalize("NFKC", t).strip()) for t in terms if t.strip()},
        key=len,
        reverse=True,
    )
    found = [pos for pos in (folded.find(n) for n in needles) if pos >= 0]
    start_at = max(0, min(found) - width // 3) if found else 0
    end_at = min(len(body), start_at + width)
    spans: list[tuple[int, int]] = []
    for needle in needles if found else ():
        pos = folded.find(needle, start_at)
        while 0 <= pos < end_at:
            span = (pos, min(pos + len(needle), end_at))
            if all(span[1] <= a or span[0] >= b for a, b in spans):
                spans.append(span)
            pos = folded.find(needle, pos + len(needle))
    pieces: list[tuple[str, bool]] = []
    cursor = start_at
    for a, b in sorted(spans):
        pieces += [(body[cursor:a], False), (body[a:b], True)]
        cursor = b
    pieces.append((body[cursor:end_at], False))
    # Matches never start or end with whitespace, so collapsing each piece on its own is the
    # same as collapsing the whole window.
    pieces = [(_WHITESPACE_RE.sub(" ", piece), match) for piece, match in pieces if piece]
    if pieces:
        pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
        pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    if start_at > 0:
        pieces.insert(0, ("…", False))
    if end_at < len(body):
        pieces.append(("…", False))
    return [(piece, match) for piece, match in pieces if piece]


def make_snippet(body: str, terms: tuple[str, ...], width: int = SNIPPET_CHARS) -> str:
    """:func:`snippet_segments` as one line, matches wrapped in ``**``."""
    return "".join(
        f"{MARK_START}{piece}{MARK_END}" if match else piece
        for piece, match in snippet_segments(body, terms, width)
    )


# --- index DDL, per dialect ------------------------------------------------------------------


#: The GIN index of the PostgreSQL search documents (a bulk import drops and rebuilds it).
SEARCH_INDEX_NAME: Final = "ix_article_search_document"
PG_SEARCH_INDEX_DDL: Final = (
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX_NAME} ON article_search USING GIN (document)"
)
#: ``maintenance_work_mem`` for that rebuild, for its transaction only: a GIN build sorts its
#: keys in this much memory (PostgreSQL's default, 64MB, makes it spill to disk at scale).
BULK_INDEX_MEMORY: Final = "256MB"


#: How many bytes of new index entries FTS5 gathers in memory before it writes them out as a
#: segment of the index (its ``hashsize`` setting; SQLite's default is 1 MB). A crawl's batch of
#: 200 articles of about 5 KB holds some 3 MB of them: at 1 MB, FTS5 writes several small
#: segments a batch and merges them again at once. A batched article's write took 2.60 ms of
#: CPU at 1 MB against 1.97 at 16 MB (docs/ARCHITECTURE.md, "The write path"). The memory is
#: taken only while a transaction's entries are pending, and given back at its commit.
FTS_HASH_SIZE: Final = 16 * 1024 * 1024
#: The setting, stored in the FTS5 table itself (so every connection, this program's or
#: another's, writes the same way). Set when the table is created, and by migration
#: ``0008_fts_hashsize`` on an archive made before.
FTS_SETTINGS_SQL: Final = (
    f"INSERT INTO article_fts (article_fts, rank) VALUES ('hashsize', {FTS_HASH_SIZE})"
)


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
    _ddl(FTS_SETTINGS_SQL).execute_if(dialect="sqlite"),
)
event.listen(
    Base.metadata,
    "after_create",
    _ddl(
        "CREATE TABLE IF NOT EXISTS article_search ("
        " article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,"
        " document TSVECTOR NOT NULL);" + PG_SEARCH_INDEX_DDL
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
    index_articles(conn, [(article_id, title, body)])


def index_articles(
    conn: Connection, rows: Iterable[tuple[int, str | None, str]], *, fresh: bool = False
) -> int:
    """Write the index rows of ``(id, title, text)`` articles in one round trip per statement.

    ``fresh``: the articles are known to have no index row yet (bulk import, rebuild).
    """
    return index_prepared(
        conn,
        [(id_, prepare_search_text(title), prepare_search_text(body)) for id_, title, body in rows],
        fresh=fresh,
    )


def index_prepared(
    conn: Connection, rows: Iterable[tuple[int, str, str]], *, fresh: bool = False
) -> int:
    """:func:`index_articles` for ``(id, search title, search text)`` rows whose strings
    :func:`prepare_search_text` has already prepared (the crawl prepares them in its
    extraction workers, ``archive/prepared.py``)."""
    params = [{"id": article_id, "title": title, "text": body} for article_id, title, body in rows]
    if not params:
        return 0
    if conn.dialect.name == "sqlite":
        if not fresh:
            conn.execute(
                text("DELETE FROM article_fts WHERE rowid = :id"), [{"id": p["id"]} for p in params]
            )
        conn.execute(
            text("INSERT INTO article_fts (rowid, title, text) VALUES (:id, :title, :text)"),
            params,
        )
    else:
        conn.execute(
            text(
                "INSERT INTO article_search (article_id, document) VALUES (:id,"
                " setweight(to_tsvector('simple', :title), 'A')"
                " || setweight(to_tsvector('simple', :text), 'B'))"
                " ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            params,
        )
    return len(params)


#: How much of new search documents a batched write (:func:`defer_index_merges`) may leave in
#: the GIN index's pending list before merging it into the index (PostgreSQL's default: 4MB).
BATCH_PENDING_LIST: Final = "16MB"
#: The memory a merge of the pending list sorts its entries in: ``work_mem`` when an insert of
#: the write transaction merges it (:func:`defer_index_merges`), ``maintenance_work_mem`` when
#: :func:`merge_pending_index` does. PostgreSQL's default ``work_mem`` (4MB) is less than the
#: list holds, and a merge that runs out of it writes the index in several passes.
MERGE_MEMORY: Final = "64MB"


def defer_index_merges(conn: Connection) -> None:
    """On PostgreSQL, for ``conn``'s transaction only: let new search documents wait in the GIN
    index's pending list up to :data:`BATCH_PENDING_LIST` (``SET LOCAL
    gin_pending_list_limit``) rather than the default 4 MB, and give a merge of the list that
    an insert of this transaction sets off :data:`MERGE_MEMORY` (``SET LOCAL work_mem``), so
    that a crawl's write merges the list into the index less often, in larger sorted runs
    (see docs/ARCHITECTURE.md). Searches scan the pending list, so it is kept small enough for
    them. No schema change; a no-op on SQLite. The batched write empties the list after its
    commit (:func:`merge_pending_index`), so a merge inside the transaction is the fallback."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL gin_pending_list_limit = '{BATCH_PENDING_LIST}'"))
        conn.execute(text(f"SET LOCAL work_mem = '{MERGE_MEMORY}'"))


#: How long :func:`merge_pending_index` waits for another writer's merge before leaving it
#: the work (``lock_timeout``).
MERGE_WAIT: Final = "10ms"
_merge_refused: set[str] = set()


def merge_pending_index(engine: Engine) -> bool:
    """On PostgreSQL, merge the GIN index's pending list into the index, in a transaction of
    its own (``gin_clean_pending_list``, in :data:`MERGE_MEMORY` of ``maintenance_work_mem``);
    returns whether it ran. A no-op on SQLite.

    The batched write calls it after its commit: the merge, most of the index's cost, then
    runs outside the write transaction, whose change counter lock makes every other writer
    wait, and the list that searches scan stays near empty. Measured with ``benchmarks/writes.py
    --articles 1000 --rounds 3 --preload 2000 --backends postgresql --writers 2``, three runs
    each against the merge inside the transaction, medians: two writers at once 229 articles/s
    together against 161, one writer 179 against 154. If another writer is
    merging, this one does not wait for it (:data:`MERGE_WAIT`) and leaves its documents to
    the next merge. A role that does not own the index may not merge it: the inserts of the
    write transaction then merge the list as before (:func:`defer_index_merges`). Failures
    are logged, never raised: the articles are committed already.
    """
    if engine.dialect.name != "postgresql" or engine.url.render_as_string() in _merge_refused:
        return False
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = '{MERGE_WAIT}'"))
            conn.execute(text(f"SET LOCAL maintenance_work_mem = '{MERGE_MEMORY}'"))
            conn.execute(
                text("SELECT gin_clean_pending_list(to_regclass(:index))"),
                {"index": SEARCH_INDEX_NAME},
            )
    except SQLAlchemyError as exc:
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if code == "42501":  # insufficient privilege: not the index's owner
            _merge_refused.add(engine.url.render_as_string())
            logger.info("search index: pending list left to the inserts (%s)", exc)
        elif code != "55P03":  # lock not available: another writer is merging
            logger.warning("search index: pending list not merged: %s", exc)
        return False
    return True


@contextmanager
def index_built_at_end(conn: Connection) -> Iterator[None]:
    """For a bulk load in ``conn``'s transaction: on PostgreSQL, drop the GIN index of the
    search documents first and build it once at the end (several times faster than updating it
    row by row; DDL is transactional, so a failed load rolls back to the old index). A no-op on
    SQLite, whose FTS5 index needs no such help."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text(f"DROP INDEX IF EXISTS {SEARCH_INDEX_NAME}"))
    yield
    if postgres:
        conn.execute(text(f"SET LOCAL maintenance_work_mem = '{BULK_INDEX_MEMORY}'"))
        conn.execute(text(PG_SEARCH_INDEX_DDL))


def rebuild_index(conn: Connection, *, batch_size: int = 500) -> int:
    """Empty the search index and index every article again; returns how many were indexed.

    Reads the articles in id ranges (never the whole table at once), in the caller's
    transaction, the PostgreSQL index built once at the end (:func:`index_built_at_end`).
    """
    table = "article_search" if conn.dialect.name == "postgresql" else "article_fts"
    done = 0
    last_id = 0
    with index_built_at_end(conn):
        conn.execute(text(f"DELETE FROM {table}"))
        while True:
            rows = conn.execute(
                select(Article.id, Article.title, Article.text)
                .where(Article.id > last_id)
                .order_by(Article.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            done += index_articles(conn, [(r[0], r[1], r[2]) for r in rows], fresh=True)
            last_id = rows[-1][0]
    return done


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


def matching_ids(dialect: str, parsed: ParsedQuery) -> Select[Any]:
    """A SELECT of the ids of every article matching ``parsed`` (unranked, unlimited).

    For ``Article.id.in_(...)`` in exports; user text only ever travels as bound parameters.
    """
    if dialect == "sqlite":
        clause = text("article_fts MATCH :fts_match").bindparams(fts_match=_fts5_match(parsed))
        return select(literal_column("rowid")).select_from(text("article_fts")).where(clause)
    expression, params = _pg_tsquery(parsed)
    clause = text(f"document @@ ({expression})").bindparams(**params)
    return select(literal_column("article_id")).select_from(text("article_search")).where(clause)


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """One hit: the article's id and its score (higher is better)."""

    article_id: int
    score: float


def prefer_index(conn: Connection) -> None:
    """On PostgreSQL, keep the planner off a sequential scan of the search index, for the
    rest of ``conn``'s transaction.

    The tsvectors live in TOAST storage, so the table itself looks tiny and the planner
    prefers scanning it over the GIN index, without counting the cost of reading every
    document: measured at 5,000 articles, 49 ms by scan against 4 ms by index.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL enable_seqscan = off"))


@contextmanager
def _unprepared(conn: Connection) -> Iterator[None]:
    """Keep psycopg from preparing the search statement.

    psycopg 3 prepares a statement after five runs, and PostgreSQL may then choose a generic
    plan that ignores how selective this query's words are (measured: 1 s became 5.5 s).
    """
    raw = conn.connection.dbapi_connection
    if raw is None or not hasattr(raw, "prepare_threshold"):
        yield
        return
    prefer_index(conn)
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = before


def search_ids(
    conn: Connection,
    parsed: ParsedQuery,
    limit: int,
    *,
    filters: ArticleFilter | None = None,
    sort: SortOrder = "relevance",
    offset: int = 0,
) -> list[SearchMatch]:
    """Ids of the best-ranked (or newest) matching articles that pass ``filters``."""
    where: list[ColumnElement[bool]] = []
    if filters is not None and not filters.is_empty():
        where.extend(filters.clauses(conn.dialect.name))
    articles = Article.__table__
    if conn.dialect.name == "sqlite":
        # bm25() is lower-is-better; weigh a title match five times a body match.
        rank: ColumnElement[Any] = literal_column("bm25(article_fts, 5.0, 1.0)")
        query = (
            select(literal_column("article_fts.rowid").label("id"), (-rank).label("score"))
            .select_from(text("article_fts"))
            .where(text("article_fts MATCH :fts_match").bindparams(fts_match=_fts5_match(parsed)))
        )
        if where or sort == "date":
            query = query.join(articles, articles.c.id == literal_column("article_fts.rowid"))
        order: list[Any] = [rank, literal_column("article_fts.rowid")]
    else:
        expression, params = _pg_tsquery(parsed)
        # Normalization 1 divides by 1 + log(length): long articles do not win by length alone.
        rank = literal_column("ts_rank_cd(article_search.document, query.q, 1)")
        query = (
            select(literal_column("article_search.article_id").label("id"), rank.label("score"))
            .select_from(text("article_search"))
            .join(
                text(f"(SELECT {expression} AS q) AS query").bindparams(**params),
                literal_column("true"),
            )
            .where(literal_column("article_search.document @@ query.q"))
        )
        order = [rank.desc(), literal_column("article_search.article_id")]
        if where or sort == "date":
            # The matches first (GIN index), then the filters: left to itself, the planner walks
            # a filter's index and tests each article's document (measured: 89 ms against 5).
            hits = query.cte("hits").prefix_with("MATERIALIZED")
            query = select(hits.c.id, hits.c.score).join(articles, articles.c.id == hits.c.id)
            order = [hits.c.score.desc(), hits.c.id]
    if sort == "date":
        order = [articles.c.published_at_utc.desc().nulls_last(), articles.c.id.desc()]
    query = query.where(*where).order_by(*order).limit(limit).offset(offset)
    with _unprepared(conn):
        rows = conn.execute(query).all()
    return [SearchMatch(int(row[0]), float(row[1])) for row in rows]


# Larger values of TOASTed text compress faster with lz4 than with the default pglz (inserts
# measured twice as fast); PostgreSQL 14+ built with lz4 only, so failures are ignored.
LZ4_COLUMNS: Final = (
    ("articles", "text"),
    ("article_revisions", "text"),
)


def use_lz4_compression(conn: Connection) -> None:
    """Store new article text with lz4 TOAST compression on PostgreSQL (a no-op elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    for table, column in LZ4_COLUMNS:
        try:
            with conn.begin_nested():
                conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"))
        except DBAPIError:  # an older server, or one built without lz4
            logger.info("lz4 compression not available for %s.%s", table, column)


__all__ = [
    "BULK_INDEX_MEMORY",
    "FTS_HASH_SIZE",
    "FTS_SETTINGS_SQL",
    "HAN_RANGES",
    "MERGE_MEMORY",
    "PG_SEARCH_INDEX_DDL",
    "SEARCH_INDEX_NAME",
    "SORT_ORDERS",
    "ParsedQuery",
    "QueryError",
    "SearchMatch",
    "SortOrder",
    "defer_index_merges",
    "fold_han",
    "index_article",
    "index_articles",
    "index_built_at_end",
    "index_prepared",
    "make_snippet",
    "matching_ids",
    "merge_pending_index",
    "parse_query",
    "prefer_index",
    "prepare_search_text",
    "rebuild_index",
    "search_ids",
    "search_tokens",
    "snippet_segments",
    "use_lz4_compression",
]
