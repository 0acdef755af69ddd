"""One crawl, N workers: leases on ``pages`` (``claimed_by``, ``lease_expires_at``), the
``workers`` table, the ``distributed_crawls`` table (when a profile's shared crawl was
seeded), and the PostgreSQL politeness tables ``host_slots`` and ``host_pace``.

Revision ID: 0007_workers
Revises: 0006_stories
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_workers"
down_revision: str | None = "0006_stories"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_pages_claimed_by", "pages", ["claimed_by"], unique=False)
    op.create_index("ix_pages_profile_state_id", "pages", ["profile", "state", "id"], unique=False)
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("pages_claimed", sa.Integer(), nullable=False),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("current_url", sa.Text(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_workers_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_index("ix_workers_profile", "workers", ["profile"], unique=False)
    op.create_table(
        "distributed_crawls",
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seeded_by", sa.String(length=128), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("profile", name=op.f("pk_distributed_crawls")),
    )
    op.create_table(
        "host_slots",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=160), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", "holder", name=op.f("pk_host_slots")),
    )
    op.create_table(
        "host_pace",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_host_pace")),
    )


def downgrade() -> None:
    op.drop_table("host_pace")
    op.drop_table("host_slots")
    op.drop_table("distributed_crawls")
    op.drop_index("ix_workers_profile", table_name="workers")
    op.drop_table("workers")
    op.drop_index("ix_pages_profile_state_id", table_name="pages")
    op.drop_index("ix_pages_claimed_by", table_name="pages")
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("claimed_by")
