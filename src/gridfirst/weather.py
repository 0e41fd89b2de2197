"""A site's measured or typical weather year, read from a file, and the solar and wind output it gives.

Reads TMY3, EPW, PVGIS (TMY and hourly) exports and a plain CSV through ``pvlib.iotools``; the
synthetic profiles of :mod:`gridfirst.resources` stay the fallback when no file is given.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import DataError
from gridfirst.resources import (
    _PV_DC_AC_RATIO,
    _PV_GAMMA_PDC,
    _PV_SYSTEM_LOSSES,
    _WIND_HUB_HEIGHT_M,
    _WIND_TURBINE,
    HOURS_PER_YEAR,
    _hours,
    first_hour_fault,
    plane_orientation,
)

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.scenario import Market

#: Formats :func:`read_weather` reads; ``format=None`` detects them from the name and content.
FORMATS = ("tmy3", "epw", "pvgis_tmy", "pvgis_hourly", "csv")
#: Columns of :attr:`Weather.data`: irradiance [W/m2], air temperature [degC], wind [m/s].
WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
#: Physical bounds a value must lie in (inclusive); outside them the file is refused.
BOUNDS = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1500.0),
    "dhi": (0.0, 1500.0),
    "temp_air": (-90.0, 70.0),
    "wind_speed": (0.0, 75.0),
}
#: Height of the wind speed in TMY3, EPW and PVGIS files (WMO standard anemometer height) [m].
WIND_MEASUREMENT_HEIGHT_M = 10.0
#: Power-law (Hellman) exponent from the file's height to hub height: 1/7, open flat terrain
#: (an assumption; forests and towns shear more, the sea less).
WIND_SHEAR_EXPONENT = 1.0 / 7.0
#: Irradiance a rounding or sensor offset may leave below zero at night; clipped to zero [W/m2].
_NEGATIVE_TOLERANCE_W_PER_M2 = 5.0
#: A non-leap year used to line up typical months taken from different years.
_TYPICAL_YEAR = 2023
#: Where in its hour a PVGIS EPW row's irradiance sits [h]: its CSV/JSON state ~0.17-0.18 h.
_PVGIS_EPW_OFFSET_H = 1.0 / 6.0
_CSV_TIME_COLUMNS = ("time", "timestamp", "datetime", "utc_time", "date")


@dataclass(frozen=True)
class Weather:
    """One year of hourly weather at a site, on the profiles' UTC hours.

    Attributes
    ----------
    data : pandas.DataFrame
        8760 rows on the UTC index of :func:`gridfirst.resources.market_profiles` for ``year``:
        ``ghi``, ``dni``, ``dhi`` [W/m2], ``temp_air`` [degC] and, when the file has it,
        ``wind_speed`` [m/s] at ``wind_height_m``. Row k holds the file's k-th hour of the year
        counted from 1 January 00:00 UTC (see :func:`read_weather`).
    source : str
        ``format:file name``, e.g. ``tmy3:703165TY.csv``.
    latitude, longitude : float or None
        Site of the file's metadata [deg]; None when the file has none (a plain CSV).
    elevation_m : float or None
        Elevation from the file's metadata [m].
    wind_height_m : float
        Height of ``wind_speed`` above ground [m].
    """

    data: pd.DataFrame
    source: str
    latitude: float | None = None
    longitude: float | None = None
    elevation_m: float | None = None
    wind_height_m: float = WIND_MEASUREMENT_HEIGHT_M

    @property
    def has_wind(self) -> bool:
        """True when the file gives wind speed."""
        return "wind_speed" in self.data.columns


def read_weather(
    path: str | Path,
    format: str | None = None,  # noqa: A002 - the word users know
    year: int = 2024,
    wind_height_m: float = WIND_MEASUREMENT_HEIGHT_M,
) -> Weather:
    """Read a year of hourly weather from a TMY3, EPW, PVGIS or CSV file and check it.

    Parameters
    ----------
    path : str or Path
        The file; a ``.gz`` file is read through gzip (its inner name sets the format).
    format : str, optional
        One of :data:`FORMATS`; detected from the extension and first lines when None:
        ``.epw`` is EPW (PVGIS's EPW too), ``.json`` is PVGIS TMY or hourly, a ``.csv`` is
        TMY3 (its second line starts ``Date (MM/DD/YYYY)``), PVGIS (it starts ``Latitude``) or
        else the plain CSV.
    year : int
        Calendar year of the returned UTC index (the profiles' year, 2024 by default).
    wind_height_m : float
        Height of a plain CSV's ``wind_speed`` [m]; the other formats are 10 m.

    Returns
    -------
    Weather
        The checked year on the profiles' 8760 UTC hours.

    Raises
    ------
    DataError
        One line naming the file, the line (when the format has lines) and the field: the file
        is missing, of an unknown format, unreadable by pvlib, lacks a column, has an empty,
        NaN or out-of-range value (:data:`BOUNDS`), or is not one year of consecutive hours.

    Notes
    -----
    The plain CSV has a header line and one row per hour: a time column (``time``,
    ``timestamp``, ``datetime``, ``utc_time`` or ``date``; ISO 8601, stamps without an offset
    are UTC, the stamp marks the start of the hour) and the columns ``ghi``, ``temp_air``, and
    either both of ``dni`` and ``dhi`` or neither (then they are split from ``ghi`` by the Erbs
    model, as the synthetic profiles do); ``wind_speed`` is optional. Optional ``latitude``,
    ``longitude`` and ``elevation`` columns (constant) give the site.

    A typical year (TMY3, EPW, PVGIS TMY) joins months of different years. Every row's year is
    set to one non-leap year, 29 February (if any) is dropped, and the 8760 hours must then run
    without gap from 1 January 00:00 to 31 December 23:00 in the file's time (local standard
    time for TMY3 and EPW, UTC for PVGIS). They are turned round to start at 1 January 00:00
    UTC (the last hours of 31 December local time fill the first UTC hours of 1 January; a
    half-hour zone is interpolated) and laid on the profiles' 8760 UTC hours of ``year``
    position by position: in a leap year, which the profiles end on 30 December, dates after
    28 February fall one day early. Stamps are moved to the start of their hour (TMY3 labels
    the hour's end; PVGIS stamps ``HH:10``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: weather file not found" if not path.is_dir()
                        else f"{path}: is a folder, not a weather file")
    if path.suffix.lower() == ".gz":
        with tempfile.TemporaryDirectory(prefix="gridfirst-weather-") as tmp:
            inner = Path(tmp) / path.stem
            try:
                with gzip.open(path, "rb") as src, inner.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError) as exc:
                raise DataError(f"{path}: cannot be read as gzip: {exc}") from None
            return _read(inner, path.name, format, year, wind_height_m)
    return _read(path, path.name, format, year, wind_height_m)


def _read(path: Path, name: str, fmt: str | None, year: int, wind_height_m: float) -> Weather:
    fmt = fmt.lower() if fmt is not None else _detect(path, name)
    if fmt not in FORMATS:
        raise DataError(f"{name}: unknown weather format {fmt!r}; use one of {', '.join(FORMATS)}")
    where = f"{name} ({fmt})"
    frame, meta, first_line, centre_h = _parse(path, name, fmt)
    if fmt != "csv":
        wind_height_m = WIND_MEASUREMENT_HEIGHT_M
    frame = _columns(frame, where, meta, fmt)
    local, leap_day, offset_h = _one_year(frame.index, where)
    _check_values(frame, where, first_line)
    keep = ~leap_day
    frame, local = frame[keep], local[keep]
    _check_hours(local, np.flatnonzero(keep), where, first_line, dropped=int(leap_day.sum()))
    # row k of the result covers UTC hour k: its middle is the file's row at k + 0.5 - centre
    values = _roll_to_utc(frame.to_numpy(dtype=np.float64), offset_h + 0.5 - centre_h)
    import pandas as pd

    data = pd.DataFrame(values, index=_hours(year), columns=list(frame.columns))
    lat, lon, elev = (_meta_float(meta, k) for k in ("latitude", "longitude", "altitude"))
    if "dni" not in data.columns:
        data = _split_erbs(data, lat, lon, where)
    return Weather(
        data=data[[c for c in WEATHER_COLUMNS if c in data.columns]],
        source=f"{fmt}:{name}",
        latitude=lat, longitude=lon, elevation_m=elev, wind_height_m=float(wind_height_m),
    )


def _detect(path: Path, name: str) -> str:
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return "epw"
    head = _head(path, name)
    if suffix == ".json":
        return "pvgis_tmy" if "tmy_hourly" in head else "pvgis_hourly"
    if suffix in (".csv", ".txt", ".dat"):
        lines = head.splitlines()
        if len(lines) > 1 and lines[1].startswith("Date (MM/DD/YYYY)"):
            return "tmy3"
        if head.startswith("Latitude"):
            return "pvgis_tmy" if "time(UTC)" in head else "pvgis_hourly"
        return "csv"
    raise DataError(
        f"{name}: unknown weather format (extension {suffix or 'none'!r}); give a .csv (TMY3, "
        "PVGIS or the plain CSV), .epw or PVGIS .json file"
    )


def _head(path: Path, name: str, size: int = 8192) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(size).decode("utf-8", errors="replace")
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None


def _parse(path: Path, name: str, fmt: str
           ) -> tuple[pd.DataFrame, dict[str, Any], int | None, float]:
    """The file through pvlib: frame, metadata, file line of the first row, and where in its
    hour a row's value sits [h after the hour's start stamp; 0.5 for an hour's mean]."""
    import warnings

    from pvlib import iotools

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "tmy3":
                frame, meta = iotools.read_tmy3(path, map_variables=True)
                return _tmy3_hour_start(frame), dict(meta), 3, 0.5
            if fmt == "epw":
                frame, meta = iotools.read_epw(path)
                if "ECMWF" in str(meta.get("data_type", "")):
                    # PVGIS writes UTC hours into its EPW whatever time zone the header states,
                    # and the same values as its CSV: irradiance at about HH:10, whose offset
                    # (0.18 h at 45 N 8 E) the EPW does not carry
                    frame.index = frame.index.tz_localize(None).tz_localize("UTC")
                    return frame, dict(meta), 9, _PVGIS_EPW_OFFSET_H
                return frame, dict(meta), 9, 0.5
            if fmt == "pvgis_tmy":
                frame, meta = iotools.read_pvgis_tmy(path, map_variables=True)[:2]
                meta = dict(meta.get("inputs", meta)) if isinstance(meta, dict) else {}
                meta.update(meta.pop("location", {}) or {})
                # PVGIS gives the irradiance at the stamp plus its "irradiance time offset"
                centre = _meta_float(meta, "irradiance time offset")
                centre = _meta_float(meta, "irradiance_time_offset") if centre is None else centre
                return frame, meta, _csv_first_line(path, "time(UTC)"), (
                    0.5 if centre is None else centre)
            if fmt == "pvgis_hourly":
                frame, meta = iotools.read_pvgis_hourly(path, map_variables=True)[:2]
                meta = dict(meta.get("inputs", meta)) if isinstance(meta, dict) else {}
                meta.update(meta.pop("location", {}) or {})
                minutes = frame.index.minute[0] if len(frame) else 30  # stamped HH:MM (HH:10)
                return frame, meta, _csv_first_line(path, "time,"), minutes / 60.0
            return _read_plain_csv(path, name)
    except DataError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:200]
        raise DataError(f"{name}: pvlib cannot read it as {fmt}: {type(exc).__name__}: {text}") from None


def _tmy3_hour_start(frame: pd.DataFrame) -> pd.DataFrame:
    """TMY3 rows stamped at the start of their hour from the file's own date and hour-ending time.

    Rebuilt here because hour ``24:00`` of 28 February in a leap source year would otherwise
    roll to 1 March, not to the start of the same hour.
    """
    import pandas as pd

    dates = pd.to_datetime(frame["Date (MM/DD/YYYY)"], format="%m/%d/%Y")
    hour_end = frame["Time (HH:MM)"].astype(str).str.split(":").str[0].astype(int)
    start = pd.DatetimeIndex(dates + pd.to_timedelta(hour_end - 1, unit="h"))
    out = frame.copy()
    out.index = start.tz_localize(frame.index.tz) if frame.index.tz is not None else start
    return out


def _csv_first_line(path: Path, header_start: str) -> int | None:
    """File line (from 1) of the first data row after the line starting ``header_start``."""
    if path.suffix.lower() == ".json":
        return None
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if line.startswith(header_start):
                return number + 1
    return None


def _read_plain_csv(path: Path, name: str) -> tuple[pd.DataFrame, dict[str, Any], int, float]:
    import pandas as pd

    frame = pd.read_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    time_col = next((c for c in _CSV_TIME_COLUMNS if c in frame.columns), None)
    if time_col is None:
        raise DataError(f"{name}: line 1: no time column; name one of {list(_CSV_TIME_COLUMNS)} "
                        f"(found {list(frame.columns)})")
    stamps = pd.to_datetime(frame[time_col], utc=True, errors="coerce", format="ISO8601")
    if stamps.isna().any():
        pos = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise DataError(f"{name}: line {pos + 2}: field {time_col!r}: "
                        f"{frame[time_col].iloc[pos]!r} is not an ISO 8601 time stamp")
    meta: dict[str, Any] = {}
    for key, column in (("latitude", "latitude"), ("longitude", "longitude"), ("altitude", "elevation")):
        if column in frame.columns:
            meta[key] = frame[column].iloc[0]
    frame = frame.drop(columns=[time_col]).set_index(pd.DatetimeIndex(stamps))
    return frame, meta, 2, 0.5


def _columns(frame: pd.DataFrame, where: str, meta: dict[str, Any], fmt: str) -> pd.DataFrame:
    """The weather columns, numeric; PVGIS hourly components on a horizontal plane become GHI."""
    import pandas as pd

    frame = frame.copy()
    if fmt == "pvgis_hourly" and "ghi" not in frame.columns:
        slope = _pvgis_slope_deg(meta)
        if not {"poa_direct", "poa_sky_diffuse"} <= set(frame.columns) or slope != 0.0:
            raise DataError(
                f"{where}: field 'ghi': the export holds plane-of-array irradiance (slope "
                f"{'unknown' if slope is None else f'{slope:g} deg'}); export it from PVGIS with "
                "slope 0 and 'radiation components' ticked, or use a TMY export"
            )
        elevation = pd.to_numeric(frame.get("solar_elevation"), errors="coerce")
        frame["dhi"] = frame["poa_sky_diffuse"]
        frame["ghi"] = frame["poa_direct"] + frame["poa_sky_diffuse"]
        sin_el = np.sin(np.radians(np.asarray(elevation, dtype=np.float64)))
        frame["dni"] = np.where(sin_el > 0.05, frame["poa_direct"] / np.maximum(sin_el, 0.05), 0.0)
    present = set(frame.columns)
    required = ["ghi", "temp_air"]
    if ("dni" in present) != ("dhi" in present):
        required += ["dni", "dhi"]
    missing = [c for c in required if c not in present]
    if missing:
        raise DataError(f"{where}: missing field(s) {missing}; expected ghi, temp_air, optional "
                        f"dni+dhi and wind_speed (found {sorted(map(str, present))[:12]})")
    columns = [c for c in WEATHER_COLUMNS if c in present]
    out = frame[columns].copy()
    for column in columns:
        numbers = pd.to_numeric(out[column], errors="coerce")
        out[column] = numbers.to_numpy(dtype=np.float64)
    return out


def _pvgis_slope_deg(meta: dict[str, Any]) -> float | None:
    """The plane's slope of a PVGIS hourly export [deg]: ``Slope: 30 deg.`` in CSV, the fixed
    mounting's ``slope.value`` in JSON; None when the export has none (tracking planes)."""
    text = meta.get("Slope", meta.get("slope"))
    if text is None:
        fixed = (meta.get("mounting_system") or {}).get("fixed") or {}
        text = (fixed.get("slope") or {}).get("value") if isinstance(fixed, dict) else None
    try:
        return float(str(text).split()[0])
    except (TypeError, ValueError, IndexError):
        return None


def _row(pos: int, first_line: int | None, index: Any = None) -> str:
    stamp = f" ({index[pos]:%Y-%m-%d %H:%M})" if index is not None else ""
    return f"line {pos + first_line}{stamp}" if first_line is not None else f"hour {pos + 1}{stamp}"


def _check_values(frame: pd.DataFrame, where: str, first_line: int | None) -> None:
    for column in frame.columns:
        values = frame[column].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where}: {_row(pos, first_line, frame.index)}: field {column!r} "
                            "is empty, not a number or NaN")
        low, high = BOUNDS[column]
        if column in ("ghi", "dni", "dhi"):
            values = np.where((values < 0) & (values >= -_NEGATIVE_TOLERANCE_W_PER_M2), 0.0, values)
            frame[column] = values
        out = (values < low) | (values > high)
        if out.any():
            pos = int(np.flatnonzero(out)[0])
            raise DataError(f"{where}: {_row(pos, first_line, frame.index)}: field {column!r}: "
                            f"{values[pos]:g} is outside {low:g}..{high:g}")


def _one_year(index: Any, where: str) -> tuple[pd.DatetimeIndex, np.ndarray, float]:
    """Stamps at the start of their hour in the file's own time, set into one non-leap year.

    Returns the stamps, a mask of the 29 February rows (to drop) and the file's UTC offset [h].
    """
    import pandas as pd

    stamps = pd.DatetimeIndex(index)
    if len(stamps) == 0:
        raise DataError(f"{where}: field 'time': holds no hours; expected 8760 hourly rows")
    if stamps.tz is None:
        stamps = stamps.tz_localize("UTC")
    offset = stamps[0].utcoffset()
    offset_h = offset.total_seconds() / 3600.0 if offset is not None else 0.0
    local = stamps.tz_localize(None)  # wall time of the file's (fixed-offset) zone
    local = local.floor("h")
    leap_day = np.asarray((local.month == 2) & (local.day == 29))
    coerced = pd.to_datetime(pd.DataFrame({
        "year": np.full(len(local), _TYPICAL_YEAR),
        "month": np.asarray(local.month),
        "day": np.where(leap_day, 28, np.asarray(local.day)),
        "hour": np.asarray(local.hour),
    }))
    return pd.DatetimeIndex(coerced), leap_day, offset_h


def _check_hours(local: pd.DatetimeIndex, positions: np.ndarray, where: str,
                 first_line: int | None, dropped: int = 0) -> None:
    """The hours (29 February dropped) must be one year, hour by hour, in order."""
    import pandas as pd

    fault = first_hour_fault(local)
    if fault is not None:
        i, what = fault
        line = _row(int(positions[i]), first_line)
        raise DataError(f"{where}: {line}: field 'time': {local[i]:%m-%d %H:%M} {what}; "
                        "weather must be one row per hour in time order")
    if len(local) != HOURS_PER_YEAR or local[0] != pd.Timestamp(f"{_TYPICAL_YEAR}-01-01"):
        raise DataError(
            f"{where}: field 'time': {len(local)} hour(s) from {local[0]:%m-%d %H:%M} to "
            f"{local[-1]:%m-%d %H:%M}{f' ({dropped} of 29 February dropped)' if dropped else ''}"
            "; expected one year of 8760 hours "
            "from 1 January 00:00 to 31 December 23:00"
        )


def _roll_to_utc(values: np.ndarray, offset_h: float) -> np.ndarray:
    """Rows in local standard time from 1 January 00:00 turned to start at 00:00 UTC.

    UTC hour k is local hour k + offset; the year wraps round (a typical year has no before).
    A fractional offset blends the two neighbouring hours linearly.
    """
    whole = int(np.floor(offset_h))
    frac = offset_h - whole
    rolled = np.roll(values, -whole, axis=0)
    if frac > 1e-9:
        rolled = (1.0 - frac) * rolled + frac * np.roll(values, -(whole + 1), axis=0)
    return rolled


def _meta_float(meta: dict[str, Any], key: str) -> float | None:
    value = meta.get(key, meta.get("elevation") if key == "altitude" else None)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _split_erbs(data: pd.DataFrame, lat: float | None, lon: float | None, where: str) -> pd.DataFrame:
    """Beam and diffuse from GHI by the Erbs model (the synthetic profiles' split)."""
    import pvlib

    if lat is None or lon is None:
        # the split needs the sun's position; it is done again once the site is known
        return data
    times = data.index + _half_hour()
    solpos = pvlib.solarposition.get_solarposition(times, lat, lon)
    parts = pvlib.irradiance.erbs(data["ghi"].to_numpy(), solpos["zenith"].to_numpy(), times)
    data = data.copy()
    data["dni"] = np.nan_to_num(np.asarray(parts["dni"], dtype=np.float64))
    data["dhi"] = np.nan_to_num(np.asarray(parts["dhi"], dtype=np.float64))
    return data


def _half_hour() -> Any:
    import pandas as pd

    return pd.Timedelta(minutes=30)


def _site(weather: Weather, latitude: float | None, longitude: float | None) -> tuple[float, float]:
    lat = weather.latitude if weather.latitude is not None else latitude
    lon = weather.longitude if weather.longitude is not None else longitude
    if lat is None or lon is None:
        raise DataError(f"{weather.source}: fields 'latitude'/'longitude': the file gives no site "
                        "and none was passed; add latitude and longitude columns")
    return float(lat), float(lon)


def solar_cf_from_weather(
    weather: Weather,
    *,
    tracking: bool = True,
    dc_ac_ratio: float = _PV_DC_AC_RATIO,
    system_losses: float = _PV_SYSTEM_LOSSES,
    gamma_pdc_per_k: float = _PV_GAMMA_PDC,
    transposition: str = "haydavies",
    latitude: float | None = None,
    longitude: float | None = None,
) -> pd.Series:
    """Hourly AC capacity factor of utility PV from a weather year.

    The plant is the synthetic profiles' (:func:`gridfirst.resources.solar_profile`): a
    single-axis tracker (north-south axis, +-60 deg, backtracking, GCR 0.35) or a fixed plane
    tilted at the latitude (at most 40 deg) facing the equator; SAPM cell temperature (open
    rack, with the file's wind speed, 1 m/s without); PVWatts DC with the temperature
    coefficient; 14 % losses; DC/AC 1.3 with clipping at the inverter's rating. The sun's
    position is taken at the middle of each hour; the measured beam and diffuse are transposed
    with the Hay-Davies model (the synthetic profiles use the isotropic sky, a little lower on
    clear days).

    Parameters
    ----------
    weather : Weather
        From :func:`read_weather`.
    tracking : bool
        Single-axis tracking (True) or fixed tilt (False).
    dc_ac_ratio : float
        DC nameplate over inverter AC rating [-].
    system_losses : float
        DC losses (soiling, wiring, mismatch, ...) as a share [0..1].
    gamma_pdc_per_k : float
        Temperature coefficient of DC power [1/K].
    transposition : str
        pvlib sky-diffuse model: ``haydavies``, ``perez``, ``isotropic``, ...
    latitude, longitude : float, optional
        Site [deg] when the file has none (a plain CSV); the file's own wins.

    Returns
    -------
    pandas.Series
        8760 hourly AC capacity factors in [0, 1] on the weather's UTC index, with
        ``attrs["source"]`` naming the file.

    References
    ----------
    .. [1] Hay, J. E., Davies, J. A. (1980). Calculation of the solar radiation incident on an
       inclined surface. Proc. First Canadian Solar Radiation Data Workshop, 59-72.
    .. [2] Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
    .. [3] King, D. L., Boyson, W. E., Kratochvil, J. A. (2004). Photovoltaic array
       performance model. SAND2004-3535.
    """
    import pandas as pd
    import pvlib

    lat, lon = _site(weather, latitude, longitude)
    data = weather.data
    if "dni" not in data.columns:
        data = _split_erbs(data, lat, lon, weather.source)
    times = data.index + _half_hour()
    solpos = pvlib.solarposition.get_solarposition(
        times, lat, lon, altitude=weather.elevation_m or 0.0,
        temperature=data["temp_air"].to_numpy(),
    )
    tilt, azimuth = plane_orientation(solpos, lat, tracking)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, solpos["apparent_zenith"], solpos["azimuth"],
        data["dni"].to_numpy(), data["ghi"].to_numpy(), data["dhi"].to_numpy(),
        dni_extra=pvlib.irradiance.get_extra_radiation(times), airmass=None,
        model=transposition, albedo=0.2,
    )["poa_global"]
    poa_w = np.nan_to_num(np.asarray(poa, dtype=np.float64)).clip(min=0.0)
    poa_w[solpos["elevation"].to_numpy() <= 0.0] = 0.0
    wind = data["wind_speed"].to_numpy() if "wind_speed" in data.columns else 1.0
    temp_cell = pvlib.temperature.sapm_cell(poa_w, data["temp_air"].to_numpy(), wind,
                                            -3.56, -0.075, 3.0)
    dc = np.asarray(pvlib.pvsystem.pvwatts_dc(poa_w, temp_cell, 1.0, gamma_pdc_per_k))
    ac = np.clip(np.nan_to_num(dc * (1.0 - system_losses) * dc_ac_ratio), 0.0, 1.0)
    series = pd.Series(ac, index=data.index, name="solar_cf")
    series.attrs["source"] = f"weather file {weather.source}"
    return series


def wind_cf_from_weather(
    weather: Weather,
    *,
    hub_height_m: float = _WIND_HUB_HEIGHT_M,
    turbine_type: str = _WIND_TURBINE,
    shear_exponent: float = WIND_SHEAR_EXPONENT,
) -> pd.Series:
    """Hourly capacity factor of an onshore turbine from the file's wind speed.

    The speed at the file's height (10 m in TMY3, EPW and PVGIS) is carried to hub height by
    the power law ``v_hub = v (h_hub / h)**alpha`` with ``alpha`` = 1/7 (open flat terrain,
    an assumption; air density is taken as standard) and read off the power curve of the
    synthetic profiles' turbine, the Vestas V126-3.45 MW at 117 m from windpowerlib's data.

    Parameters
    ----------
    weather : Weather
        From :func:`read_weather`; must hold ``wind_speed``.
    hub_height_m : float
        Hub height [m].
    turbine_type : str
        windpowerlib turbine type.
    shear_exponent : float
        Hellman exponent [-].

    Returns
    -------
    pandas.Series
        8760 hourly capacity factors in [0, 1], ``attrs["source"]`` naming the file.

    Raises
    ------
    DataError
        The file has no wind speed.

    References
    ----------
    .. [1] Hellman, G. (1914). Über die Bewegung der Luft in den untersten Schichten der
       Atmosphäre. Meteorologische Zeitschrift 34, 273.
    .. [2] Haas, S., Krien, U., Schachler, B., et al. (2024). windpowerlib. Zenodo,
       doi:10.5281/zenodo.824267.
    """
    import pandas as pd
    from windpowerlib import WindTurbine
    from windpowerlib.power_output import power_curve
    from windpowerlib.wind_speed import hellman

    if not weather.has_wind:
        raise DataError(f"{weather.source}: field 'wind_speed' is missing; the wind profile "
                        "stays synthetic")
    turbine = WindTurbine(hub_height=hub_height_m, turbine_type=turbine_type)
    curve = turbine.power_curve
    speed = hellman(weather.data["wind_speed"], weather.wind_height_m, hub_height_m,
                    hellman_exponent=shear_exponent)
    power = power_curve(pd.Series(np.asarray(speed, dtype=np.float64)),
                        curve["wind_speed"].to_numpy(dtype=np.float64),
                        curve["value"].to_numpy(dtype=np.float64))
    cf = np.clip(np.asarray(power, dtype=np.float64) / float(turbine.nominal_power), 0.0, 1.0)
    series = pd.Series(cf, index=weather.data.index, name="wind_cf")
    series.attrs["source"] = f"weather file {weather.source}"
    return series


def weather_profiles(
    market: Market,
    weather: Weather,
    *,
    seed: int = 0,
    load_mw: float = 100.0,
    tracking: bool = True,
) -> pd.DataFrame:
    """A market's profiles with solar (and wind, when the file has it) from a weather year.

    The rest (grid price, carbon, and wind without wind speed in the file) is synthesised as
    in :func:`gridfirst.resources.market_profiles`, whose ``attrs["resource_basis"]`` says
    which each is. The file's coordinates win over the market's for the sun's position.
    """
    from gridfirst.resources import market_profiles

    year = int(weather.data.index[0].year)
    solar = solar_cf_from_weather(weather, tracking=tracking, latitude=market.latitude,
                                  longitude=market.longitude)
    wind = wind_cf_from_weather(weather) if weather.has_wind else None
    return market_profiles(market, year=year, seed=seed, load_mw=load_mw, tracking=tracking,
                           solar_cf=solar, wind_cf=wind)

