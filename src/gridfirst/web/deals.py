"""The deal pipeline over HTTP (``gridfirst deals`` add, list, show, move, history, import,
export): the endpoints call :class:`~gridfirst.deals.DealStore` and its importer as the CLI does.

The store is the SQLite file ``deals.sqlite`` of the data folder, opened once per app; a request
never names a database. Writes need the token; a move against a changed deal is a 409.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from gridfirst.web.security import WebError, encoded

#: Who a change is recorded as when the request names no one.
DEFAULT_BY = "web"


class DealAdd(BaseModel):
    """A new deal: every field of :class:`gridfirst.deals.DealRecord` (no ``version``), and who
    adds it and why."""

    deal: dict[str, Any] = Field(
        description="The deal's fields as `gridfirst deals add` takes them: id, kind, "
        "counterparty, market, capacity_mw, start_year, term_years, and optionally stage, site, "
        "prices, dates (YYYY-MM-DD), notes.",
        examples=[{"id": "tok-lease-1", "kind": "lease", "counterparty": "Acme DC",
                   "market": "jp-tokyo-inzai", "capacity_mw": 40, "start_year": 2028,
                   "term_years": 10, "price_usd_per_kw_month": 160}])
    by: str = Field(DEFAULT_BY, min_length=1, max_length=100)
    reason: str = Field("", max_length=1000)


class DealMove(BaseModel):
    stage: Literal["prospect", "qualified", "nda", "loi", "term_sheet", "negotiation", "signed",
                   "energised", "lost"]
    reason: str = Field("", max_length=1000, description="Why (kept in the history).")
    expect_version: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="Refuse (409) unless the deal is still at this version (GET the deal first).")
    by: str = Field(DEFAULT_BY, min_length=1, max_length=100)


class DealImport(BaseModel):
    csv: str | None = Field(None, description="CSV text (the columns `deals export` writes).")
    yaml: str | None = Field(None, description="A scenario YAML (or a bare deals: fragment) whose "
                             "deals: are taken.")
    by: str = Field(DEFAULT_BY, min_length=1, max_length=100)
    reason: str = Field("import", max_length=1000)


class DealStoreHolder:
    """The app's deal store, opened at its first use (opening runs the schema migrations)."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self._store: Any = None

    def get(self) -> Any:
        if self._store is None:
            from gridfirst.deals import DealStore

            self._store = DealStore(self.file)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def install_deals(app: FastAPI, holder: DealStoreHolder, data_dir: Path,
                  token: Callable[..., None]) -> None:
    """Add the ``/api/deals`` endpoints to ``app``."""

    def known(deal_id: str) -> Any:
        """The deal, or 404 naming the closest ids."""
        from gridfirst.errors import StoreError

        try:
            return holder.get().get(deal_id)
        except StoreError as exc:
            if "is not in the store" in str(exc):
                raise WebError(404, str(exc)) from None
            raise

    @app.get("/api/deals", tags=["deals"])
    def list_deals(stage: list[str] = Query([], max_length=20), live: bool = False
                   ) -> list[dict[str, Any]]:
        """The deals of the store by id (``gridfirst deals list``); ``live``: only those the
        planner takes."""
        from gridfirst.deals import STAGES

        bad = [s for s in stage if s not in STAGES]
        if bad:
            raise WebError(400, f"stage: {bad[0][:40]!r} is not one of {list(STAGES)}")
        store = holder.get()
        records = store.live_deals() if live else store.deals(stage or None)
        if live and stage:
            records = [r for r in records if r.stage in stage]
        return [r.model_dump(mode="json") for r in records]

    @app.get("/api/deals/history", tags=["deals"])
    def deal_history(deal: str | None = Query(None, max_length=100)) -> list[dict[str, Any]]:
        """Every change (or one deal's): who, when, which field, from, to, why, version."""
        if deal is not None:
            known(deal)
        return holder.get().history(deal)  # type: ignore[no-any-return]

    @app.get("/api/deals/export", tags=["deals"])
    def export_deals(as_: Literal["csv", "scenario"] = Query("csv", alias="as"),
                     live: bool = False) -> dict[str, Any]:
        """The deals as CSV text (reads back with import) or as a scenario ``deals:`` fragment."""
        from gridfirst.deals import to_csv, to_scenario_fragment

        store = holder.get()
        records = store.live_deals() if live else store.deals()
        text = to_csv(records) if as_ == "csv" else to_scenario_fragment(records)
        return {"as": as_, "count": len(records), "text": text}

    @app.get("/api/deals/{deal_id}", tags=["deals"])
    def show_deal(deal_id: str) -> dict[str, Any]:
        """One deal: every field, its version (for a move's ``expect_version``) and history."""
        record = known(deal_id)
        return {**record.model_dump(mode="json"), "history": holder.get().history(deal_id)}

    @app.post("/api/deals", tags=["deals"], status_code=201, dependencies=[Depends(token)])
    def add_deal(body: DealAdd) -> dict[str, Any]:
        """Add one deal (400 naming each bad field; 409 when its id is in the store)."""
        from pydantic import ValidationError

        from gridfirst.deals import DealRecord

        if "version" in body.deal:
            raise WebError(400, "deal.version: the store sets the version; leave it out")
        try:
            record = DealRecord.model_validate(body.deal)
        except ValidationError as exc:
            problems = [f"deal.{'.'.join(str(p) for p in e['loc'])}: {str(e.get('input'))[:80]!r} "
                        f"{e['msg']}" for e in exc.errors()]
            raise WebError(400, problems[0] if len(problems) == 1 else
                           f"{len(problems)} problems: " + "; ".join(problems[:5])) from None
        store = holder.get()
        if any(r.id == record.id for r in store.deals()):
            raise WebError(409, f"deal {record.id!r} is already in the store; use import to "
                           "update it")
        return store.add(record, by=body.by, reason=body.reason).model_dump(  # type: ignore[no-any-return]
            mode="json")

    @app.post("/api/deals/import", tags=["deals"], dependencies=[Depends(token)])
    def import_deals(body: DealImport) -> dict[str, Any]:
        """Add new deals and update existing ones in one transaction: every row or none (400
        with one line per bad row)."""
        from gridfirst.deals import read_csv, read_scenario_deals
        from gridfirst.errors import DataError

        if (body.csv is None) == (body.yaml is None):
            raise WebError(400, "give exactly one of csv (CSV text) or yaml (a scenario's deals:)")
        name = "deals.csv" if body.csv is not None else "deals.yaml"
        text = body.csv if body.csv is not None else body.yaml
        assert text is not None
        with tempfile.TemporaryDirectory(prefix=".deals-", dir=data_dir) as folder:
            file = Path(folder) / name
            file.write_bytes(encoded(text, name))
            try:
                records = read_csv(file) if body.csv is not None else read_scenario_deals(file)
            except DataError as exc:
                lines = [line for line in str(exc).splitlines() if line.strip()]
                rows = lines[1:] if len(lines) > 1 else lines
                raise WebError(400, rows[0] if len(rows) == 1 else
                               f"{lines[0]} ({len(rows)} problems): " + "; ".join(rows[:5])
                               ) from None
        counts = holder.get().import_records(records, by=body.by, reason=body.reason)
        return {"file": name, **counts}

    @app.post("/api/deals/{deal_id}/move", tags=["deals"], dependencies=[Depends(token)])
    def move_deal(deal_id: str, body: DealMove) -> dict[str, Any]:
        """Move a deal to another stage; a change since ``expect_version`` is a 409 conflict,
        never overwritten."""
        known(deal_id)
        moved = holder.get().move(deal_id, body.stage, by=body.by, reason=body.reason,
                                  expect_version=body.expect_version)
        return moved.model_dump(mode="json")  # type: ignore[no-any-return]
