"""What changed since when: the change counter (``change_counter``) and the cursors of
``export --since-last`` (``export_cursors``).

Every transaction that changes articles takes the next value of the counter
(:func:`bump_change`) and stamps its rows with it; the counter's row stays locked until the
commit, so values are handed out in commit order (see :class:`~archive.models.ChangeCounter`).
A read given a :class:`ChangeWindow` keeps what was stamped after the window's point and reads
the counter in the same statement as its rows (:data:`SNAPSHOT_SEQ`), which is the cursor the
next export of that name starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy import Connection, Engine, Table, or_, select, update
from sqlalchemy.orm import Session

from archive.models import Article, ArticleRevision, ChangeCounter, ExportCursor


@dataclass(slots=True)
class ChangeWindow:
    """Which changes a read keeps, for ``export --since-last``, and what the read saw.

    ``after_seq``: changes stamped with a change-counter value above it; ``since``: a cursor
    saved before the counter existed, read by time once. A read given a window sets
    ``seen_seq`` to the counter's value in its own snapshot (None when it read no row).
    """

    after_seq: int | None = None
    since: datetime | None = None
    seen_seq: int | None = None

    def article_clauses(self) -> list[Any]:
        """Where-clauses on ``articles``: rows written or marked removed after the point."""
        if self.after_seq is not None:
            return [Article.change_seq > self.after_seq]
        if self.since is not None:
            return [or_(Article.updated_at >= self.since, Article.removed_at >= self.since)]
        return []

    def revision_clauses(self) -> list[Any]:
        """Where-clauses on ``article_revisions``: versions stored after the point."""
        if self.after_seq is not None:
            return [ArticleRevision.change_seq > self.after_seq]
        if self.since is not None:
            return [ArticleRevision.created_at >= self.since]
        return []


@dataclass(frozen=True, slots=True)
class SavedCursor:
    """An ``--since-last`` cursor: the counter value its export had seen, and when it ran."""

    seq: int | None
    at: datetime

    def window(self) -> ChangeWindow:
        """The changes the next export of this name reads."""
        return ChangeWindow(after_seq=self.seq, since=self.at if self.seq is None else None)


_COUNTER: Final = cast("Table", ChangeCounter.__table__)
#: The counter's value, read by the same statement as a streamed export's rows, so in the same
#: snapshot (one statement sees one snapshot, on PostgreSQL at READ COMMITTED too).
SNAPSHOT_SEQ: Final = (
    select(_COUNTER.c.seq).where(_COUNTER.c.id == 1).scalar_subquery().label("snapshot_seq")
)


def bump_change(conn: Connection) -> int:
    """Take the next value of the change counter, in ``conn``'s transaction.

    The counter's row stays locked until that transaction ends, so values are taken in commit
    order (see :class:`~archive.models.ChangeCounter`). Call it after the transaction's reads
    (other writers wait for the lock from here on) and before its writes (so that every writer
    takes the counter's lock first, and two writers never wait for each other's rows).
    """
    conn.execute(update(_COUNTER).where(_COUNTER.c.id == 1).values(seq=_COUNTER.c.seq + 1))
    return current_seq(conn)


def current_seq(conn: Connection) -> int:
    """The change counter's value as ``conn`` sees it."""
    return int(conn.execute(select(_COUNTER.c.seq).where(_COUNTER.c.id == 1)).scalar_one())


def change_seq(engine: Engine) -> int:
    """The change counter's value now: every change stamped up to it is committed."""
    with engine.connect() as conn:
        return current_seq(conn)


def export_cursor(engine: Engine, name: str) -> SavedCursor | None:
    """Where the previous export named ``name`` stopped (None: never exported)."""
    with Session(engine) as session:
        row = session.get(ExportCursor, name)
        return SavedCursor(row.cursor_seq, row.cursor_at) if row is not None else None


def save_export_cursor(
    engine: Engine,
    name: str,
    cursor_at: datetime,
    *,
    seq: int,
    articles: int,
    output: str | None,
) -> None:
    """Move the cursor of ``name``: the next export of that name reads the changes stamped
    above ``seq``; ``cursor_at`` is when this one started."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = session.get(ExportCursor, name)
        if row is None:
            row = ExportCursor(name=name)
            session.add(row)
        row.cursor_seq = seq
        row.cursor_at = cursor_at
        row.exported_at = datetime.now(UTC)
        row.articles = articles
        row.output = output
