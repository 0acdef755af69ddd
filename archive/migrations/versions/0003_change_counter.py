"""A change counter in commit order for ``export --since-last``: the ``change_counter`` row,
``change_seq`` on articles and their revisions, ``cursor_seq`` on export cursors.

Rows stored before it get ``change_seq`` 0; an export cursor saved before it has no
``cursor_seq`` and is read once more by its time (``cursor_at``), then by the counter.

Revision ID: 0003_change_counter
Revises: 0002_search_export
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_change_counter"
down_revision: str | None = "0002_search_export"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
    op.execute("INSERT INTO change_counter (id, seq) VALUES (1, 0)")
    for table in ("articles", "article_revisions"):
        op.add_column(
            table, sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
        op.create_index(op.f(f"ix_{table}_change_seq"), table, ["change_seq"], unique=False)
    op.add_column("export_cursors", sa.Column("cursor_seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_cursors") as batch:
        batch.drop_column("cursor_seq")
    for table in ("articles", "article_revisions"):
        op.drop_index(op.f(f"ix_{table}_change_seq"), table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("change_seq")
    op.drop_table("change_counter")
