"""Database URLs and engines: the default SQLite file, PostgreSQL, and one-line errors.

The archive accepts any SQLAlchemy URL. ``postgresql://`` is read as ``postgresql+psycopg://``
(psycopg 3 is the driver the package installs). SQLite files run in WAL mode so that searches can
read while a crawl writes. :func:`guarded_write` is how every write of the archive's modules
retries a locked database and turns a storage failure into one line.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from time import sleep
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)

logger = logging.getLogger(__name__)

#: The archive used when neither ``--db`` nor ``NEWSARCHIVE_DB`` names one.
DEFAULT_DB_URL: Final = "sqlite:///newsarchive.db"
DB_ENV_VAR: Final = "NEWSARCHIVE_DB"

_URL_HELP: Final = (
    "give a SQLAlchemy URL such as sqlite:///newsarchive.db or "
    "postgresql://user@127.0.0.1:5432/dbname"
)


class ArchiveError(Exception):
    """A failure the user can act on; its message is one line that says what to do."""


class RecordRefused(ArchiveError):
    """The database refused what one write holds (a value it cannot store, a constraint), not
    the write itself: the archive is still usable, and other records go in. A crawl skips the
    record (counted, logged) rather than stopping."""


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


def shown_url(engine: Engine) -> str:
    """The engine's URL as messages show it (no password)."""
    return engine.url.render_as_string(hide_password=True)


def driver_message(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


#: How often a write that found the database locked is tried (SQLite also waits its busy
#: timeout, 10 s, inside each try).
WRITE_ATTEMPTS = 3
_LOCKED = ("database is locked", "database table is locked", "lock timeout", "deadlock detected")
_FULL = ("database or disk is full", "no space left", "disk full", "could not extend file")

_P = ParamSpec("_P")
_T = TypeVar("_T")


def guarded_write(
    write: Callable[Concatenate[Engine, _P], _T],
) -> Callable[Concatenate[Engine, _P], _T]:
    """Retry a write (a function of the engine that runs one transaction) that found the
    database locked, or that lost a race to insert the same row to another writer; turn
    storage failures into one line (:class:`RecordRefused` when the database refused the
    data rather than the write).

    The write's transaction is rolled back before the error surfaces, so what was stored
    before stays intact and nothing is half-written.
    """

    def wrapper(engine: Engine, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return write(engine, *args, **kwargs)
            except DBAPIError as exc:
                reason = driver_message(exc)
                lowered = reason.lower()
                if isinstance(exc, IntegrityError) and attempt + 1 < WRITE_ATTEMPTS:
                    # Another writer (a second crawl) stored the same URL between this write's
                    # read and its insert: the rolled-back write, run again, finds it.
                    logger.info("concurrent write of the same row, retrying: %s", reason)
                    continue
                if any(word in lowered for word in _LOCKED):
                    if attempt + 1 < WRITE_ATTEMPTS:
                        logger.info("archive locked, retrying (%d): %s", attempt + 1, reason)
                        sleep(0.5 * 2**attempt)
                        continue
                    raise ArchiveError(
                        f"the archive {shown_url(engine)} is locked by another writer"
                        f" ({WRITE_ATTEMPTS} tries): try again once it is done"
                    ) from None
                if any(word in lowered for word in _FULL):
                    raise ArchiveError(
                        f"the archive {shown_url(engine)} is full ({reason}):"
                        " free some space; the last write was rolled back"
                    ) from None
                if isinstance(exc, DataError | IntegrityError):
                    raise RecordRefused(
                        f"the archive {shown_url(engine)} refused the record: {reason}"
                    ) from None
                raise ArchiveError(
                    f"cannot write to the archive {shown_url(engine)}: {reason}"
                ) from None
        raise AssertionError("unreachable")

    functools.update_wrapper(wrapper, write)
    return wrapper
