"""Deals store: a space deal's energy terms and a PPA's technology.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("energy", sa.String(20)))
        batch.add_column(sa.Column("technology", sa.String(30)))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("technology")
        batch.drop_column("energy")
