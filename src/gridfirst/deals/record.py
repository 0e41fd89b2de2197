"""A deal as the store takes and gives it: the scenario's Deal fields plus the pipeline's own.

Everything a scenario's ``deals[]`` entry holds maps one to one (:meth:`DealRecord.scenario_deal`);
key dates, MW by year, documents, terms and a close-probability override are the store's extras.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gridfirst.scenario import Deal, PpaTechnology

StoreKind = Literal["lease", "powered_shell", "build_to_suit", "colocation", "ppa",
                    "grid_connection", "land"]
Stage = Literal["prospect", "qualified", "nda", "loi", "term_sheet", "negotiation", "signed",
                "energised", "lost"]
_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    uri: str = Field(min_length=1, description="Where the document lives (URL or path).")


class DealRecord(BaseModel):
    """One deal of the pipeline (money in USD of the scenario's currency year)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(pattern=_ID_PATTERN)
    kind: StoreKind
    counterparty: str = Field(min_length=1)
    counterparty_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    market: str = Field(min_length=1)
    site: str | None = Field(default=None, pattern=_ID_PATTERN)
    site_name: str = ""
    site_latitude: float | None = Field(default=None, ge=-90, le=90)
    site_longitude: float | None = Field(default=None, ge=-180, le=180)
    capacity_mw: float = Field(gt=0, description="IT MW for space deals, MW for a PPA or a connection.")
    start_year: int = Field(ge=2000, le=2100)
    term_years: int = Field(ge=1, le=50)
    price_usd_per_kw_month: float | None = Field(default=None, ge=0)
    price_usd_per_mwh: float | None = Field(default=None, ge=0)
    take_or_pay_share: float = Field(default=0.0, ge=0, le=1)
    stage: Stage = "prospect"
    energy: Literal["included", "pass_through"] | None = None
    technology: PpaTechnology | None = None
    notes: str = ""
    terms: str = Field(default="", description="Other terms in words (indexation, break options).")
    energisation_date: date | None = None
    ready_for_service_date: date | None = None
    offer_expiry_date: date | None = None
    close_probability: float | None = Field(default=None, ge=0, le=1,
                                            description="Overrides the stage's probability.")
    mw_by_year: dict[int, float] = Field(default_factory=dict)
    documents: list[DocumentRef] = Field(default_factory=list)
    version: int = Field(default=0, description="The store's version (0: not stored yet).")

    def scenario_deal(self) -> Deal:
        """The scenario's view of this deal (raises ValueError for a kind the planner does not read)."""
        if self.kind in ("grid_connection", "land"):
            raise ValueError(f"deal {self.id}: a {self.kind} deal is not a planning candidate")
        return Deal(
            id=self.id, kind=self.kind,  # type: ignore[arg-type]  # checked above
            counterparty=self.counterparty, market=self.market,
            site=self.site, capacity_mw=self.capacity_mw, start_year=self.start_year,
            term_years=self.term_years, price_usd_per_kw_month=self.price_usd_per_kw_month,
            price_usd_per_mwh=self.price_usd_per_mwh, take_or_pay_share=self.take_or_pay_share,
            stage=self.stage, energy=self.energy, technology=self.technology, notes=self.notes,
        )

    def sign_by(self) -> date:
        """The last day to sign: the offer's expiry when given, else the 1 January of the first
        year of service (a space deal has no build lead time in the plan)."""
        start = date(self.start_year, 1, 1)
        return min(self.offer_expiry_date, start) if self.offer_expiry_date else start

    @classmethod
    def from_scenario_deal(cls, deal: Deal) -> DealRecord:
        return cls.model_validate(deal.model_dump())


#: Fields of a record that are columns of the ``deals`` table (tracked in the history).
COLUMN_FIELDS = ("kind", "market", "capacity_mw", "start_year", "term_years",
                 "price_usd_per_kw_month", "price_usd_per_mwh", "take_or_pay_share", "stage",
                 "notes", "terms", "energisation_date", "ready_for_service_date",
                 "offer_expiry_date", "close_probability", "energy", "technology")
