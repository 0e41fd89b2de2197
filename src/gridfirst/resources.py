"""Hourly resource and grid profiles of a site: solar and wind capacity factors, grid price and carbon.

Profiles come from a user's file (:func:`read_profiles`, validated) or are synthesised from a
market's annual figures (:func:`market_profiles`); procurement decisions live elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.scenario import Market

PROFILE_COLUMNS = (
    "load_mw",
    "solar_cf",
    "wind_cf",
    "grid_price_usd_per_mwh",
    "grid_intensity_tco2_per_mwh",
    "grid_cfe_share",
)
OPTIONAL_COLUMNS = {"grid_cfe_share": 0.0}
# Columns that are shares (0..1); prices may be negative in real markets, the rest may not.
_SHARE_COLUMNS = ("solar_cf", "wind_cf", "grid_cfe_share")
_NON_NEGATIVE = ("load_mw", "solar_cf", "wind_cf", "grid_intensity_tco2_per_mwh", "grid_cfe_share")
HOURS_PER_YEAR = 8760


def validate_profiles(
    frame: pd.DataFrame, source: str = "profiles", expected_hours: int | None = HOURS_PER_YEAR
) -> pd.DataFrame:
    """Check hourly profiles and return them with exactly :data:`PROFILE_COLUMNS`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per hour. ``grid_cfe_share`` may be absent (taken as 0); extra columns are
        dropped.
    source : str
        Name used in error messages (the file name).
    expected_hours : int or None
        Required number of rows; None accepts any number >= 1.

    Raises
    ------
    DataError
        Missing column, wrong length, non-numeric, NaN, negative value, or a share above 1; the
        message names ``source``, the column and the first bad row.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: expected a table of hourly profiles, got {type(frame).__name__}")
    frame = frame.copy()
    for name, default in OPTIONAL_COLUMNS.items():
        if name not in frame.columns:
            frame[name] = default
    missing = [c for c in PROFILE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {missing}; expected {list(PROFILE_COLUMNS)} "
            f"(grid_cfe_share optional), found {list(frame.columns)}"
        )
    frame = frame[list(PROFILE_COLUMNS)]
    rows = len(frame)
    if rows == 0 or (expected_hours is not None and rows != expected_hours):
        wanted = expected_hours if expected_hours is not None else ">= 1"
        raise DataError(f"{source}: has {rows} rows; expected {wanted} hourly rows")
    for name in PROFILE_COLUMNS:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() & frame[name].notna()
        if bad.any():
            pos = int(np.argmax(bad.to_numpy()))
            raise DataError(
                f"{source}: column {name!r} row {pos}: {frame[name].iloc[pos]!r} is not a number"
            )
        arr = values.to_numpy(dtype=np.float64)
        if not np.isfinite(arr).all():
            pos = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise DataError(f"{source}: column {name!r} row {pos}: value {arr[pos]} (NaN or inf)")
        if name in _NON_NEGATIVE and (arr < 0).any():
            pos = int(np.flatnonzero(arr < 0)[0])
            raise DataError(f"{source}: column {name!r} row {pos}: negative value {arr[pos]}")
        if name in _SHARE_COLUMNS and (arr > 1).any():
            pos = int(np.flatnonzero(arr > 1)[0])
            raise DataError(
                f"{source}: column {name!r} row {pos}: {arr[pos]} is above 1 "
                "(capacity factors and shares are fractions 0..1)"
            )
        frame[name] = arr
    return frame


def read_profiles(path: str | Path, expected_hours: int | None = HOURS_PER_YEAR) -> pd.DataFrame:
    """Read hourly profiles from a CSV or Parquet file and validate them.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``) or Parquet (``.parquet``/``.pq``) with the columns of
        :data:`PROFILE_COLUMNS` (``grid_cfe_share`` optional). A ``time``/``timestamp``/
        ``datetime``/``snapshot`` column, if present, becomes the index.
    expected_hours : int or None
        Required number of rows (8760 by default); None accepts any.

    Returns
    -------
    pandas.DataFrame
        The validated profiles.

    Raises
    ------
    DataError
        The file is missing or unreadable, or :func:`validate_profiles` rejects it.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: profile file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path)
        else:
            raise DataError(f"{path}: unknown profile format {suffix!r}; use .csv or .parquet")
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot be read: {exc}") from None
    for name in ("time", "timestamp", "datetime", "snapshot", "utc_time"):
        if name in frame.columns:
            try:
                frame = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame[name], utc=True)))
            except (ValueError, TypeError):
                raise DataError(f"{path}: column {name!r} is not a date-time column") from None
            break
    return validate_profiles(frame, source=str(path), expected_hours=expected_hours)


def market_profiles(
    market: Market,
    year: int = 2024,
    seed: int = 0,
    load_mw: float = 100.0,
    tracking: bool = True,
) -> pd.DataFrame:
    """Synthesise a year of hourly profiles for a market (see :mod:`gridfirst.resources`)."""
    from gridfirst.profiles_synth import synthesise  # type: ignore[import-not-found]

    return synthesise(market, year=year, seed=seed, load_mw=load_mw, tracking=tracking)
