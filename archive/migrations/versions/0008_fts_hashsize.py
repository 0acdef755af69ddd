"""The SQLite search index gathers a whole batch's entries in memory before writing them out:
FTS5's ``hashsize`` setting, 16 MB instead of 1 MB (see ``archive.search.FTS_HASH_SIZE``).
Nothing changes on PostgreSQL, nor in what the index holds.

Revision ID: 0008_fts_hashsize
Revises: 0007_workers
"""

from __future__ import annotations

from alembic import op

from archive.search import FTS_SETTINGS_SQL

revision = "0008_fts_hashsize"
down_revision: str | None = "0007_workers"
branch_labels = None
depends_on = None

_DEFAULT_SQL = "INSERT INTO article_fts (article_fts, rank) VALUES ('hashsize', 1048576)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(FTS_SETTINGS_SQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_DEFAULT_SQL)
