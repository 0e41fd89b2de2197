"""Tests of gridfirst.weather: weather files read through pvlib.iotools, and the power they give.

The TMY3 samples are the ones pvlib ships (``pvlib/data/``); EPW and PVGIS samples are pvlib's
test files copied under ``tests/data/weather`` (see its README).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.cli.procure import _profiles
from gridfirst.errors import DataError, ScenarioError
from gridfirst.resources import _hours, market_profiles
from gridfirst.scenario import load_scenario
from gridfirst.weather import (
    _roll_to_utc,
    read_weather,
    solar_cf_from_weather,
    weather_profiles,
    wind_cf_from_weather,
)

PVLIB_DATA = Path(pvlib.__file__).parent / "data"
SAND_POINT = PVLIB_DATA / "703165TY.csv"  # TMY3, Sand Point AK, 55.3 N, cloudy
GREENSBORO = PVLIB_DATA / "723170TYA.CSV"  # TMY3, Greensboro NC, 36.1 N
HERE = Path(__file__).parent / "data" / "weather"
AMSTERDAM_EPW = HERE / "NLD_Amsterdam062400_IWEC.epw.gz"
PVGIS_CSV = HERE / "tmy_45.000_8.000_2005_2023.csv.gz"
PVGIS_JSON = HERE / "tmy_45.000_8.000_2005_2023.json.gz"
PVGIS_EPW = HERE / "tmy_45.000_8.000_2005_2023.epw.gz"
PVGIS_HOURLY_TILTED = HERE / "pvgis_hourly_Timeseries_45.000_8.000_SA_30deg_0deg_2016_2016.csv"
ALL_FILES = [SAND_POINT, GREENSBORO, AMSTERDAM_EPW, PVGIS_CSV, PVGIS_JSON, PVGIS_EPW]


@pytest.fixture(scope="module")
def weathers() -> dict[Path, object]:
    return {path: read_weather(path) for path in ALL_FILES}


@pytest.fixture(scope="module")
def greensboro_csv(tmp_path_factory, weathers) -> Path:
    """Greensboro's year written as the plain CSV (UTC stamps of 2023, start of hour)."""
    frame = weathers[GREENSBORO].data.reset_index(drop=True)
    stamps = pd.date_range("2023-01-01", periods=8760, freq="h", tz="UTC")
    frame.insert(0, "time", stamps.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame["latitude"], frame["longitude"] = 36.1, -79.95
    path = tmp_path_factory.mktemp("weather") / "greensboro.csv"
    frame.to_csv(path, index=False)
    return path


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("path, fmt, lat, lon", [
    (SAND_POINT, "tmy3", 55.317, -160.517),
    (GREENSBORO, "tmy3", 36.1, -79.95),
    (AMSTERDAM_EPW, "epw", 52.3, 4.77),
    (PVGIS_CSV, "pvgis_tmy", 45.0, 8.0),
    (PVGIS_JSON, "pvgis_tmy", 45.0, 8.0),
    (PVGIS_EPW, "epw", 45.0, 8.0),
])
def test_each_format_gives_one_year_on_the_profiles_hours(weathers, path, fmt, lat, lon) -> None:
    weather = weathers[path]
    assert weather.source.startswith(f"{fmt}:")
    assert (weather.latitude, weather.longitude) == pytest.approx((lat, lon))
    assert weather.data.index.equals(_hours(2024))
    assert list(weather.data.columns) == ["ghi", "dni", "dhi", "temp_air", "wind_speed"]
    assert np.isfinite(weather.data.to_numpy()).all()


@pytest.mark.parametrize("path", ALL_FILES)
def test_the_sun_peaks_at_solar_noon_in_utc(weathers, path) -> None:
    """Time zones, hour-ending stamps and PVGIS's offsets handled: mean GHI centres on noon."""
    weather = weathers[path]
    ghi = weather.data["ghi"].groupby(weather.data.index.hour).mean().to_numpy()
    phase = np.angle((ghi * np.exp(2j * np.pi * (np.arange(24) + 0.5) / 24)).sum())
    centre_utc = phase * 24 / (2 * np.pi) % 24
    noon_utc = (12.0 - weather.longitude / 15.0) % 24
    gap = min(abs(centre_utc - noon_utc), 24 - abs(centre_utc - noon_utc))
    assert gap < 0.3, (weather.source, centre_utc, noon_utc)


def test_pvgis_formats_agree(weathers) -> None:
    csv, jsn, epw = weathers[PVGIS_CSV], weathers[PVGIS_JSON], weathers[PVGIS_EPW]
    pd.testing.assert_frame_equal(csv.data, jsn.data)
    # the EPW does not carry PVGIS's irradiance time offset (10 minutes assumed)
    assert abs(solar_cf_from_weather(csv).mean() - solar_cf_from_weather(epw).mean()) < 0.005
    assert epw.data["ghi"].sum() == pytest.approx(csv.data["ghi"].sum(), rel=1e-3)


def test_plain_csv_round_trips(weathers, greensboro_csv) -> None:
    back = read_weather(greensboro_csv)
    assert back.source == "csv:greensboro.csv" and back.latitude == 36.1
    pd.testing.assert_frame_equal(back.data, weathers[GREENSBORO].data, check_freq=False)


def test_ghi_only_csv_is_split_by_erbs(weathers, greensboro_csv, tmp_path) -> None:
    frame = pd.read_csv(greensboro_csv).drop(columns=["dni", "dhi", "wind_speed"])
    path = tmp_path / "ghi_only.csv"
    frame.to_csv(path, index=False)
    weather = read_weather(path)
    assert not weather.has_wind
    split = weather.data
    assert (split["dhi"] <= split["ghi"] + 1e-6).all() and (split["dni"] >= 0).all()
    full_cf = solar_cf_from_weather(weathers[GREENSBORO]).mean()
    assert solar_cf_from_weather(weather).mean() == pytest.approx(full_cf, rel=0.08)


def test_a_leap_year_csv_loses_29_february(tmp_path) -> None:
    times = pd.date_range("2020-01-01", periods=8784, freq="h", tz="UTC")
    frame = pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%MZ"),
                          "ghi": np.where(times.month == 2, 0.0, 100.0) * (times.hour == 12),
                          "temp_air": np.where((times.month == 2) & (times.day == 29), 33.0, 10.0)})
    path = tmp_path / "leap.csv"
    frame.to_csv(path, index=False)
    weather = read_weather(path, year=2023)
    assert len(weather.data) == 8760 and weather.data["temp_air"].max() == 10.0
    assert weather.data.index[0] == pd.Timestamp("2023-01-01", tz="UTC")


@settings(max_examples=50, deadline=None)
@given(offset=st.floats(-12.0, 14.0), seed=st.integers(0, 2**16))
def test_turning_to_utc_keeps_the_year_total(offset, seed) -> None:
    values = np.random.default_rng(seed).uniform(0, 1000, size=(8760, 2))
    rolled = _roll_to_utc(values, offset)
    np.testing.assert_allclose(rolled.sum(axis=0), values.sum(axis=0), rtol=1e-12)
    whole = round(offset)
    np.testing.assert_array_equal(_roll_to_utc(_roll_to_utc(values, whole), -whole), values)


# --- power ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path, low, high", [
    # annual AC CF with DC/AC 1.3 on a tracker: ~0.22-0.26 in North Carolina (NREL ATB class
    # 6-7 sites), ~0.10-0.16 on the cloudy Aleutian coast and in the Netherlands
    (GREENSBORO, 0.20, 0.27),
    (SAND_POINT, 0.09, 0.17),
    (AMSTERDAM_EPW, 0.10, 0.17),
    (PVGIS_CSV, 0.19, 0.26),
])
def test_solar_cf_is_physical(weathers, path, low, high) -> None:
    weather = weathers[path]
    tracked = solar_cf_from_weather(weather)
    fixed = solar_cf_from_weather(weather, tracking=False)
    assert low < tracked.mean() < high
    assert tracked.mean() >= fixed.mean()
    for cf in (tracked, fixed):
        assert cf.between(0.0, 1.0).all()
        assert cf.index.equals(weather.data.index)
    sun = pvlib.solarposition.get_solarposition(tracked.index + pd.Timedelta(minutes=30),
                                                weather.latitude, weather.longitude)
    assert (tracked[sun["elevation"].to_numpy() < 0].to_numpy() == 0).all()
    assert tracked.attrs["source"] == f"weather file {weather.source}"


def test_clipping_holds_at_one_and_more_dc_clips_more(weathers) -> None:
    weather = weathers[GREENSBORO]
    base = solar_cf_from_weather(weather)
    oversized = solar_cf_from_weather(weather, dc_ac_ratio=2.0)
    assert base.max() <= 1.0 and oversized.max() == 1.0
    assert (oversized >= base - 1e-12).all()
    assert (oversized == 1.0).sum() > (base == 1.0).sum()


def test_wind_cf_rises_with_shear_and_stays_a_fraction(weathers) -> None:
    weather = weathers[AMSTERDAM_EPW]
    calm = wind_cf_from_weather(weather, shear_exponent=0.10)
    sheared = wind_cf_from_weather(weather, shear_exponent=0.20)
    assert calm.between(0, 1).all() and sheared.between(0, 1).all()
    assert 0.05 < calm.mean() < sheared.mean() < 0.8
    still = weather.data["wind_speed"] < 1.5  # below cut-in (3 m/s) even at hub height
    assert (sheared[still.to_numpy()] == 0).all()


def test_weather_profiles_replace_solar_and_wind(weathers, greensboro_csv) -> None:
    market = load_scenario().resolved_markets()[0]
    weather = weathers[GREENSBORO]
    profiles = weather_profiles(market, weather, load_mw=50.0)
    np.testing.assert_allclose(profiles["solar_cf"], solar_cf_from_weather(weather).to_numpy())
    np.testing.assert_allclose(profiles["wind_cf"], wind_cf_from_weather(weather).to_numpy())
    assert profiles.attrs["resource_basis"] == {"solar": "weather file tmy3:723170TYA.CSV",
                                                "wind": "weather file tmy3:723170TYA.CSV"}
    synthetic = market_profiles(market, load_mw=50.0)
    pd.testing.assert_frame_equal(profiles.drop(columns=["solar_cf", "wind_cf"]),
                                  synthetic.drop(columns=["solar_cf", "wind_cf"]))
    assert synthetic.attrs["resource_basis"]["solar"].startswith("synthetic (calibrated to")
    no_wind = read_weather(_without(greensboro_csv, "wind_speed"))
    mixed = weather_profiles(market, no_wind).attrs["resource_basis"]
    assert mixed["solar"].startswith("weather file csv:") and mixed["wind"].startswith("synthetic")


def _without(path: Path, column: str) -> Path:
    out = path.with_name(f"no_{column}.csv")
    pd.read_csv(path).drop(columns=[column]).to_csv(out, index=False)
    return out


# --- errors ---------------------------------------------------------------------------------


def _csv_with(greensboro_csv: Path, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    frame = pd.read_csv(greensboro_csv)
    frame = edit(frame)
    path = tmp_path / "edited.csv"
    frame.to_csv(path, index=False)
    return path


def _set(column: str, row: int, value: object):  # type: ignore[no-untyped-def]
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame
    return edit


@pytest.mark.parametrize("edit, expected", [
    (_set("ghi", 4000, float("nan")), ["line 4002", "'ghi'", "NaN"]),
    (_set("ghi", 100, 2000.0), ["line 102", "'ghi'", "2000", "0..1500"]),
    (_set("ghi", 100, -30.0), ["line 102", "'ghi'", "-30"]),
    (_set("temp_air", 7, 85.0), ["line 9", "'temp_air'", "85", "-90..70"]),
    (_set("wind_speed", 7, "calm"), ["line 9", "'wind_speed'", "not a number"]),
    (lambda f: f.drop(index=500), ["line 502", "'time'", "a gap"]),  # old row 501
    (lambda f: f.drop(columns=["temp_air"]), ["missing field", "temp_air"]),
    (lambda f: f.drop(columns=["dhi"]), ["missing field", "dni", "dhi"]),
    (lambda f: f.iloc[:5000], ["'time'", "5000 hour(s) from 01-01 00:00 to 07-28 07:00; expected", "8760"]),
    (lambda f: pd.concat([f.iloc[:10], f.iloc[9:]]), ["line 12", "repeats the hour"]),
    (_set("time", 3, "yesterday"), ["line 5", "'time'", "ISO 8601"]),
])
def test_a_bad_csv_names_file_line_and_field(greensboro_csv, tmp_path, edit, expected) -> None:
    path = _csv_with(greensboro_csv, tmp_path, edit)
    with pytest.raises(DataError) as err:
        read_weather(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith("edited.csv")
    for part in expected:
        assert part in message, message


def test_other_bad_files_are_one_line_errors(tmp_path) -> None:
    cases = []
    cases.append((tmp_path / "absent.epw", "weather file not found"))
    (tmp_path / "weather.xlsx").write_bytes(b"PK\x03\x04")
    cases.append((tmp_path / "weather.xlsx", "unknown weather format"))
    (tmp_path / "broken.epw").write_text("LOCATION,nowhere\nthis is not an EPW file\n")
    cases.append((tmp_path / "broken.epw", "pvlib cannot read it as epw"))
    lines = SAND_POINT.read_text().splitlines()
    fields = lines[2 + 3000].split(",")
    fields[4] = ""  # GHI of data row 3000
    lines[2 + 3000] = ",".join(fields)
    (tmp_path / "holed_TY.csv").write_text("\n".join(lines) + "\n")
    cases.append((tmp_path / "holed_TY.csv", "line 3003 ("))
    cases.append((tmp_path / "holed_TY.csv", "field 'ghi' is empty"))
    cases.append((PVGIS_HOURLY_TILTED, "plane-of-array"))
    for path, expected in cases:
        with pytest.raises(DataError) as err:
            read_weather(path)
        assert expected in str(err.value) and "\n" not in str(err.value), str(err.value)
    with pytest.raises(DataError, match="unknown weather format 'tmy9'"):
        read_weather(SAND_POINT, format="tmy9")


# --- the command line and the scenario --------------------------------------------------------


def test_procure_with_weather_says_its_basis() -> None:
    runner = CliRunner()
    args = ["procure", "--site", "au-sydney", "--cfe-target", "0.8", "--format", "json"]
    with_file = runner.invoke(app, [*args, "--weather", str(GREENSBORO)])
    assert with_file.exit_code == 0, with_file.output
    record = json.loads(with_file.stdout)
    assert record["resource_basis"] == {"solar": "weather file tmy3:723170TYA.CSV",
                                        "wind": "weather file tmy3:723170TYA.CSV"}
    assert record["cfe_score"] >= 0.8 - 1e-6
    # without a file the profiles stay synthetic and say so (the LP on them is left out: ~10 s)
    synthetic, _ = _profiles("au-sydney", None, load_scenario(), False, 100.0, 0)
    assert synthetic.attrs["resource_basis"]["solar"] == "synthetic (calibrated to market " \
        f"solar_cf {synthetic['solar_cf'].mean():.3f})"
    table = runner.invoke(app, [*args[:-2], "--weather", str(GREENSBORO)])
    assert "resource_basis.solar" in table.stdout and "723170TYA.CSV" in table.stdout


def test_procure_with_a_bad_weather_file_fails_in_one_line(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["procure", "--site", "au-sydney", "--weather", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "none.csv: weather file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_scenario_weather_file_is_resolved_and_checked(tmp_path) -> None:
    (tmp_path / "wx").mkdir()
    (tmp_path / "wx" / "site.csv").write_bytes(GREENSBORO.read_bytes())
    text = ("name: wx\nmarkets:\n  include: [au-sydney]\nsites:\n"
            "  - id: syd-1\n    market: au-sydney\n    weather_file: wx/site.csv\n")
    good = tmp_path / "good.yaml"
    good.write_text(text)
    scenario = load_scenario(good)
    assert Path(scenario.sites[0].weather_file or "") == tmp_path / "wx" / "site.csv"
    result = CliRunner().invoke(app, ["procure", "--scenario", str(good), "--site", "syd-1",
                                      "--cfe-target", "0.5", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resource_basis"]["solar"] == "weather file tmy3:site.csv"
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("wx/site.csv", "wx/missing.csv"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert "bad.yaml: sites[0].weather_file: 'wx/missing.csv': weather file not found" in str(
        err.value)


def test_pvgis_hourly_on_a_horizontal_plane_gives_ghi(weathers, tmp_path) -> None:
    """A PVGIS hourly export (slope 0, radiation components) in PVGIS's own CSV layout."""
    data = weathers[GREENSBORO].data
    stamps = pd.date_range("2023-01-01 00:10", periods=8760, freq="h", tz="UTC")
    sun = pvlib.solarposition.get_solarposition(stamps, 36.1, -79.95)
    rows = pd.DataFrame({
        "time": stamps.strftime("%Y%m%d:%H%M"),
        "Gb(i)": (data["ghi"] - data["dhi"]).to_numpy().round(2),
        "Gd(i)": data["dhi"].to_numpy(), "Gr(i)": 0.0,
        "H_sun": sun["elevation"].clip(lower=0).to_numpy().round(2),
        "T2m": data["temp_air"].to_numpy(), "WS10m": data["wind_speed"].to_numpy(), "Int": 0.0,
    })
    header = ("Latitude (decimal degrees):\t36.100\nLongitude (decimal degrees):\t-79.950\n"
              "Elevation (m):\t273\nRadiation database:\tPVGIS-NSRDB\n\n\nSlope: 0 deg. \n"
              "Azimuth: 0 deg. \n")
    path = tmp_path / "Timeseries_36.100_-79.950_NS_0deg_0deg_2023_2023.csv"
    path.write_text(header + rows.to_csv(index=False) + "\n\nH_sun: Sun height (degree)\n")
    weather = read_weather(path)
    assert weather.source.startswith("pvgis_hourly:") and weather.latitude == 36.1
    assert weather.data["ghi"].sum() == pytest.approx(data["ghi"].sum(), rel=1e-4)
    assert solar_cf_from_weather(weather).mean() == pytest.approx(
        solar_cf_from_weather(weathers[GREENSBORO]).mean(), abs=0.01)
    tilted = path.with_name("tilted.csv")
    tilted.write_text(path.read_text().replace("Slope: 0 deg.", "Slope: 25 deg."))
    with pytest.raises(DataError, match=r"tilted.csv \(pvgis_hourly\): field 'ghi'.*slope 25 deg"):
        read_weather(tilted)
