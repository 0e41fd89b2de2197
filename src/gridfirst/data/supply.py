"""Supply options per market: what a large buyer can contract, with its legal basis, cost and source.

Reads ``data/supply/options_*.csv`` (one option a row) and ``sources_supply_*.csv``, checks
them (columns, kinds, contracts, numbers, every source joined) and answers per market. How the
options are dispatched hour by hour is :mod:`gridfirst.procurement`'s.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import pandas as pd

from gridfirst.errors import DataError

OPTION_COLUMNS = [
    "market_id", "option", "kind", "contract", "allowed", "legal_basis", "max_mw",
    "earliest_year", "capex_usd_per_kw", "fixed_om_usd_per_kw_year", "price_usd_per_mwh",
    "capacity_factor", "cost_basis", "profile", "source_id", "data_year", "note",
]
KINDS = frozenset({
    "solar", "wind", "offshore_wind", "hydro", "geothermal", "nuclear_ppa", "new_nuclear",
    "licensed_import", "green_tariff", "gas_ccs", "battery", "long_duration_storage", "bioenergy",
})
CONTRACTS = frozenset({"on_site", "physical_ppa", "virtual_ppa", "cfd", "green_tariff",
                       "certificates", "licensed_import"})
COST_BASES = frozenset({"capex", "ppa_price", "premium_over_grid"})
NUMBER_COLUMNS = ["max_mw", "earliest_year", "capex_usd_per_kw", "fixed_om_usd_per_kw_year",
                  "price_usd_per_mwh", "capacity_factor", "data_year"]


def supply_dir() -> Path:
    from gridfirst.data import data_dir

    return data_dir() / "supply"


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot be read as CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}")
    frame["file"] = path.name
    frame["line"] = range(2, len(frame) + 2)
    return frame


@lru_cache(maxsize=1)
def supply_sources() -> pd.DataFrame:
    """Sources and assumptions of the supply options, indexed by ``source_id``."""
    from gridfirst.data import SOURCE_COLUMNS

    frames = [_read(p, SOURCE_COLUMNS) for p in sorted(supply_dir().glob("sources_supply_*.csv"))]
    table = pd.concat(frames, ignore_index=True)
    dup = table["source_id"][table["source_id"].duplicated()]
    if not dup.empty:
        raise DataError(f"sources_supply_*.csv: duplicate source_id {sorted(set(dup))}")
    return table.set_index("source_id")


def check_options(frame: pd.DataFrame, known_sources: set[str]) -> pd.DataFrame:
    """Validate option rows; every problem names the file, line, field and value.

    Returns the frame with numeric columns as floats (NaN where empty) and ``allowed`` as bool.
    """
    problems: list[str] = []
    out = frame.copy()

    def bad(i: int, field: str, value: object, why: str) -> None:
        problems.append(f"{out.at[i, 'file']}: line {out.at[i, 'line']}: {field}: {value!r} {why}")

    for col in NUMBER_COLUMNS:
        values = []
        for i, raw in out[col].items():
            if str(raw).strip() == "":
                values.append(math.nan)
                continue
            try:
                number = float(raw)
            except ValueError:
                bad(int(i), col, raw, "is not a number")
                number = math.nan
            if not math.isfinite(number) or number < 0:
                bad(int(i), col, raw, "must be a finite number >= 0")
            values.append(number)
        out[col] = values
    for i, row in out.iterrows():
        i = int(i)
        if row["kind"] not in KINDS:
            bad(i, "kind", row["kind"], f"is not one of {sorted(KINDS)}")
        if row["contract"] not in CONTRACTS:
            bad(i, "contract", row["contract"], f"is not one of {sorted(CONTRACTS)}")
        if row["allowed"] not in ("yes", "no"):
            bad(i, "allowed", row["allowed"], "must be yes or no")
        elif row["allowed"] == "no" and not str(row["legal_basis"]).strip():
            bad(i, "legal_basis", "", "must name the law or rule when allowed is no")
        if row["allowed"] == "yes" and row["cost_basis"] not in COST_BASES:
            bad(i, "cost_basis", row["cost_basis"], f"is not one of {sorted(COST_BASES)}")
        if row["source_id"] not in known_sources:
            bad(i, "source_id", row["source_id"], "joins no row of sources_supply_*.csv")
        cf = row["capacity_factor"]
        if isinstance(cf, float) and cf > 1:
            bad(i, "capacity_factor", cf, "is above 1")
    if problems:
        raise DataError("\n".join(problems[:20]))
    out["allowed"] = out["allowed"] == "yes"
    return out


@lru_cache(maxsize=1)
def supply_options() -> pd.DataFrame:
    """Every bundled supply option (columns :data:`OPTION_COLUMNS`, plus ``file`` and ``line``)."""
    frames = [_read(p, OPTION_COLUMNS) for p in sorted(supply_dir().glob("options_*.csv"))]
    table = pd.concat(frames, ignore_index=True)
    table = check_options(table, set(supply_sources().index))
    dup = table[table.duplicated(["market_id", "option"], keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise DataError(f"{first['file']}: line {first['line']}: option {first['option']!r} of "
                        f"{first['market_id']} is given twice")
    return table


def market_supply(market_id: str) -> pd.DataFrame:
    """A market's options with their source (publisher, title, year, url, kind of source)."""
    table = supply_options()
    rows = table[table["market_id"] == market_id]
    if rows.empty:
        import difflib

        known = sorted(set(table["market_id"]))
        close = difflib.get_close_matches(market_id, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise DataError(f"market: {market_id!r} has no supply options{hint}")
    src = supply_sources()
    rows = rows.drop(columns=["file", "line"]).reset_index(drop=True)
    for col in ("earliest_year", "data_year"):
        rows[col] = [int(v) if math.isfinite(v) else None for v in rows[col]]
    for col in ("kind", "publisher", "title", "year", "url"):
        rows[f"source_{col}"] = [str(src.at[s, col]) for s in rows["source_id"]]
    return rows


def has_supply(market_id: str) -> bool:
    """Whether the bundled data hold supply options for a market."""
    return bool((supply_options()["market_id"] == market_id).any())


@lru_cache(maxsize=1)
def cost_factors() -> dict[tuple[str, str], float]:
    """Capital-cost factors against US ATB by (country, technology), from ``cost_factors.csv``."""
    path = supply_dir() / "cost_factors.csv"
    frame = _read(path, ["country", "technology", "factor_vs_us", "source_id", "data_year"])
    known = set(supply_sources().index)
    out: dict[tuple[str, str], float] = {}
    for row in frame.to_dict(orient="records"):
        where = f"{path.name}: line {row['line']}"
        try:
            value = float(row["factor_vs_us"])
        except ValueError:
            raise DataError(f"{where}: factor_vs_us: {row['factor_vs_us']!r} is not a number") from None
        if not (math.isfinite(value) and value > 0):
            raise DataError(f"{where}: factor_vs_us: {value!r} must be > 0")
        if row["source_id"] not in known:
            raise DataError(f"{where}: source_id: {row['source_id']!r} joins no source")
        out[(str(row["country"]), str(row["technology"]))] = value
    return out
