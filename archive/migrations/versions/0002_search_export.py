"""Search and export at scale: export cursors, an index on ``articles.updated_at``, the search
index rebuilt with traditional/simplified folding, lz4 compression of article text (PostgreSQL).

Revision ID: 0002_search_export
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive.search import rebuild_index, use_lz4_compression

revision = "0002_search_export"
down_revision: str | None = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_cursors",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("cursor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_export_cursors")),
    )
    op.create_index(op.f("ix_articles_updated_at"), "articles", ["updated_at"], unique=False)
    bind = op.get_bind()
    use_lz4_compression(bind)
    # The index text now folds traditional characters to simplified ones: index everything again.
    rebuild_index(bind)


def downgrade() -> None:
    op.drop_index(op.f("ix_articles_updated_at"), table_name="articles")
    op.drop_table("export_cursors")
