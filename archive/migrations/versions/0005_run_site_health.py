"""Extraction health per site and run: the ``run_site_health`` table.

Runs recorded before it have no figures; ``newsarchive health`` shows them as such and leaves
them out of the baselines it compares later runs with.

Revision ID: 0005_run_site_health
Revises: 0004_text_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_site_health"
down_revision: str | None = "0004_text_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_site_health",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("with_author", sa.Integer(), nullable=False),
        sa.Column("with_date", sa.Integer(), nullable=False),
        sa.Column("with_source", sa.Integer(), nullable=False),
        sa.Column("with_section", sa.Integer(), nullable=False),
        sa.Column("median_text_chars", sa.Integer(), nullable=True),
        sa.Column("known_unchanged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_run_site_health_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "site", name=op.f("pk_run_site_health")),
    )


def downgrade() -> None:
    op.drop_table("run_site_health")
