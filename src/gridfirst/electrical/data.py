"""The bundled electrical tables: components, grid reliability per market, parameters, sources.

Reads and checks ``data/electrical/*.csv`` (every row joined to a source or an assumption); does
not size or evaluate anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

COMPONENT_COLUMNS = [
    "component", "stage", "description", "failure_rate_per_year", "mttr_hours", "unit_rating_mw",
    "cost_usd_per_kw", "cost_year", "reliability_source_id", "rating_source_id", "cost_source_id",
    "note",
]
GRID_COLUMNS = ["market_id", "country", "saidi_minutes", "saifi_per_year", "data_year", "source_id",
                "note"]
PARAMETER_COLUMNS = ["parameter", "value", "unit", "source_id", "note"]


def electrical_data_dir() -> Path:
    """Folder of the bundled electrical tables."""
    from gridfirst.data import data_dir

    return data_dir() / "electrical"


@dataclass(frozen=True)
class Component:
    """One kind of equipment: its reliability, unit rating and installed cost.

    Attributes
    ----------
    name : str
    stage : str
        Place in the chain (hv, mv, lv, ups, distribution, generation, cooling).
    failure_rate_per_year : float
        [1/yr].
    mttr_hours : float
        [h].
    unit_rating_mw : float
        Rating of one unit [MW, thermal MW for cooling].
    cost_usd_per_kw : float
        Installed cost per kW of rating [USD of ``cost_year``].
    """

    name: str
    stage: str
    description: str
    failure_rate_per_year: float
    mttr_hours: float
    unit_rating_mw: float
    cost_usd_per_kw: float


@dataclass(frozen=True)
class GridReliability:
    """Interruptions of the public grid at a market: SAIDI [min/yr] and SAIFI [1/yr]."""

    market_id: str
    saidi_minutes: float
    saifi_per_year: float
    source_id: str

    @property
    def mttr_hours(self) -> float:
        """Mean interruption duration (CAIDI = SAIDI / SAIFI) [h]."""
        return self.saidi_minutes / self.saifi_per_year / 60.0


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: electrical data file not found")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}; expected {columns}")
    return frame


def _number(path: Path, row: int, field: str, text: str, positive: bool = True) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path.name}: row {row + 2} field {field}: {text!r} is not a number") from None
    if not value == value or (positive and value <= 0) or value < 0:
        raise DataError(f"{path.name}: row {row + 2} field {field}: {text!r} must be > 0")
    return value


@lru_cache(maxsize=1)
def electrical_sources() -> pd.DataFrame:
    """Sources and assumptions of the electrical tables, indexed by ``source_id``."""
    from gridfirst.data import SOURCE_COLUMNS

    path = electrical_data_dir() / "sources_electrical.csv"
    frame = _read(path, SOURCE_COLUMNS)
    dup = frame["source_id"][frame["source_id"].duplicated()]
    if not dup.empty:
        raise DataError(f"{path.name}: duplicate source_id {sorted(set(dup))}")
    return frame.set_index("source_id")


def _check_sources(path: Path, frame: pd.DataFrame, fields: list[str]) -> None:
    known = set(electrical_sources().index)
    for field in fields:
        for i, sid in enumerate(frame[field]):
            if sid not in known:
                raise DataError(f"{path.name}: row {i + 2} field {field}: {sid!r} is not in "
                                "sources_electrical.csv")


@lru_cache(maxsize=1)
def components() -> dict[str, Component]:
    """The component table, by name."""
    path = electrical_data_dir() / "components.csv"
    frame = _read(path, COMPONENT_COLUMNS)
    _check_sources(path, frame, ["reliability_source_id", "rating_source_id", "cost_source_id"])
    out: dict[str, Component] = {}
    for i, row in enumerate(frame.to_dict("records")):
        name = row["component"]
        if name in out:
            raise DataError(f"{path.name}: row {i + 2}: duplicate component {name!r}")
        out[name] = Component(
            name=name, stage=row["stage"], description=row["description"],
            failure_rate_per_year=_number(path, i, "failure_rate_per_year", row["failure_rate_per_year"]),
            mttr_hours=_number(path, i, "mttr_hours", row["mttr_hours"]),
            unit_rating_mw=_number(path, i, "unit_rating_mw", row["unit_rating_mw"]),
            cost_usd_per_kw=_number(path, i, "cost_usd_per_kw", row["cost_usd_per_kw"]),
        )
    return out


@lru_cache(maxsize=1)
def grid_reliability() -> dict[str, GridReliability]:
    """SAIDI and SAIFI per bundled market id."""
    path = electrical_data_dir() / "grid_reliability.csv"
    frame = _read(path, GRID_COLUMNS)
    _check_sources(path, frame, ["source_id"])
    return {
        row["market_id"]: GridReliability(
            market_id=row["market_id"],
            saidi_minutes=_number(path, i, "saidi_minutes", row["saidi_minutes"]),
            saifi_per_year=_number(path, i, "saifi_per_year", row["saifi_per_year"]),
            source_id=row["source_id"],
        )
        for i, row in enumerate(frame.to_dict("records"))
    }


@lru_cache(maxsize=1)
def parameters() -> dict[str, float]:
    """Numeric parameters (tier availabilities, downtime cost, buffer costs, ...), by name."""
    path = electrical_data_dir() / "parameters_electrical.csv"
    frame = _read(path, PARAMETER_COLUMNS)
    _check_sources(path, frame, ["source_id"])
    return {row["parameter"]: _number(path, i, "value", row["value"])
            for i, row in enumerate(frame.to_dict("records"))}
