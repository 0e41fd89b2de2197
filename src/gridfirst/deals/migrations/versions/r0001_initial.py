"""Deals store: counterparties, sites, deals, documents and the change history.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counterparties",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("country", sa.String(2)),
        sa.Column("notes", sa.Text, nullable=False),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("market", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("counterparty_id", sa.Integer, sa.ForeignKey("counterparties.id"), nullable=False),
        sa.Column("market", sa.String(100), nullable=False),
        sa.Column("site_id", sa.String(100), sa.ForeignKey("sites.id")),
        sa.Column("capacity_mw", sa.Float, nullable=False),
        sa.Column("start_year", sa.Integer, nullable=False),
        sa.Column("term_years", sa.Integer, nullable=False),
        sa.Column("price_usd_per_kw_month", sa.Float),
        sa.Column("price_usd_per_mwh", sa.Float),
        sa.Column("take_or_pay_share", sa.Float, nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("energisation_date", sa.Date),
        sa.Column("ready_for_service_date", sa.Date),
        sa.Column("offer_expiry_date", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.String(100), sa.ForeignKey("deals.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
    )
    op.create_table(
        "deal_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("deal_id", sa.String(100), sa.ForeignKey("deals.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("from_value", sa.Text),
        sa.Column("to_value", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_deal_events_deal_id", "deal_events", ["deal_id"])


def downgrade() -> None:
    op.drop_index("ix_deal_events_deal_id", table_name="deal_events")
    for table in ("deal_events", "documents", "deals", "sites", "counterparties"):
        op.drop_table(table)
