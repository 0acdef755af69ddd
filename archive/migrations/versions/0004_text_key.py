"""One text, one article: ``articles.text_key`` (the body's key whatever its headline and page
furniture), indexed with ``site``, and filled for the articles already archived, so that an
upgraded archive recognises copies of what it holds.

Revision ID: 0004_text_key
Revises: 0003_change_counter
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive.articles import fill_text_keys

revision = "0004_text_key"
down_revision: str | None = "0003_change_counter"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("text_key", sa.String(length=64), nullable=True))
    op.create_index("ix_articles_site_text_key", "articles", ["site", "text_key"], unique=False)
    context = op.get_context()
    attributes = context.config.attributes if context.config is not None else {}
    fill_text_keys(op.get_bind(), progress=attributes.get("progress"))


def downgrade() -> None:
    op.drop_index("ix_articles_site_text_key", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("text_key")
