"""The deals store's tables: counterparties, sites, deals, their MW by year, documents and history.

SQLAlchemy 2 typed declarative classes; the schema itself is created and changed only by the
Alembic migrations beside this module (``migrations/versions``), never by ``create_all``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Kinds a deal can have; the first five are candidates of the planner (scenario ``deals[].kind``).
KINDS = ("lease", "powered_shell", "build_to_suit", "colocation", "ppa", "grid_connection", "land")
#: Kinds the planner reads as candidates (space deals and energy PPAs).
PLANNED_KINDS = KINDS[:5]


class Base(DeclarativeBase):
    pass


class Counterparty(Base):
    """Who the deal is with: a landlord, developer, colocation provider, generator or utility."""

    __tablename__ = "counterparties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    notes: Mapped[str] = mapped_column(Text, default="")


class StoreSite(Base):
    """A site a deal is on: an id in the scenario's ``sites`` namespace, its market and place."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    market: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class DealRow(Base):
    """One deal; ``version`` is SQLAlchemy's optimistic-locking counter (a stale write fails)."""

    __tablename__ = "deals"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparties.id"))
    market: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"))
    capacity_mw: Mapped[float] = mapped_column(Float)
    start_year: Mapped[int] = mapped_column(Integer)
    term_years: Mapped[int] = mapped_column(Integer)
    price_usd_per_kw_month: Mapped[float | None] = mapped_column(Float)
    price_usd_per_mwh: Mapped[float | None] = mapped_column(Float)
    take_or_pay_share: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(30), default="prospect")
    notes: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    energisation_date: Mapped[date | None] = mapped_column(Date)
    ready_for_service_date: Mapped[date | None] = mapped_column(Date)
    offer_expiry_date: Mapped[date | None] = mapped_column(Date)
    close_probability: Mapped[float | None] = mapped_column(Float)
    energy: Mapped[str | None] = mapped_column(String(20))
    technology: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    counterparty: Mapped[Counterparty] = relationship()
    site: Mapped[StoreSite | None] = relationship()
    mw_by_year: Mapped[list[DealYearMW]] = relationship(
        cascade="all, delete-orphan", order_by="DealYearMW.year")
    documents: Mapped[list[Document]] = relationship(cascade="all, delete-orphan",
                                                     order_by="Document.id")

    __mapper_args__ = {"version_id_col": version}


class DealYearMW(Base):
    """MW of a deal in one year (a ramp); the planner reads ``capacity_mw``, not the ramp."""

    __tablename__ = "deal_mw_by_year"
    __table_args__ = (UniqueConstraint("deal_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    mw: Mapped[float] = mapped_column(Float)


class Document(Base):
    """A document by reference (a URI or a path in the team's document system), never its bytes."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    uri: Mapped[str] = mapped_column(Text)


class DealEvent(Base):
    """One change of a deal: who, when, which field, from what, to what, and why."""

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(60))
    from_value: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)
