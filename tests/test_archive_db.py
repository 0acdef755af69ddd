"""Guarded writes (archive.db): a write that lost an insert race is run again, a locked
database is retried then reported, every storage failure is one line without the password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import IntegrityError, OperationalError

from archive.db import WRITE_ATTEMPTS, ArchiveError, driver_message, guarded_write, shown_url

URL = "postgresql+psycopg://crawler:secret@127.0.0.1:1/news"


@pytest.fixture
def engine() -> Engine:
    return create_engine(URL)  # never connected: the writes below are stand-ins


def failing(exc: Exception, times: int, calls: list[str]) -> Callable[[Engine, str], str]:
    @guarded_write
    def write(engine: Engine, value: str) -> str:
        calls.append(value)
        if len(calls) <= times:
            raise exc
        return value

    return write


def driver_error(
    kind: type[OperationalError | IntegrityError], message: str
) -> OperationalError | IntegrityError:
    return kind("UPDATE x", {}, Exception(message + "\nCONTEXT: more lines"))


def test_a_write_that_lost_an_insert_race_is_run_again(engine: Engine) -> None:
    calls: list[str] = []
    write = failing(driver_error(IntegrityError, "duplicate key value"), 1, calls)
    assert write(engine, "a") == "a"
    assert calls == ["a", "a"]


def test_a_locked_database_is_retried_then_reported_in_one_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("archive.db.sleep", waits.append)
    calls: list[str] = []
    write = failing(driver_error(OperationalError, "database is locked"), 99, calls)
    with pytest.raises(ArchiveError) as info:
        write(engine, "a")
    assert len(calls) == WRITE_ATTEMPTS
    assert waits == [0.5, 1.0]
    message = str(info.value)
    assert "locked by another writer (3 tries)" in message
    assert "secret" not in message
    assert "\n" not in message
    # Locked once, then free: the write goes through.
    calls.clear()
    write = failing(driver_error(OperationalError, "deadlock detected"), 1, calls)
    assert write(engine, "b") == "b"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("database or disk is full", r"is full \(database or disk is full\): free some space"),
        ("could not extend file", "is full"),
        ("no such table: articles", "cannot write to the archive"),
    ],
)
def test_storage_failures_are_one_line(engine: Engine, reason: str, expected: str) -> None:
    calls: list[str] = []
    with pytest.raises(ArchiveError, match=expected) as info:
        failing(driver_error(OperationalError, reason), 99, calls)(engine, "a")
    assert calls == ["a"]  # not retried
    assert "\n" not in str(info.value)
    assert "***" in str(info.value)


def test_other_exceptions_pass_through_untouched(engine: Engine) -> None:
    calls: list[str] = []
    with pytest.raises(ValueError, match="naive datetime"):
        failing(ValueError("naive datetime"), 99, calls)(engine, "a")
    assert calls == ["a"]


def test_messages_show_the_url_without_its_password(engine: Engine) -> None:
    assert shown_url(engine) == "postgresql+psycopg://crawler:***@127.0.0.1:1/news"
    assert driver_message(driver_error(OperationalError, "first line")) == "first line"
