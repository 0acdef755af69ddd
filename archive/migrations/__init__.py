"""Schema migrations (Alembic), shipped inside the package and configured in code.

No ``alembic.ini`` is needed: :func:`upgrade` builds Alembic's configuration from this folder.
A fresh database gets the latest schema from the models (``create_all``) and is stamped at the
head revision; an archive made by an earlier release is upgraded in place by
``newsarchive db upgrade``. An archive without an ``alembic_version`` table but with an
``articles`` table was made by the release before migrations: it counts as the baseline revision.
:func:`check_schema` is how an :class:`~archive.store.Archive` opens a database: it creates the
schema in an empty one and refuses, in one line, an archive this release cannot use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from archive.db import ArchiveError, driver_message, shown_url
from archive.models import Base

#: The revision that is the schema of the release before migrations.
BASELINE_REVISION: Final = "0001_baseline"
_HERE: Final = Path(__file__).resolve().parent


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(_HERE / "versions"))
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in _script().walk_revisions()}


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database stands: ``empty``, ``current``, ``behind`` or ``unknown`` (newer)."""

    status: str
    revision: str | None
    head: str


def schema_state(conn: Connection) -> SchemaState:
    """The archive schema's revision in ``conn``'s database, compared with this release's head."""
    head = head_revision()
    tables = set(inspect(conn).get_table_names())
    if "articles" not in tables:
        return SchemaState("empty", None, head)
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:  # made before migrations existed
        return SchemaState("behind", None, head)
    if revision == head:
        return SchemaState("current", revision, head)
    if revision in known_revisions():
        return SchemaState("behind", revision, head)
    return SchemaState("unknown", revision, head)


def create_latest(conn: Connection) -> None:
    """Create the latest schema in an empty database and stamp it at head."""
    from archive.search import use_lz4_compression

    Base.metadata.create_all(conn)
    use_lz4_compression(conn)
    context = MigrationContext.configure(conn)
    context.stamp(_script(), "head")


def check_schema(engine: Engine, *, create: bool) -> None:
    """Make sure the database of ``engine`` holds this release's schema.

    An empty database gets it when ``create`` is set; otherwise (and for a SQLite file that
    does not exist, which connecting would create) there is no archive. An archive whose schema
    is older than this release's, or newer, is refused. Every refusal is an
    :class:`~archive.db.ArchiveError` of one line that says what to do.
    """
    where = shown_url(engine)
    missing = f"no archive at {where}: crawl something first (newsarchive demo)"
    url = engine.url
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if not create and on_disk and not Path(url.database or "").expanduser().is_file():
        raise ArchiveError(missing)
    try:
        with engine.begin() as conn:
            state = schema_state(conn)
            if state.status == "empty":
                if not create:
                    raise ArchiveError(missing)
                create_latest(conn)
            elif state.status == "behind":
                made_by = f"schema {state.revision}" if state.revision else "a release before 0.2"
                raise ArchiveError(
                    f"the archive {where} has an older schema ({made_by}):"
                    f" run `newsarchive db upgrade --db {where}` first"
                )
            elif state.status == "unknown":
                raise ArchiveError(
                    f"the archive {where} was upgraded by a newer newsarchive"
                    f" (schema {state.revision}): install that version"
                )
    except OperationalError as exc:
        raise ArchiveError(f"cannot open the archive {where}: {driver_message(exc)}") from None
    except DBAPIError as exc:
        raise ArchiveError(f"cannot set up the archive {where}: {driver_message(exc)}") from None


def upgrade(
    engine: Engine,
    target: str = "head",
    *,
    progress: Callable[[int, int], None] | None = None,
    story_progress: Callable[[int, int], None] | None = None,
) -> tuple[str | None, str]:
    """Upgrade the archive in ``engine`` to ``target``; returns (revision before, after).

    An empty database gets the latest schema directly. An unversioned archive (the release
    before migrations) is first stamped at the baseline revision. A migration that works
    through every article calls ``progress(done, total)`` (``0004_text_key``) or
    ``story_progress(done, total)`` (``0006_stories``) as it goes.
    """
    script = _script()
    with engine.begin() as conn:
        state = schema_state(conn)
        if state.status == "empty" and target == "head":
            create_latest(conn)
            return None, state.head
        before = state.revision
        if state.status == "empty":  # a version row left behind by dropped tables
            MigrationContext.configure(conn).stamp(script, "base")
        if state.status == "behind" and before is None:
            MigrationContext.configure(conn).stamp(script, BASELINE_REVISION)
            before = None

        def run(rev: Any, _context: Any) -> Any:
            return script._upgrade_revs(target, rev)  # what `alembic upgrade` does

        config = _config()
        config.attributes["progress"] = progress
        config.attributes["story_progress"] = story_progress
        with EnvironmentContext(config, script, fn=run, destination_rev=target) as env:
            env.configure(connection=conn, target_metadata=Base.metadata)
            with env.begin_transaction():
                env.run_migrations()
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after or target


__all__ = [
    "BASELINE_REVISION",
    "SchemaState",
    "check_schema",
    "create_latest",
    "head_revision",
    "known_revisions",
    "schema_state",
    "upgrade",
]
