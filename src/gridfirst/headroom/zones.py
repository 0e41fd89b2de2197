"""Hourly system loads for the headroom method: the shipped balancing authorities and the user's file.

Reads and checks tables only; the method is :mod:`gridfirst.headroom.curtailment`.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from gridfirst.data import SOURCE_COLUMNS, data_dir
from gridfirst.errors import DataError

TIME_COLUMNS = ("time_utc", "time", "timestamp", "date_time")
#: Largest hourly load a file may hold [MW]: ten terawatts, above the whole world's peak demand,
#: so a larger value is a unit slip (W or kW for MW), not a system (an assumption).
MAX_LOAD_MW = 1e7


def headroom_dir() -> Path:
    """Folder of the shipped hourly loads, their zone table and sources."""
    return data_dir() / "headroom"


def _table(name: str) -> pd.DataFrame:
    path = headroom_dir() / name
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: missing bundled file") from exc


@lru_cache(maxsize=1)
def _sources() -> pd.DataFrame:
    table = _table("sources_headroom.csv")
    if list(table.columns) != SOURCE_COLUMNS:
        raise DataError(f"sources_headroom.csv: columns {list(table.columns)} != {SOURCE_COLUMNS}")
    return table.set_index("source_id")


def shipped_zones() -> pd.DataFrame:
    """The shipped zones: zone, name, source (publisher and licence), year span, markets, file."""
    zones = _table("zones.csv")
    sources = _sources()
    unknown = set(zones["source_id"]) - set(sources.index)
    if unknown:
        raise DataError(f"headroom/zones.csv: source_id {sorted(unknown)} not in sources_headroom.csv")
    zones["source"] = [
        f"{sources.at[s, 'publisher']} ({sources.at[s, 'licence']})" for s in zones["source_id"]
    ]
    zones["year"] = zones["first_year"] + "-" + zones["last_year"]
    return zones


def published_headroom() -> pd.DataFrame:
    """Published headroom figures per zone and budget [MW] with their source (for the comparison)."""
    table = _table("published.csv")
    table["budget"] = table["budget"].astype(float)
    table["headroom_mw"] = table["headroom_mw"].astype(float)
    return table


def market_zone(market_id: str) -> str | None:
    """The shipped zone a bundled market sits in, or None."""
    for _, row in shipped_zones().iterrows():
        if market_id in row["markets"].split(";"):
            return str(row["zone"])
    return None


def read_load_csv(path: str | Path, name: str | None = None) -> pd.Series:
    """Read and check an hourly load file: a time column and ``load_mw``, one row an hour.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (optionally gzip) or Parquet (``.parquet``) with ``time_utc`` (or ``time``,
        ``timestamp``, ``date_time``; naive times are read as UTC) and ``load_mw`` [MW].
    name : str, optional
        Name used in error messages (defaults to the path).

    Raises
    ------
    DataError
        Empty or unreadable file, missing or repeated column, unreadable or duplicate time, an
        hour missing (a gap) or a step other than one hour, a load that is missing, not a
        finite number, negative or above :data:`MAX_LOAD_MW`, a load of zero in every hour, or
        fewer than 24 hours.
    """
    label = name or str(path)
    frame = _read_table(Path(path), label)
    time_col = next((c for c in TIME_COLUMNS if c in frame.columns), None)
    if time_col is None or "load_mw" not in frame.columns:
        raise DataError(
            f"{label}: columns {list(frame.columns)}; expected a time column "
            f"({', '.join(TIME_COLUMNS)}) and load_mw"
        )
    for column in (time_col, "load_mw"):
        if f"{column}.1" in frame.columns:  # pandas renames a repeated header to "name.1"
            raise DataError(f"{label}: column {column} appears twice; keep one")
    with warnings.catch_warnings():
        # pandas warns that it parses element by element; an unreadable time is our error below
        warnings.simplefilter("ignore", UserWarning)
        times = pd.to_datetime(frame[time_col], errors="coerce", utc=True)
    if times.isna().any():
        row = int(times.isna().to_numpy().argmax())
        raise DataError(f"{label}: {time_col} row {row + 2} = {frame[time_col].iloc[row]!r} is not a time")
    load = pd.to_numeric(frame["load_mw"], errors="coerce")
    bad = ~np.isfinite(load.to_numpy(dtype=float)) | (load < 0) | (load > MAX_LOAD_MW)
    if bad.any():
        row = int(bad.argmax())
        raise DataError(
            f"{label}: load_mw row {row + 2} = {frame['load_mw'].iloc[row]!r}; expected a "
            f"finite load >= 0 MW and at most {MAX_LOAD_MW:.0e} MW"
        )
    if len(load) and not (load > 0).any():
        raise DataError(f"{label}: load_mw is 0 in every hour; a system load is needed")
    index = pd.DatetimeIndex(times).tz_localize(None)
    series = pd.Series(load.to_numpy(dtype=float), index=index, name="load_mw")
    _check_hourly(series, label, time_col)
    return series


def _read_table(path: Path, label: str) -> pd.DataFrame:
    """The file's cells as text (CSV, gzip CSV or Parquet); a readable reason when it is not."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(str).where(frame.notna(), "")
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise DataError(f"{label}: no such file") from exc
    except IsADirectoryError as exc:
        raise DataError(f"{label}: is a folder; give a CSV or Parquet file") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{label}: empty file; expected a header time_utc,load_mw and one row an hour") from exc
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "CSV (UTF-8)"
        raise DataError(f"{label}: not a readable {kind} file ({str(exc)[:120]})") from exc


def _check_hourly(series: pd.Series, label: str, time_col: str) -> None:
    if len(series) < 24:
        raise DataError(f"{label}: {len(series)} hours of load; need at least a day")
    step = pd.Series(series.index).diff().iloc[1:]
    hour = pd.Timedelta(hours=1)
    if (step != hour).any():
        i = int((step != hour).to_numpy().argmax()) + 1
        before, after = series.index[i - 1], series.index[i]
        if after <= before:
            raise DataError(
                f"{label}: {time_col} {after:%Y-%m-%dT%H:%M} follows {before:%Y-%m-%dT%H:%M}; "
                "times must increase by one hour (no duplicates, in order)"
            )
        if (after - before) % hour:
            minutes = (after - before) / pd.Timedelta(minutes=1)
            raise DataError(
                f"{label}: {time_col} {after:%Y-%m-%dT%H:%M} is {minutes:g} minutes after "
                f"{before:%Y-%m-%dT%H:%M}; the method needs one row an hour, on the hour "
                "(average sub-hourly data to hours first)"
            )
        missing = int((after - before) / hour) - 1
        raise DataError(
            f"{label}: load gap: {missing} hour(s) missing between {before:%Y-%m-%dT%H:%M} and "
            f"{after:%Y-%m-%dT%H:%M}; fill them (the method needs every hour) or drop the period"
        )


@lru_cache(maxsize=8)
def _zone_load_cached(zone: str) -> pd.Series:
    zones = shipped_zones().set_index("zone")
    return read_load_csv(headroom_dir() / zones.at[zone, "file"], name=f"headroom/{zone}")


def zone_load(zone: str) -> pd.Series:
    """The shipped hourly load of a zone [MW] (a copy)."""
    names = list(shipped_zones()["zone"])
    if zone.upper() not in names:
        raise DataError(f"zone: {zone!r} is not shipped; shipped zones are {', '.join(names)}")
    return _zone_load_cached(zone.upper()).copy()


def load_for(zone_or_file: str) -> tuple[str, pd.Series]:
    """A shipped zone by name, else the user's file: (label, hourly load [MW])."""
    if zone_or_file.upper() in set(shipped_zones()["zone"]):
        return zone_or_file.upper(), zone_load(zone_or_file)
    if not zone_or_file.strip():
        raise DataError(f"zone: {zone_or_file!r} is empty; give a shipped zone or a load file")
    path = Path(zone_or_file)
    if path.suffix.lower() in {".csv", ".gz", ".parquet"} or path.exists():
        return str(path), read_load_csv(path)
    names = ", ".join(shipped_zones()["zone"])
    raise DataError(f"zone: {zone_or_file!r} is neither a shipped zone ({names}) nor a load file")
