"""Solar resource basis: each market's published solar figure converted to the model's solar_cf.

The model's ``solar_cf`` is the annual AC capacity factor of a single-axis tracker with DC/AC
ratio :data:`DC_AC_RATIO`; sources give DC fixed-tilt PVOUT, AC fixed-tilt or fleet factors.

Run ``python -m gridfirst.data.prepare_solar_basis`` to recompute the derived columns of
``solar_basis.csv`` and the ``solar_cf`` rows of ``facts_energy.csv`` from the source figures.

Method
------
For each market one sky is built at its latitude and longitude: pvlib clear-sky irradiance
(Ineichen, Linke turbidity climatology) dimmed by a seeded daily clear-sky index (the same
AR(1) cloudiness process as :func:`gridfirst.resources.solar_profile`), split into beam and
diffuse with Erbs, transposed (Hay-Davies, which keeps the circumsolar part a tracker
gains from) to a plane fixed at the latitude tilt and to a
horizontal north-south single-axis tracker (+-60 deg, backtracking, GCR 0.35), and turned into
DC output per kWp with PVWatts at a SAPM cell temperature and the losses Global Solar Atlas
assumes in PVOUT (3.5 % soiling, 7.5 % other). The cloudiness level is bisected so that the
sky reproduces the source figure on the source's own basis (a fixed-tilt DC yield, an AC
fixed-tilt factor at the source's DC/AC ratio, or a fleet mix of tracking and fixed plants).
On that same sky

    solar_cf = implied_pvout / 8760 * tracking_gain * DC_AC_RATIO * (1 - clipping_loss)

where ``tracking_gain`` is the tracker's annual DC energy over the fixed plane's and
``clipping_loss`` the share of the tracker's DC energy above the inverter rating. The tracking
gain thus depends on latitude and on how diffuse the calibrated sky is, not on a flat constant.

Limits, stated: hourly means hide the sub-hourly peaks that an inverter clips, so at DC/AC 1.3
the clipping loss comes out near zero (field plants lose about 1-3 % in deserts); the Erbs split
of an hourly clear-sky index leaves more diffuse light than clear desert skies have, so tracking
gains (1.01 in northern Europe to 1.13 in Riyadh) sit at the low end of the 10-25 % commonly
reported for sunny sites. Both errors are of a few per cent and of opposite sign.

References
----------
.. [1] Suri, M. et al. (2020). Global Photovoltaic Power Potential by Country. World Bank /
   ESMAP / Solargis. (PVOUT: fixed optimum tilt, c-Si, 3.5 % soiling and 7.5 % other losses.)
.. [2] NREL (2020-2024). Annual Technology Baseline, Utility-Scale PV: one-axis tracking,
   inverter loading ratio 1.34, capacity in kW AC.
.. [3] Holmgren, W., Hansen, C., Mikofski, M. (2018). pvlib python. JOSS 3(29), 884.
.. [4] Dobos, A. P. (2014). PVWatts Version 5 Manual. NREL/TP-6A20-62641.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

BASES = ("dc_fixed_pvout_kwh_per_kwp", "ac_cf_fixed", "ac_cf_tracking", "ac_cf_fleet")
HOURS_PER_YEAR = 8760
DC_AC_RATIO = 1.3  # the model's inverter loading ratio (gridfirst.resources._PV_DC_AC_RATIO)
# Global Solar Atlas PVOUT losses: soiling 3.5 % and other conversion losses 7.5 % [1].
PVOUT_LOSSES = 1.0 - (1.0 - 0.035) * (1.0 - 0.075)
TRACKER_MAX_ANGLE_DEG = 60.0
TRACKER_GCR = 0.35
FIXED_TILT_MAX_DEG = 40.0
GAMMA_PDC_PER_K = -0.0035  # crystalline silicon, as in gridfirst.resources
SKY_SEED = 0
SKY_YEAR = 2024

INPUT_COLUMNS = [
    "market_id",
    "source_value",
    "source_basis",
    "source_dc_ac_ratio",
    "source_tracking_share",
    "source_id",
    "data_year",
    "country_pvout_kwh_per_kwp_per_day",
    "method_source_ids",
    "note",
]
DERIVED_COLUMNS = [
    "implied_pvout_kwh_per_kwp",
    "tracking_gain",
    "clipping_loss",
    "dc_ac_ratio",
    "solar_cf",
]
SOLAR_FIELD = "solar_cf"


def basis_path() -> Path:
    """The bundled ``solar_basis.csv``."""
    return Path(__file__).with_name("solar_basis.csv")


def facts_path() -> Path:
    """The bundled ``facts_energy.csv`` whose ``solar_cf`` rows this module writes."""
    return Path(__file__).with_name("facts_energy.csv")


@dataclass(frozen=True)
class Conversion:
    """One market's source figure on the model's basis.

    Attributes
    ----------
    implied_pvout_kwh_per_kwp : float
        Fixed-tilt DC specific yield of the calibrated sky [kWh/kWp/yr].
    tracking_gain : float
        Tracker over fixed-tilt annual DC energy [-].
    clipping_loss : float
        Share of the tracker's DC energy above the inverter rating at :data:`DC_AC_RATIO` [-].
    solar_cf : float
        Annual AC capacity factor of a single-axis tracker at :data:`DC_AC_RATIO` [-].
    """

    implied_pvout_kwh_per_kwp: float
    tracking_gain: float
    clipping_loss: float
    solar_cf: float


class _Sky:
    """Hourly geometry and weather of one site for one year; output per kWp for a cloud level."""

    def __init__(self, latitude: float, longitude: float, mean_temperature_c: float) -> None:
        import pandas as pd
        import pvlib

        times = pd.date_range(f"{SKY_YEAR}-01-01", periods=HOURS_PER_YEAR, freq="h", tz="UTC")
        loc = pvlib.location.Location(latitude, longitude)
        solpos = loc.get_solarposition(times)
        clear = loc.get_clearsky(times, solar_position=solpos)
        self.zenith = solpos["apparent_zenith"].to_numpy()
        self.sun_azimuth = solpos["azimuth"].to_numpy()
        self.doy = times.day_of_year.to_numpy()
        self.ghi_clear = clear["ghi"].to_numpy()
        self.dni_extra = pvlib.irradiance.get_extra_radiation(times).to_numpy()
        track = pvlib.tracking.singleaxis(
            solpos["apparent_zenith"], solpos["azimuth"], axis_tilt=0, axis_azimuth=180,
            max_angle=TRACKER_MAX_ANGLE_DEG, backtrack=True, gcr=TRACKER_GCR,
        )
        self.track_tilt = track["surface_tilt"].fillna(0.0).to_numpy()
        self.track_azimuth = track["surface_azimuth"].fillna(180.0).to_numpy()
        self.fixed_tilt = min(abs(latitude), FIXED_TILT_MAX_DEG)
        self.fixed_azimuth = 180.0 if latitude >= 0 else 0.0
        rng = np.random.default_rng(SKY_SEED)
        days = HOURS_PER_YEAR // 24
        shock = np.empty(days)
        shock[0] = rng.standard_normal()
        for d in range(1, days):  # AR(1) cloudy spells, as in gridfirst.resources
            shock[d] = 0.6 * shock[d - 1] + 0.8 * rng.standard_normal()
        self.daily = np.repeat(shock, 24)
        hours = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
        local = np.mod(hours + longitude / 15.0, 24.0)
        season = np.cos(2 * np.pi * (self.doy - (200 if latitude >= 0 else 20)) / 365.0)
        self.temp_air = (
            mean_temperature_c + 8.0 * season + 4.0 * np.cos(2 * np.pi * (local - 15.0) / 24.0)
        )

    def dc_per_kwp(self, level: float, brighten: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Hourly DC output after PVOUT losses [kW/kWp]: (fixed plane, tracker).

        ``level`` sets the cloudiness; ``brighten`` >= 1 scales the clear sky itself, used only
        where the climatological clear sky is dimmer than the source's figure.
        """
        import pvlib

        index = 1.0 / (1.0 + np.exp(-(level + 1.2 * self.daily)))
        ghi = self.ghi_clear * index * brighten
        parts = pvlib.irradiance.erbs(ghi, self.zenith, self.doy)
        dni = np.nan_to_num(np.asarray(parts["dni"], dtype=np.float64))
        dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=np.float64))
        out = []
        for tilt, azimuth in (
            (self.fixed_tilt, self.fixed_azimuth),
            (self.track_tilt, self.track_azimuth),
        ):
            poa = pvlib.irradiance.get_total_irradiance(
                tilt, azimuth, self.zenith, self.sun_azimuth, dni, ghi, dhi,
                dni_extra=self.dni_extra, model="haydavies", albedo=0.2,
            )["poa_global"]
            poa = np.nan_to_num(np.asarray(poa, dtype=np.float64))
            temp_cell = pvlib.temperature.sapm_cell(poa, self.temp_air, 1.0, -3.56, -0.075, 3.0)
            dc = np.asarray(pvlib.pvsystem.pvwatts_dc(poa, temp_cell, 1.0, GAMMA_PDC_PER_K))
            out.append(np.clip(np.nan_to_num(dc), 0.0, None) * (1.0 - PVOUT_LOSSES))
        return out[0], out[1]


def _ac_cf(dc_per_kwp: np.ndarray, dc_ac_ratio: float) -> float:
    """Annual AC capacity factor on AC rating of a plant with ``dc_ac_ratio`` kWp per kW AC."""
    return float(np.minimum(dc_per_kwp * dc_ac_ratio, 1.0).mean())


def _figure(
    sky: _Sky, level: float, basis: str, dc_ac: float, tracking_share: float, brighten: float = 1.0
) -> float:
    """The source's figure that a sky with cloud ``level`` would produce."""
    fixed, track = sky.dc_per_kwp(level, brighten)
    if basis == "dc_fixed_pvout_kwh_per_kwp":
        return float(fixed.sum())
    if basis == "ac_cf_fixed":
        return _ac_cf(fixed, dc_ac)
    if basis == "ac_cf_tracking":
        return _ac_cf(track, dc_ac)
    return tracking_share * _ac_cf(track, dc_ac) + (1.0 - tracking_share) * _ac_cf(fixed, dc_ac)


def convert(
    latitude: float,
    longitude: float,
    mean_temperature_c: float,
    source_value: float,
    source_basis: str,
    source_dc_ac_ratio: float | None = None,
    source_tracking_share: float | None = None,
    dc_ac_ratio: float = DC_AC_RATIO,
) -> Conversion:
    """Convert one published solar figure to an AC single-axis-tracking capacity factor.

    Parameters
    ----------
    latitude, longitude : float
        Site [deg].
    mean_temperature_c : float
        Annual mean air temperature [degC].
    source_value : float
        The published figure: kWh/kWp/yr for ``dc_fixed_pvout_kwh_per_kwp``, a fraction for the
        ``ac_cf_*`` bases.
    source_basis : str
        One of :data:`BASES`.
    source_dc_ac_ratio : float or None
        DC/AC ratio of the source's plants; required for the ``ac_cf_*`` bases.
    source_tracking_share : float or None
        Share of tracking plants in a fleet figure (``ac_cf_fleet`` only) [0..1].
    dc_ac_ratio : float
        DC/AC ratio of the model's plant [kWp/kW AC].

    Returns
    -------
    Conversion
        Implied fixed-tilt PVOUT, tracking gain, clipping loss and the model's ``solar_cf``.

    Raises
    ------
    DataError
        Unknown basis, a missing ratio or share, or a figure no sky at this site reaches.

    References
    ----------
    .. [1] Suri, M. et al. (2020). Global Photovoltaic Power Potential by Country. World Bank.
    .. [2] Holmgren, W., Hansen, C., Mikofski, M. (2018). pvlib python. JOSS 3(29), 884.
    """
    if source_basis not in BASES:
        raise DataError(f"solar_basis.csv: source_basis {source_basis!r} is not one of {BASES}")
    if source_basis != "dc_fixed_pvout_kwh_per_kwp" and not source_dc_ac_ratio:
        raise DataError(f"solar_basis.csv: source_basis {source_basis} needs source_dc_ac_ratio")
    if source_basis == "ac_cf_fleet" and source_tracking_share is None:
        raise DataError("solar_basis.csv: source_basis ac_cf_fleet needs source_tracking_share")
    sky = _Sky(latitude, longitude, mean_temperature_c)
    ratio = float(source_dc_ac_ratio or 1.0)
    share = float(source_tracking_share or 0.0)
    lo, hi = -8.0, 8.0
    brighten = 1.0
    if _figure(sky, hi, source_basis, ratio, share) < source_value:
        # The climatological (Linke turbidity) clear sky is dimmer than the source says, as in
        # the dusty Gulf: keep the clearest sky and brighten it until it gives the figure.
        level = hi
        b_lo, b_hi = 1.0, 2.0
        if _figure(sky, level, source_basis, ratio, share, b_hi) < source_value:
            raise DataError(
                f"solar_basis.csv: {source_basis} {source_value} is out of reach at "
                f"({latitude}, {longitude}) even under a clear sky twice as bright"
            )
        for _ in range(32):
            mid = 0.5 * (b_lo + b_hi)
            if _figure(sky, level, source_basis, ratio, share, mid) < source_value:
                b_lo = mid
            else:
                b_hi = mid
        brighten = 0.5 * (b_lo + b_hi)
    else:
        for _ in range(32):  # the figure rises with the clear-sky index level
            mid = 0.5 * (lo + hi)
            if _figure(sky, mid, source_basis, ratio, share) < source_value:
                lo = mid
            else:
                hi = mid
        level = 0.5 * (lo + hi)
    fixed, track = sky.dc_per_kwp(level, brighten)
    pvout = float(fixed.sum())
    gain = float(track.sum()) / pvout
    unclipped = track * dc_ac_ratio
    clipping = 1.0 - float(np.minimum(unclipped, 1.0).sum()) / float(unclipped.sum())
    return Conversion(
        implied_pvout_kwh_per_kwp=pvout,
        tracking_gain=gain,
        clipping_loss=clipping,
        solar_cf=pvout / HOURS_PER_YEAR * gain * dc_ac_ratio * (1.0 - clipping),
    )


def read_basis(path: Path | None = None) -> pd.DataFrame:
    """The solar basis table (source figures and, once prepared, their conversions)."""
    import pandas as pd

    path = path or basis_path()
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pragma: no cover - the message is what matters
        raise DataError(f"{path.name}: cannot be read as CSV: {exc}") from None
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}; expected {INPUT_COLUMNS}")
    for row in frame.itertuples():
        if row.source_basis not in BASES:
            raise DataError(
                f"{path.name}: {row.market_id}.source_basis {row.source_basis!r} is not one of "
                f"{BASES}"
            )
    return frame


def _optional(raw: str) -> float | None:
    return float(raw) if raw.strip() else None


def convert_row(row: pd.Series, latitude: float, longitude: float, temp_c: float) -> Conversion:
    """:func:`convert` applied to one row of the basis table."""
    try:
        value = float(row["source_value"])
        ratio = _optional(row["source_dc_ac_ratio"])
        share = _optional(row["source_tracking_share"])
    except ValueError:
        raise DataError(f"solar_basis.csv: {row['market_id']}: a source figure is not a number") from None
    return convert(latitude, longitude, temp_c, value, row["source_basis"], ratio, share)


def prepare(basis_file: Path | None = None, facts_file: Path | None = None) -> pd.DataFrame:
    """Recompute the derived columns and write them and the ``solar_cf`` facts.

    Returns
    -------
    pandas.DataFrame
        The basis table with its derived columns.
    """
    from gridfirst.data import market_facts, market_identities

    basis_file = basis_file or basis_path()
    facts_file = facts_file or facts_path()
    table = read_basis(basis_file)
    ident = market_identities()
    facts = market_facts()
    temps = facts[facts.field == "mean_temperature_c"].set_index("market_id")["value"]
    derived: dict[str, list[str]] = {c: [] for c in DERIVED_COLUMNS}
    for _, row in table.iterrows():
        mid = row["market_id"]
        if mid not in ident.index:
            raise DataError(f"{basis_file.name}: market {mid!r} is not in markets.csv")
        conv = convert_row(row, ident.at[mid, "latitude"], ident.at[mid, "longitude"],
                           float(temps[mid]))
        derived["implied_pvout_kwh_per_kwp"].append(f"{conv.implied_pvout_kwh_per_kwp:.1f}")
        derived["tracking_gain"].append(f"{conv.tracking_gain:.4f}")
        derived["clipping_loss"].append(f"{conv.clipping_loss:.4f}")
        derived["dc_ac_ratio"].append(f"{DC_AC_RATIO}")
        derived["solar_cf"].append(f"{conv.solar_cf:.4f}")
    for column, values in derived.items():
        table[column] = values
    table = table[INPUT_COLUMNS + DERIVED_COLUMNS]
    table.to_csv(basis_file, index=False, lineterminator="\n")
    _write_facts(table, facts_file)
    return table


def fact_note(row: pd.Series) -> str:
    """The ``note`` of a market's ``solar_cf`` fact: the basis and the source figure."""
    return (
        f"AC single-axis tracking capacity factor at DC/AC {row['dc_ac_ratio']}, converted by "
        f"gridfirst.data.prepare_solar_basis from {row['source_basis']} {row['source_value']} "
        f"(implied fixed-tilt PVOUT {float(row['implied_pvout_kwh_per_kwp']):.0f} kWh/kWp/yr x "
        f"tracking gain {float(row['tracking_gain']):.3f} x DC/AC {row['dc_ac_ratio']} x "
        f"(1 - clipping {float(row['clipping_loss']):.3f}) / 8760); source figure: {row['note']}"
    )


def _write_facts(table: pd.DataFrame, facts_file: Path) -> None:
    raw = facts_file.read_bytes().decode("utf-8")
    terminator = "\r\n" if "\r\n" in raw else "\n"  # keep the file's own line endings
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    by_market = table.set_index("market_id")
    seen = set()
    for r in rows[1:]:
        if r[col["field"]] != SOLAR_FIELD:
            continue
        mid = r[col["market_id"]]
        if mid not in by_market.index:
            raise DataError(f"{facts_file.name}: {mid}.solar_cf has no row in solar_basis.csv")
        b = by_market.loc[mid]
        r[col["value"]] = f"{float(b['solar_cf']):.3f}"
        r[col["source_id"]] = b["source_id"]
        r[col["data_year"]] = b["data_year"]
        r[col["note"]] = fact_note(b)
        seen.add(mid)
    absent = sorted(set(by_market.index) - seen)
    if absent:
        raise DataError(f"{facts_file.name}: no solar_cf row for {absent}")
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows(rows)
    facts_file.write_bytes(out.getvalue().encode("utf-8"))


def main() -> None:  # pragma: no cover - a data-preparation entry point
    table = prepare()
    for row in table.itertuples():
        print(f"{row.market_id:24s} {row.source_basis:28s} {row.source_value:>8s} -> "
              f"gain {row.tracking_gain} clip {row.clipping_loss} solar_cf {row.solar_cf}")


if __name__ == "__main__":  # pragma: no cover
    main()
