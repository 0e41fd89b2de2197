"""Hourly resource and grid profiles of a site: solar and wind capacity factors, grid price and carbon.

Profiles come from a user's file (:func:`read_profiles`, validated) or are synthesised from a
market's annual figures (:func:`market_profiles`); procurement decisions live elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    frame: pd.DataFrame,
    source: str = "profiles",
    expected_hours: int | None = HOURS_PER_YEAR,
    first_line: int | None = None,
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
    first_line : int or None
        File line of the first data row (2 for a CSV with one header line): errors then say
        ``line N`` as an editor shows it; None says ``row N``, counting data rows from 1.

    Raises
    ------
    DataError
        Missing column, wrong length, non-numeric, NaN, negative value, or a share above 1; the
        message names ``source``, the column and the first bad line or row.

    Notes
    -----
    Grid prices may be negative (real markets clear below zero in windy or sunny hours); load,
    capacity factors, carbon intensity and the grid's CFE share may not.
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

    def at(pos: int) -> str:
        return f"line {pos + first_line}" if first_line is not None else f"row {pos + 1}"

    for name in PROFILE_COLUMNS:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() & frame[name].notna()
        if bad.any():
            pos = int(np.argmax(bad.to_numpy()))
            raise DataError(
                f"{source}: column {name!r} {at(pos)}: {frame[name].iloc[pos]!r} is not a number"
            )
        arr = values.to_numpy(dtype=np.float64)
        if not np.isfinite(arr).all():
            pos = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise DataError(f"{source}: column {name!r} {at(pos)}: value {arr[pos]} (NaN or inf)")
        if name in _NON_NEGATIVE and (arr < 0).any():
            pos = int(np.flatnonzero(arr < 0)[0])
            raise DataError(f"{source}: column {name!r} {at(pos)}: negative value {arr[pos]}")
        if name in _SHARE_COLUMNS and (arr > 1).any():
            pos = int(np.flatnonzero(arr > 1)[0])
            raise DataError(
                f"{source}: column {name!r} {at(pos)}: {arr[pos]} is above 1 "
                "(capacity factors and shares are fractions 0..1)"
            )
        frame[name] = arr
    if not (frame["load_mw"] > 0).any():
        raise DataError(f"{source}: column 'load_mw' is zero in every hour; there is no load to "
                        "supply (a cost per MWh of nothing has no meaning)")
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
        The file is missing or unreadable, or :func:`validate_profiles` rejects it; a bad value
        is located by its file line in a CSV (``line 102`` for the 101st data row) and by its
        data row (from 1) in Parquet.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: profile file not found")
    suffix = path.suffix.lower()
    first_line = None  # Parquet has no lines: errors name the data row
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path)
            first_line = 2  # line 1 is the header
        else:
            raise DataError(f"{path}: unknown profile format {suffix!r}; use .csv or .parquet")
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot be read: {exc}") from None
    for name in ("time", "timestamp", "datetime", "snapshot", "utc_time"):
        if name in frame.columns:
            try:
                stamps = pd.DatetimeIndex(pd.to_datetime(frame[name], utc=True))
            except (ValueError, TypeError):
                raise DataError(f"{path}: column {name!r} is not a date-time column") from None
            _check_hourly(stamps, f"{path}: column {name!r}", first_line)
            frame = frame.set_index(stamps)
            break
    return validate_profiles(
        frame, source=str(path), expected_hours=expected_hours, first_line=first_line
    )


def _check_hourly(stamps: Any, where: str, first_line: int | None) -> None:
    """Timestamps must run hour by hour, in order, without gaps or repeats.

    The LP couples consecutive hours (storage), so rows out of order give a different, wrong
    answer; they are refused, never re-sorted silently.
    """
    if len(stamps) < 2:
        return
    if stamps.hasnans:
        bad = int(np.flatnonzero(stamps.isna())[0])
        raise DataError(f"{where}: {_row_name(bad, first_line)} has no time stamp")
    fault = first_hour_fault(stamps)
    if fault is not None:
        i, what = fault
        raise DataError(
            f"{where}: {_row_name(i, first_line)} ({stamps[i]}) {what}; profiles must be one "
            "row per hour in time order"
        )


def first_hour_fault(stamps: Any) -> tuple[int, str] | None:
    """The first time stamp that does not follow the one before by exactly one hour, and what is
    wrong with it in words (a repeat, a step back, a gap); None when every step is one hour."""
    import pandas as pd

    if len(stamps) < 2:
        return None
    step = np.asarray((stamps[1:] - stamps[:-1]) / pd.Timedelta(hours=1), dtype=float)
    wrong = np.flatnonzero(step != 1.0)
    if not wrong.size:
        return None
    i = int(wrong[0]) + 1
    what = ("repeats the hour before it" if step[i - 1] == 0 else
            "goes back in time" if step[i - 1] < 0 else
            f"is {step[i - 1]:g} h after the row before (a gap)")
    return i, what


def _row_name(row: int, first_line: int | None) -> str:
    return f"line {row + first_line}" if first_line is not None else f"row {row + 1}"


# Daily shapes in local solar time (hour 0..23), normalised to mean 1 below. Assumptions, not
# data: a two-peak wholesale-like price (morning and evening ramps, midday solar dip) and a grid
# carbon intensity that dips at midday (solar) and peaks in the evening (gas/coal ramps), both
# with a modest +-15 % amplitude typical of mixed thermal/renewable systems. Replace them with
# the market's own hourly data through read_profiles when available.
_PRICE_SHAPE = np.array([0.90, 0.86, 0.84, 0.83, 0.85, 0.92, 1.04, 1.13, 1.10, 1.02, 0.96, 0.92,
                         0.90, 0.90, 0.93, 0.98, 1.06, 1.17, 1.22, 1.18, 1.10, 1.02, 0.96, 0.92])
_INTENSITY_SHAPE = np.array([1.00, 0.99, 0.98, 0.98, 0.99, 1.01, 1.04, 1.05, 1.02, 0.97, 0.93,
                             0.90, 0.88, 0.88, 0.90, 0.94, 1.00, 1.07, 1.10, 1.09, 1.07, 1.05,
                             1.03, 1.01])
_WIND_TURBINE = "V126/3450"  # Vestas V126-3.45 MW power curve from windpowerlib's bundled OEDB data
_WIND_HUB_HEIGHT_M = 117.0
_WIND_WEIBULL_K = 2.0  # Rayleigh-like shape typical of onshore sites (assumption)
_WIND_HOURLY_AUTOCORR = 0.96  # ~1-day decorrelation of synoptic weather (assumption)
_PV_DC_AC_RATIO = 1.3
_PV_SYSTEM_LOSSES = 0.14  # PVWatts default system losses
_PV_GAMMA_PDC = -0.0035  # 1/K, crystalline silicon


def _hours(year: int) -> pd.DatetimeIndex:
    """8760 UTC hours from 1 January of ``year`` (a leap year then ends on 30 December)."""
    import pandas as pd

    return pd.date_range(f"{year}-01-01", periods=HOURS_PER_YEAR, freq="h", tz="UTC")


def _local_solar_hour(times: pd.DatetimeIndex, longitude: float) -> np.ndarray:
    hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    return np.mod(hours + longitude / 15.0, 24.0)


def _bisect(fn: object, target: float, lo: float, hi: float, iters: int = 50) -> float:
    """Smallest x in [lo, hi] with fn(x) >= target for a non-decreasing fn (bisection)."""
    f = fn  # type: ignore[assignment]
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:  # type: ignore[operator]
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def plane_orientation(
    solpos: pd.DataFrame, latitude: float, tracking: bool
) -> tuple[pd.Series, pd.Series]:
    """Surface tilt and azimuth [deg] of the modelled plant in each hour: a horizontal
    single-axis tracker (north-south axis, +-60 deg, backtracking at GCR 0.35) or a fixed plane
    tilted at the latitude (at most 40 deg) facing the equator."""
    import pandas as pd
    import pvlib

    if tracking:
        track = pvlib.tracking.singleaxis(
            solpos["apparent_zenith"], solpos["azimuth"], axis_tilt=0, axis_azimuth=180,
            max_angle=60, backtrack=True, gcr=0.35,
        )
        return track["surface_tilt"].fillna(0.0), track["surface_azimuth"].fillna(180.0)
    index = solpos.index
    return (pd.Series(min(abs(latitude), 40.0), index=index),
            pd.Series(180.0 if latitude >= 0 else 0.0, index=index))


def solar_profile(
    latitude: float,
    longitude: float,
    solar_cf: float,
    year: int = 2024,
    seed: int = 0,
    tracking: bool = True,
    mean_temperature_c: float = 15.0,
) -> pd.Series:
    """Hourly AC capacity factor of utility PV calibrated to an annual capacity factor.

    Clear-sky irradiance (Ineichen with Linke turbidity) at the site is dimmed by a seeded daily
    clear-sky index (an AR(1) process in logit space), split into beam and diffuse with the Erbs
    model, transposed to a single-axis tracker (backtracking, +-60 deg) or a fixed plane tilted
    at the latitude, and converted with PVWatts (temperature coefficient, 14 % losses, DC/AC
    1.3 with clipping) at a SAPM cell temperature. The daily index's level is bisected so the
    annual mean equals ``solar_cf``.

    Parameters
    ----------
    latitude, longitude : float
        Site [deg].
    solar_cf : float
        Target annual AC capacity factor [0..1].
    year, seed : int
        Calendar year and random seed (same seed, same profile).
    tracking : bool
        Single-axis tracking (True) or fixed tilt (False).
    mean_temperature_c : float
        Annual mean air temperature [degC]; a +-8 degC seasonal and +-4 degC daily swing is added.

    Returns
    -------
    pandas.Series
        8760 hourly capacity factors on a UTC index.

    Raises
    ------
    DataError
        ``solar_cf`` is not reachable at this site even under clear skies.

    References
    ----------
    .. [1] Holmgren, W., Hansen, C., Mikofski, M. (2018). pvlib python: a python package for
       modeling solar energy systems. JOSS 3(29), 884.
    .. [2] Erbs, D. G., Klein, S. A., Duffie, J. A. (1982). Estimation of the diffuse radiation
       fraction for hourly, daily and monthly-average global radiation. Solar Energy 28(4).
    .. [3] Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
    """
    import pandas as pd
    import pvlib

    times = _hours(year)
    loc = pvlib.location.Location(latitude, longitude)
    solpos = loc.get_solarposition(times)
    clear = loc.get_clearsky(times, solar_position=solpos)
    zenith = solpos["apparent_zenith"].to_numpy()
    tilt, azimuth = plane_orientation(solpos, latitude, tracking)

    rng = np.random.default_rng(seed)
    days = HOURS_PER_YEAR // 24
    shock = np.empty(days)
    shock[0] = rng.standard_normal()
    for d in range(1, days):  # AR(1): cloudy spells last a few days
        shock[d] = 0.6 * shock[d - 1] + 0.8 * rng.standard_normal()
    daily = np.repeat(shock, 24)

    doy = times.day_of_year.to_numpy()
    hour = _local_solar_hour(times, longitude)
    season = np.cos(2 * np.pi * (doy - (200 if latitude >= 0 else 20)) / 365.0)
    temp_air = mean_temperature_c + 8.0 * season + 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    ghi_clear = clear["ghi"].to_numpy()
    dni_extra = pvlib.irradiance.get_extra_radiation(times).to_numpy()

    def profile(level: float) -> np.ndarray:
        index = 1.0 / (1.0 + np.exp(-(level + 1.2 * daily)))  # clear-sky index in (0, 1)
        ghi = ghi_clear * index
        parts = pvlib.irradiance.erbs(ghi, zenith, doy)
        poa = pvlib.irradiance.get_total_irradiance(
            tilt, azimuth, solpos["apparent_zenith"], solpos["azimuth"],
            np.nan_to_num(parts["dni"]), ghi, np.nan_to_num(parts["dhi"]),
            dni_extra=dni_extra, model="isotropic", albedo=0.2,
        )["poa_global"]
        poa = np.nan_to_num(np.asarray(poa, dtype=np.float64))
        temp_cell = pvlib.temperature.sapm_cell(poa, temp_air, 1.0, -3.56, -0.075, 3.0)
        dc = pvlib.pvsystem.pvwatts_dc(poa, temp_cell, 1.0, _PV_GAMMA_PDC)
        ac = np.asarray(dc) * (1.0 - _PV_SYSTEM_LOSSES) * _PV_DC_AC_RATIO
        return np.clip(np.nan_to_num(ac), 0.0, 1.0)

    best = float(profile(8.0).mean())
    for _ in range(8):  # the climatological clear sky (Linke turbidity) can be dimmer than the
        if solar_cf <= best or ghi_clear.sum() > 1.3 * clear["ghi"].sum():  # measured resource,
            break  # as in the dusty Gulf: brighten it by up to 30 % before giving up
        ghi_clear = ghi_clear * min(1.05, solar_cf / best + 1e-3)
        best = float(profile(8.0).mean())
    if solar_cf > best + 1e-9:
        raise DataError(
            f"solar_cf {solar_cf:.3f} is above the clear-sky capacity factor {best:.3f} at "
            f"({latitude}, {longitude}); check the market's solar_cf"
        )
    if solar_cf <= 0:
        return pd.Series(np.zeros(HOURS_PER_YEAR), index=times, name="solar_cf")
    level = _bisect(lambda v: float(profile(v).mean()), solar_cf, -8.0, 8.0, iters=40)
    values = profile(level)
    values *= solar_cf / values.mean()  # remove the last bisection residual
    return pd.Series(np.clip(values, 0.0, 1.0), index=times, name="solar_cf")


def wind_profile(
    latitude: float,
    longitude: float,
    wind_cf: float,
    year: int = 2024,
    seed: int = 0,
) -> pd.Series:
    """Hourly capacity factor of an onshore wind turbine calibrated to an annual capacity factor.

    Hub-height wind speed is a Gaussian AR(1) process mapped to a Weibull marginal (k = 2) whose
    scale carries a seasonal (winter-high, +-15 %) and diurnal (night-high at hub height, +-6 %)
    shape; speeds go through the Vestas V126-3.45 MW power curve shipped with windpowerlib. The
    Weibull scale is bisected so that the annual mean equals ``wind_cf``.

    Parameters
    ----------
    latitude, longitude : float
        Site [deg] (hemisphere sets the season; longitude sets local time).
    wind_cf : float
        Target annual capacity factor [0..1].
    year, seed : int
        Calendar year and random seed.

    Returns
    -------
    pandas.Series
        8760 hourly capacity factors on a UTC index.

    References
    ----------
    .. [1] Haas, S., Krien, U., Schachler, B., et al. (2024). wind-python/windpowerlib: a python
       library to model wind power plants. Zenodo, doi:10.5281/zenodo.824267.
    .. [2] Brown, B. G., Katz, R. W., Murphy, A. H. (1984). Time series models to simulate and
       forecast wind speed and wind power. J. Climate Appl. Meteor. 23, 1184-1195.
    """
    import pandas as pd
    from scipy.signal import lfilter
    from scipy.special import ndtr
    from windpowerlib import WindTurbine
    from windpowerlib.power_output import power_curve

    times = _hours(year)
    if wind_cf <= 0:
        return pd.Series(np.zeros(HOURS_PER_YEAR), index=times, name="wind_cf")
    rng = np.random.default_rng(seed + 7919)  # decoupled from the solar draw of the same seed
    rho = _WIND_HOURLY_AUTOCORR
    start = rng.standard_normal()  # stationary start: every z_t is N(0, 1)
    noise = rng.standard_normal(HOURS_PER_YEAR)
    z, _ = lfilter([np.sqrt(1.0 - rho**2)], [1.0, -rho], noise, zi=[rho * start])
    u = np.clip(ndtr(z), 1e-12, 1 - 1e-12)
    unit_weibull = (-np.log1p(-u)) ** (1.0 / _WIND_WEIBULL_K)
    doy = times.day_of_year.to_numpy()
    hour = _local_solar_hour(times, longitude)
    winter_doy = 15 if latitude >= 0 else 196
    shape = (1.0 + 0.15 * np.cos(2 * np.pi * (doy - winter_doy) / 365.0)) * (
        1.0 + 0.06 * np.cos(2 * np.pi * (hour - 2.0) / 24.0)
    )
    turbine = WindTurbine(hub_height=_WIND_HUB_HEIGHT_M, turbine_type=_WIND_TURBINE)
    curve = turbine.power_curve
    speeds_ref = curve["wind_speed"].to_numpy(dtype=np.float64)
    values_ref = curve["value"].to_numpy(dtype=np.float64) / float(turbine.nominal_power)

    def mean_cf(scale: float) -> float:
        # the same interpolation as windpowerlib's power_curve (0 below cut-in, above cut-out),
        # on arrays for the calibration loop
        return float(np.interp(scale * shape * unit_weibull, speeds_ref, values_ref, 0.0, 0.0).mean())

    def profile(scale: float) -> np.ndarray:
        speed = pd.Series(scale * shape * unit_weibull)
        return np.array(power_curve(speed, speeds_ref, values_ref), dtype=np.float64)

    best = max(mean_cf(s) for s in np.linspace(4.0, 20.0, 33))
    if wind_cf > best + 1e-9:
        raise DataError(f"wind_cf {wind_cf:.3f} is above what the turbine model reaches ({best:.3f})")
    scale = _bisect(mean_cf, wind_cf, 0.1, 12.0, iters=40)
    values = profile(scale)
    values *= wind_cf / max(values.mean(), 1e-12)
    return pd.Series(np.clip(values, 0.0, 1.0), index=times, name="wind_cf")


def grid_profiles(
    price_usd_per_mwh: float,
    intensity_tco2_per_mwh: float,
    cfe_share: float,
    longitude: float,
    year: int = 2024,
) -> pd.DataFrame:
    """Hourly grid price, carbon intensity and carbon-free share from annual figures.

    The annual values are spread over the day with the stated shapes ``_PRICE_SHAPE`` and
    ``_INTENSITY_SHAPE`` (assumptions, mean 1, local solar time). The non-carbon-free share
    follows the intensity shape, so ``grid_cfe_share`` keeps its annual mean unless clipped.

    Returns
    -------
    pandas.DataFrame
        ``grid_price_usd_per_mwh``, ``grid_intensity_tco2_per_mwh``, ``grid_cfe_share``.
    """
    import pandas as pd

    times = _hours(year)
    hour = _local_solar_hour(times, longitude)
    grid_hours = np.arange(25, dtype=np.float64)

    def shaped(table: np.ndarray) -> np.ndarray:
        wrapped = np.append(table, table[0])
        out = np.interp(hour, grid_hours, wrapped)
        return out / out.mean()

    intensity_mult = shaped(_INTENSITY_SHAPE)
    return pd.DataFrame(
        {
            "grid_price_usd_per_mwh": price_usd_per_mwh * shaped(_PRICE_SHAPE),
            "grid_intensity_tco2_per_mwh": intensity_tco2_per_mwh * intensity_mult,
            "grid_cfe_share": np.clip(1.0 - (1.0 - cfe_share) * intensity_mult, 0.0, 1.0),
        },
        index=times,
    )


def market_profiles(
    market: Market,
    year: int = 2024,
    seed: int = 0,
    load_mw: float = 100.0,
    tracking: bool = True,
    solar_cf: pd.Series | None = None,
    wind_cf: pd.Series | None = None,
) -> pd.DataFrame:
    """A year of hourly profiles for a market, synthesised from its annual figures.

    Solar and wind capacity factors given as ``solar_cf`` / ``wind_cf`` (e.g. from a weather
    file through :mod:`gridfirst.weather`) replace the synthetic ones.

    Parameters
    ----------
    market : Market
        Uses latitude, longitude, solar_cf, wind_cf, price_usd_per_mwh,
        grid_intensity_tco2_per_mwh, grid_cfe_share and mean_temperature_c.
    year : int
        Calendar year of the UTC index (8760 hours from 1 January).
    seed : int
        Random seed of the cloudiness and wind draws (same seed, same profiles).
    load_mw : float
        Flat load [MW].
    tracking : bool
        Single-axis tracking PV (True) or fixed tilt (False).
    solar_cf, wind_cf : pandas.Series, optional
        8760 hourly capacity factors [0..1] used instead of the synthetic ones; their
        ``attrs["source"]`` names where they come from.

    Returns
    -------
    pandas.DataFrame
        8760 rows on a UTC index with exactly :data:`PROFILE_COLUMNS`;
        ``attrs["resource_basis"]`` says for ``solar`` and ``wind`` whether the profile is
        synthetic (and calibrated to which annual figure) or from a file.
    """
    import pandas as pd

    if load_mw < 0:
        raise DataError(f"load_mw: {load_mw} must be >= 0")
    basis = {}
    if solar_cf is None:
        solar = solar_profile(
            market.latitude, market.longitude, market.solar_cf, year=year, seed=seed,
            tracking=tracking, mean_temperature_c=market.mean_temperature_c,
        )
        basis["solar"] = f"synthetic (calibrated to market solar_cf {market.solar_cf:.3f})"
    else:
        solar = _given_cf(solar_cf, "solar_cf", year)
        basis["solar"] = str(solar_cf.attrs.get("source", "given hourly series"))
    if wind_cf is None:
        wind = wind_profile(market.latitude, market.longitude, market.wind_cf, year=year, seed=seed)
        basis["wind"] = f"synthetic (calibrated to market wind_cf {market.wind_cf:.3f})"
    else:
        wind = _given_cf(wind_cf, "wind_cf", year)
        basis["wind"] = str(wind_cf.attrs.get("source", "given hourly series"))
    grid = grid_profiles(
        market.price_usd_per_mwh, market.grid_intensity_tco2_per_mwh, market.grid_cfe_share,
        market.longitude, year=year,
    )
    frame = pd.DataFrame(
        {
            "load_mw": np.full(HOURS_PER_YEAR, float(load_mw)),
            "solar_cf": solar.to_numpy(),
            "wind_cf": wind.to_numpy(),
            "grid_price_usd_per_mwh": grid["grid_price_usd_per_mwh"].to_numpy(),
            "grid_intensity_tco2_per_mwh": grid["grid_intensity_tco2_per_mwh"].to_numpy(),
            "grid_cfe_share": grid["grid_cfe_share"].to_numpy(),
        },
        index=solar.index,
    )[list(PROFILE_COLUMNS)]
    frame.attrs["resource_basis"] = basis
    return frame


def _given_cf(series: pd.Series, name: str, year: int) -> pd.Series:
    """A given capacity-factor series: 8760 values in [0, 1] on the profiles' hours of ``year``."""
    import pandas as pd

    values = pd.to_numeric(pd.Series(series), errors="coerce").to_numpy(dtype=np.float64)
    if len(values) != HOURS_PER_YEAR:
        raise DataError(f"{name}: {len(values)} hourly values; expected {HOURS_PER_YEAR}")
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
        raise DataError(f"{name}: values must be capacity factors in 0..1 (found "
                        f"{np.nanmin(values):g}..{np.nanmax(values):g} or NaN)")
    return pd.Series(values, index=_hours(year), name=name)
