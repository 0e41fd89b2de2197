"""Tests of gridfirst.resources: synthetic profiles from market figures and reading user files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridfirst.errors import DataError
from gridfirst.resources import (
    PROFILE_COLUMNS,
    grid_profiles,
    market_profiles,
    read_profiles,
    solar_profile,
    validate_profiles,
    wind_profile,
)
from gridfirst.scenario import Market


def _market(**over: object) -> Market:
    base = dict(
        id="xx-test", name="Test", country="JP", region="asia_pacific", latitude=35.7,
        longitude=139.7, grid_available_mw=300, grid_energisation_year=2028,
        interconnection_lead_time_months=36, price_usd_per_mwh=110.0,
        grid_intensity_tco2_per_mwh=0.45, grid_cfe_share=0.3, solar_cf=0.16, wind_cf=0.28,
        land_cost_usd_per_m2=500, construction_cost_usd_per_mw=12e6,
        political_stability_percentile=80, regulatory_quality_percentile=85,
        conflict_exposure_gpi=1.4, ai_training_legal_regime="yes", seismic_hazard_pga_g=0.4,
        cyclone_hazard_level=2, water_stress_score=1.5, mean_temperature_c=16.0,
        labour_capacity_mw_per_year=200, existing_capacity_mw=1000, competing_pipeline_mw=800,
    )
    base.update(over)
    return Market.model_validate(base)


@pytest.fixture(scope="module")
def profiles() -> pd.DataFrame:
    return market_profiles(_market(), seed=3)


def test_market_profiles_shape_and_calibration(profiles: pd.DataFrame) -> None:
    market = _market()
    assert list(profiles.columns) == list(PROFILE_COLUMNS)
    assert len(profiles) == 8760
    assert str(profiles.index.tz) == "UTC"
    assert profiles["solar_cf"].mean() == pytest.approx(market.solar_cf, rel=1e-6)
    assert profiles["wind_cf"].mean() == pytest.approx(market.wind_cf, rel=1e-6)
    assert profiles["grid_price_usd_per_mwh"].mean() == pytest.approx(market.price_usd_per_mwh)
    assert profiles["grid_intensity_tco2_per_mwh"].mean() == pytest.approx(
        market.grid_intensity_tco2_per_mwh
    )
    assert profiles["grid_cfe_share"].mean() == pytest.approx(market.grid_cfe_share, rel=1e-9)
    for col in ("solar_cf", "wind_cf", "grid_cfe_share"):
        assert profiles[col].between(0, 1).all()
    validate_profiles(profiles)  # the synthesised frame passes the user-file checks


def test_same_seed_same_profiles_other_seed_differs(profiles: pd.DataFrame) -> None:
    again = market_profiles(_market(), seed=3)
    pd.testing.assert_frame_equal(profiles, again)
    other = market_profiles(_market(), seed=4)
    assert not np.allclose(other["wind_cf"], profiles["wind_cf"])
    assert not np.allclose(other["solar_cf"], profiles["solar_cf"])


def test_solar_physics() -> None:
    tracked = solar_profile(35.7, 139.7, 0.17, seed=1)
    # no output at night: Tokyo local midnight is 15:00 UTC
    assert (tracked[tracked.index.hour == 15] == 0).all()
    # northern summer days yield more than winter days at the same annual CF
    summer = tracked[tracked.index.month.isin([6, 7])].mean()
    winter = tracked[tracked.index.month.isin([12, 1])].mean()
    assert summer > winter
    # a southern-hemisphere site has the opposite season
    south = solar_profile(-33.9, 151.2, 0.17, seed=1)
    assert south[south.index.month.isin([12, 1])].mean() > south[south.index.month.isin([6, 7])].mean()
    with pytest.raises(DataError, match="clear-sky"):
        solar_profile(35.7, 139.7, 0.6)


def test_wind_profile_persistence_and_calibration() -> None:
    wind = wind_profile(52.0, 5.0, 0.35, seed=2)
    assert wind.mean() == pytest.approx(0.35, rel=1e-6)
    assert wind.autocorr(1) > 0.8  # weather persists from hour to hour
    assert (wind == 0).any() and wind.max() > 0.95  # calm hours and rated output both occur
    assert wind[wind.index.month.isin([12, 1, 2])].mean() > wind[wind.index.month.isin([6, 7, 8])].mean()


def test_grid_profiles_daily_shape() -> None:
    grid = grid_profiles(100.0, 0.5, 0.4, longitude=0.0)
    by_hour = grid.groupby(grid.index.hour).mean()
    assert by_hour["grid_price_usd_per_mwh"].idxmax() == 18  # evening peak (local = UTC at 0 deg)
    assert by_hour["grid_intensity_tco2_per_mwh"].idxmin() in (12, 13)  # midday solar dip
    assert grid["grid_price_usd_per_mwh"].mean() == pytest.approx(100.0)


def _write(frame: pd.DataFrame, path: object) -> None:
    frame.to_csv(path, index=False)


def test_read_profiles_roundtrip_csv_and_parquet(tmp_path, profiles: pd.DataFrame) -> None:
    out = profiles.reset_index(names="time")
    csv = tmp_path / "p.csv"
    out.to_csv(csv, index=False)
    got = read_profiles(csv)
    np.testing.assert_allclose(got.to_numpy(), profiles.to_numpy())
    pq = tmp_path / "p.parquet"
    out.drop(columns=["grid_cfe_share"]).to_parquet(pq)
    got = read_profiles(pq)
    assert (got["grid_cfe_share"] == 0).all()  # optional column defaults to 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["wind_cf"]), "missing column"),
        (lambda f: f.iloc[:100], "100 rows; expected 8760"),
        (lambda f: f.assign(load_mw=np.where(np.arange(len(f)) == 5, np.nan, f["load_mw"])),
         "'load_mw' line 7"),  # data row 5 (0-based) is file line 7 after the header
        (lambda f: f.assign(grid_intensity_tco2_per_mwh=-f["grid_intensity_tco2_per_mwh"] - 1),
         "negative"),
        (lambda f: f.assign(solar_cf=f["solar_cf"] + 1.5), "above 1"),
        (lambda f: f.assign(wind_cf="windy"), "not a number"),
    ],
)
def test_read_profiles_bad_files(tmp_path, profiles, mutate, message) -> None:
    path = tmp_path / "bad.csv"
    _write(mutate(profiles), path)
    with pytest.raises(DataError, match=message) as info:
        read_profiles(path)
    assert "bad.csv" in str(info.value)


def test_read_profiles_errors_name_the_file_line(tmp_path, profiles) -> None:
    frame = profiles.reset_index(names="time")
    frame.loc[100, "wind_cf"] = 1.7  # data row 100 (0-based): line 102 of the file
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        read_profiles(path)
    line = path.read_text().splitlines()[101]  # the line the message names, as an editor counts
    assert "line 102" in str(info.value) and ",1.7," in line
    # Parquet has no lines: the data row counts from 1
    frame.to_parquet(path.with_suffix(".parquet"))
    with pytest.raises(DataError, match="'wind_cf' row 101: 1.7 is above 1"):
        read_profiles(path.with_suffix(".parquet"))


def test_negative_grid_prices_are_accepted_other_negatives_are_not(tmp_path, profiles) -> None:
    path = tmp_path / "p.csv"
    _write(profiles.assign(grid_price_usd_per_mwh=profiles["grid_price_usd_per_mwh"] - 1e4), path)
    got = read_profiles(path)
    assert (got["grid_price_usd_per_mwh"] < 0).all()
    for column in ("load_mw", "solar_cf", "wind_cf", "grid_intensity_tco2_per_mwh",
                   "grid_cfe_share"):
        bad = profiles.copy()
        bad.iloc[3, bad.columns.get_loc(column)] = -0.1
        _write(bad, path)
        with pytest.raises(DataError, match=f"'{column}' line 5: negative value -0.1"):
            read_profiles(path)


def test_read_profiles_missing_file_and_format(tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_profiles(tmp_path / "nope.csv")
    other = tmp_path / "p.xlsx"
    other.write_text("x")
    with pytest.raises(DataError, match="unknown profile format"):
        read_profiles(other)


def _hourly_file(tmp_path, order=None, stamps=None):  # type: ignore[no-untyped-def]
    import pandas as pd

    index = pd.date_range("2024-01-01", periods=8760, freq="h", tz="UTC")
    hours = np.arange(8760)
    frame = pd.DataFrame({
        "timestamp": index if stamps is None else stamps,
        "load_mw": 100.0, "solar_cf": np.clip(np.sin(hours / 24 * 2 * np.pi), 0, None),
        "wind_cf": 0.3, "grid_price_usd_per_mwh": 80.0, "grid_intensity_tco2_per_mwh": 0.5,
    })
    if order is not None:
        frame = frame.iloc[order]
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    return path


def test_profile_timestamps_must_run_hour_by_hour(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from gridfirst.errors import DataError
    from gridfirst.resources import read_profiles

    assert len(read_profiles(_hourly_file(tmp_path))) == 8760
    shuffled = np.random.default_rng(0).permutation(8760)
    with pytest.raises(DataError, match=r"line \d+ .*(goes back in time|a gap)"):
        read_profiles(_hourly_file(tmp_path, order=shuffled))
    same = pd.DatetimeIndex(["2024-01-01T00:00Z"] * 8760)
    with pytest.raises(DataError, match="line 3 .* repeats the hour before it"):
        read_profiles(_hourly_file(tmp_path, stamps=same))
