"""Bundled, sourced datasets and their loaders.

Market facts are tidy: one fact a row (``facts_*.csv``: market_id, field, value, source_id,
data_year, note) joined to one sources table (``sources_*.csv``). Assumptions are source rows of
kind ``assumption`` with their reasoning. Nothing here downloads anything.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.scenario import Market

FACT_COLUMNS = ["market_id", "field", "value", "source_id", "data_year", "note"]
SOURCE_COLUMNS = [
    "source_id",
    "kind",
    "publisher",
    "title",
    "year",
    "url",
    "retrieved",
    "licence",
    "reasoning",
]
TEXT_FIELDS = {"ai_training_legal_regime", "incentives"}
LIST_FIELDS = {"cable_systems"}
INT_FIELDS = {"grid_energisation_year", "cyclone_hazard_level"}


def data_dir() -> Path:
    """Folder of the bundled data files (inside the installed package)."""
    return Path(str(resources.files("gridfirst") / "data"))


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pragma: no cover - the message is what matters
        raise DataError(f"{path.name}: cannot be read as CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}; expected {columns}")
    return frame[columns]


@lru_cache(maxsize=1)
def sources() -> pd.DataFrame:
    """All sources and assumptions, indexed by ``source_id``."""
    import pandas as pd

    frames = [_read_csv(p, SOURCE_COLUMNS) for p in sorted(data_dir().glob("sources_*.csv"))]
    if not frames:
        raise DataError(f"{data_dir()}: no sources_*.csv file")
    table = pd.concat(frames, ignore_index=True)
    dup = table["source_id"][table["source_id"].duplicated()]
    if not dup.empty:
        raise DataError(f"sources_*.csv: duplicate source_id {sorted(set(dup))}")
    return table.set_index("source_id")


@lru_cache(maxsize=1)
def market_identities() -> pd.DataFrame:
    """id, name, country, region, latitude, longitude and location source of each market."""
    import pandas as pd

    frame = pd.read_csv(data_dir() / "markets.csv", dtype={"latitude": float, "longitude": float})
    return frame.set_index("id")


@lru_cache(maxsize=1)
def market_facts() -> pd.DataFrame:
    """Every market fact with its source joined: one row per (market_id, field)."""
    import pandas as pd

    frames = [_read_csv(p, FACT_COLUMNS) for p in sorted(data_dir().glob("facts_*.csv"))]
    if not frames:
        raise DataError(f"{data_dir()}: no facts_*.csv file")
    facts = pd.concat(frames, ignore_index=True)
    key = facts[["market_id", "field"]]
    dup = facts[key.duplicated(keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise DataError(f"facts_*.csv: {first.market_id}.{first.field} is given more than once")
    src = sources().reset_index()[["source_id", "kind", "publisher", "title", "year", "url"]]
    src = src.rename(columns={"year": "source_year"})
    return facts.merge(src, on="source_id", how="left")


def _convert(field: str, raw: str) -> object:
    if field in LIST_FIELDS:
        return [item.strip() for item in raw.split(";") if item.strip()]
    if field in TEXT_FIELDS:
        return raw
    if field in INT_FIELDS:
        return int(float(raw))
    return float(raw)


@lru_cache(maxsize=1)
def _bundled_markets_cached() -> tuple[Market, ...]:
    from pydantic import ValidationError

    from gridfirst.scenario import Market, _format_error

    ids = market_identities()
    facts = market_facts()
    markets = []
    for mid, ident in ids.iterrows():
        record: dict[str, object] = {
            "id": mid,
            "name": ident["name"],
            "country": ident["country"],
            "region": ident["region"],
            "latitude": ident["latitude"],
            "longitude": ident["longitude"],
        }
        for row in facts[facts["market_id"] == mid].itertuples():
            try:
                record[row.field] = _convert(row.field, row.value)
            except ValueError:
                raise DataError(
                    f"facts_*.csv: {mid}.{row.field}: {row.value!r} is not a valid value"
                ) from None
        try:
            markets.append(Market.model_validate(record))
        except ValidationError as exc:
            problems = "; ".join(_format_error(e, prefix=f"bundled market {mid}") for e in exc.errors())
            raise DataError(problems) from None
    return tuple(markets)


def bundled_markets() -> list[Market]:
    """The bundled markets, validated, as :class:`~gridfirst.scenario.Market` objects."""
    return [m.model_copy() for m in _bundled_markets_cached()]


def market_provenance(market_id: str) -> pd.DataFrame:
    """Every field of one market with its value, source and data year."""
    facts = market_facts()
    rows = facts[facts["market_id"] == market_id]
    if rows.empty and market_id not in market_identities().index:
        known = ", ".join(market_identities().index)
        raise DataError(f"market {market_id!r} is not bundled; known ids: {known}")
    return rows.drop(columns=["market_id"]).reset_index(drop=True)
