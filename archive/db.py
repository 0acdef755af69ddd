"""Database URLs and engines: the default SQLite file, PostgreSQL, and one-line errors.

The archive accepts any SQLAlchemy URL. ``postgresql://`` is read as ``postgresql+psycopg://``
(psycopg 3 is the driver the package installs). SQLite files run in WAL mode so that searches can
read while a crawl writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

#: The archive used when neither ``--db`` nor ``NEWSARCHIVE_DB`` names one.
DEFAULT_DB_URL: Final = "sqlite:///newsarchive.db"
DB_ENV_VAR: Final = "NEWSARCHIVE_DB"

_URL_HELP: Final = (
    "give a SQLAlchemy URL such as sqlite:///newsarchive.db or "
    "postgresql://user@127.0.0.1:5432/dbname"
)


class ArchiveError(Exception):
    """A failure the user can act on; its message is one line that says what to do."""


def resolve_db_url(explicit: str | None = None) -> str:
    """``explicit`` (``--db``), else ``$NEWSARCHIVE_DB``, else the default SQLite file."""
    return explicit or os.environ.get(DB_ENV_VAR) or DEFAULT_DB_URL


def parse_db_url(db_url: str) -> URL:
    """Validate ``db_url``; raise :class:`ArchiveError` with a fix when it is not usable."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        raise ArchiveError(f"invalid database URL {db_url!r}: {_URL_HELP}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ArchiveError(
            f"unsupported database {url.get_backend_name()!r} in {db_url!r}: "
            "newsarchive supports SQLite and PostgreSQL"
        )
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        parent = Path(url.database or "").expanduser().resolve().parent
        if not parent.is_dir():
            raise ArchiveError(
                f"cannot create the archive {url.database!r}: folder {str(parent)!r} does not exist"
            )
    return url


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (search, export) work while a crawl writes; NORMAL is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # How long a write waits for another writer's lock before SQLite gives up (the archive then
    # retries a few times before it reports the archive as locked).
    timeout_ms = int(os.environ.get("NEWSARCHIVE_SQLITE_BUSY_TIMEOUT", "10000"))
    cursor.execute(f"PRAGMA busy_timeout={max(timeout_ms, 0)}")
    cursor.close()


def make_engine(db_url: str) -> Engine:
    """An engine for ``db_url`` with the archive's connection settings applied."""
    url = parse_db_url(db_url)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_on_connect)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ArchiveError(f"no driver for {db_url!r}: {exc}") from None
    return engine
