"""Deals store: MW by year (a ramp) and a per-deal close probability override.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_mw_by_year",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.String(100), sa.ForeignKey("deals.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("mw", sa.Float, nullable=False),
        sa.UniqueConstraint("deal_id", "year"),
    )
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("close_probability", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("close_probability")
    op.drop_table("deal_mw_by_year")
