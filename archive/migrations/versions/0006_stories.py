"""Stories across sites: ``articles.story_id`` and the ``story_bands`` index of MinHash
buckets (:mod:`archive.stories`), with every article already archived placed in its story
(in batches of articles, progress reported as ``story_progress(done, total)``).

Revision ID: 0006_stories
Revises: 0005_run_site_health
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive.stories import rebuild_stories

revision = "0006_stories"
down_revision: str | None = "0005_run_site_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("story_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_articles_story_id"), "articles", ["story_id"], unique=False)
    op.create_table(
        "story_bands",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "band", name=op.f("pk_story_bands")),
    )
    op.create_index(op.f("ix_story_bands_bucket"), "story_bands", ["bucket"], unique=False)
    context = op.get_context()
    attributes = context.config.attributes if context.config is not None else {}
    rebuild_stories(op.get_bind(), progress=attributes.get("story_progress"))


def downgrade() -> None:
    op.drop_index(op.f("ix_story_bands_bucket"), table_name="story_bands")
    op.drop_table("story_bands")
    op.drop_index(op.f("ix_articles_story_id"), table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("story_id")
