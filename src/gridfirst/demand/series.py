"""Observed growth series: reading a ``date,value`` CSV and checking it before any fit.

This module only loads and validates; fitting lives in :mod:`gridfirst.demand.growth`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gridfirst.errors import DataError

MIN_POINTS = 3
"""Fewest observations any growth model is fitted to (two parameters plus the noise)."""


def read_series(
    path: str | Path,
    column: str | None = None,
    date_column: str = "date",
    quantity: str | None = None,
) -> pd.Series:
    """Read an observed series from a CSV file with a date column and a value column.

    A plain CSV with ``date,value`` columns is accepted as is; other columns (e.g. ``source_id``,
    ``note``) are ignored.

    Parameters
    ----------
    path : str or Path
        CSV file.
    column : str, optional
        Value column; when omitted, ``value``, or else a column named after ``quantity``.
    date_column : str
        Date column (ISO dates such as ``2025-05-20``).
    quantity : str, optional
        Name of the observed quantity (e.g. ``tokens_per_day``), used to find the column.

    Returns
    -------
    pandas.Series
        Values indexed by a sorted, unique :class:`pandas.DatetimeIndex`, named after the column.

    Raises
    ------
    DataError
        Naming the file, the line and the bad value: missing file or column, unparseable date or
        number, non-positive value, unsorted or duplicate dates, too few points.
    """
    file = Path(path)
    name = file.name
    if not file.exists():
        raise DataError(f"{file}: no such file")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except Exception as exc:  # the parser's message is what the user needs
        raise DataError(f"{name}: cannot be read as CSV: {exc}") from None
    value_column = column or "value"
    if column is None and "value" not in frame.columns and quantity in frame.columns:
        value_column = str(quantity)
    for col in (date_column, value_column):
        if col not in frame.columns:
            raise DataError(
                f"{name}: no column {col!r}; columns are {list(frame.columns)} "
                f"(expected at least {date_column!r} and {value_column!r})"
            )
    blank = (frame[date_column].str.strip() == "") & (frame[value_column].str.strip() == "")
    frame = frame[~blank]
    # Line 1 is the header, so data row i (0-based, blank lines kept) sits on line i + 2.
    lines = (frame.index.to_numpy() + 2).tolist()
    dates = pd.to_datetime(frame[date_column].str.strip(), errors="coerce", format="ISO8601")
    values = pd.to_numeric(frame[value_column].str.strip(), errors="coerce")
    raw_dates = frame[date_column].tolist()
    raw_values = frame[value_column].tolist()
    for i, (d, v) in enumerate(zip(dates, values, strict=True)):
        if pd.isna(d):
            raise DataError(
                f"{name} line {lines[i]}: {date_column} {raw_dates[i]!r} is not a date "
                "(use ISO dates such as 2025-05-20)"
            )
        if pd.isna(v):
            raise DataError(
                f"{name} line {lines[i]}: {value_column} {raw_values[i]!r} is not a number"
            )
    return _checked(
        pd.DatetimeIndex(dates),
        values.to_numpy(dtype=float),
        source=name,
        where=lambda i: f"line {lines[i]}",
        value_name=value_column,
        series_name=value_column,
    )


def validate_series(series: pd.Series, source: str = "series") -> pd.Series:
    """Check an in-memory series (DatetimeIndex -> value) with the same rules as :func:`read_series`.

    Returns a float copy indexed by a tz-naive DatetimeIndex; raises :class:`DataError` naming the
    position and value of the first bad point.
    """
    if not isinstance(series, pd.Series):
        raise DataError(f"{source}: expected a pandas Series (date -> value), got {type(series)}")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(series.index))
    except (TypeError, ValueError):
        raise DataError(f"{source}: the index must hold dates") from None
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    name = str(series.name) if series.name is not None else "value"
    return _checked(
        index,
        values,
        source=source,
        where=lambda i: f"position {i}",
        value_name=name,
        series_name=name,
    )


def _checked(
    dates: pd.DatetimeIndex,
    values: np.ndarray,
    source: str,
    where: Callable[[int], str],
    value_name: str,
    series_name: str,
) -> pd.Series:
    for i, v in enumerate(values):
        if not np.isfinite(v):
            raise DataError(f"{source} {where(i)}: {value_name} {v:g} is not a finite number")
        if v <= 0:
            raise DataError(
                f"{source} {where(i)}: {value_name} {v:g} is not positive; growth curves are "
                "fitted on the logarithm, so every value must be > 0"
            )
        if pd.isna(dates[i]):
            raise DataError(f"{source} {where(i)}: the date is missing")
    for i in range(1, len(dates)):
        if dates[i] == dates[i - 1]:
            raise DataError(
                f"{source} {where(i)}: date {dates[i].date()} is a duplicate of the previous row; "
                "give one value per date"
            )
        if dates[i] < dates[i - 1]:
            raise DataError(
                f"{source} {where(i)}: date {dates[i].date()} comes before the previous row's "
                f"{dates[i - 1].date()}; sort the rows by date"
            )
    if len(values) < MIN_POINTS:
        raise DataError(
            f"{source}: {len(values)} data point(s); at least {MIN_POINTS} are needed to fit a "
            "growth curve"
        )
    return pd.Series(values, index=dates, name=series_name, dtype=float)


def decimal_year(dates: pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
    """Dates as decimal calendar years (2025-07-02 -> about 2025.5), for reporting and fitting."""
    idx = pd.DatetimeIndex([dates]) if isinstance(dates, pd.Timestamp) else pd.DatetimeIndex(dates)
    year = idx.year.to_numpy()
    start = pd.to_datetime({"year": year, "month": 1, "day": 1})
    end = pd.to_datetime({"year": year + 1, "month": 1, "day": 1})
    frac = (idx - pd.DatetimeIndex(start)) / (pd.DatetimeIndex(end) - pd.DatetimeIndex(start))
    return year + np.asarray(frac, dtype=float)


def date_from_decimal_year(value: float) -> pd.Timestamp:
    """Inverse of :func:`decimal_year` for one value (clipped to pandas' date range)."""
    value = float(min(max(value, 1700.0), 2250.0))
    year = int(np.floor(value))
    start = pd.Timestamp(year=year, month=1, day=1)
    end = pd.Timestamp(year=year + 1, month=1, day=1)
    return start + (end - start) * (value - year)
