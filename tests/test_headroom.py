"""Curtailment-enabled headroom: the published figures, the method's invariants and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.errors import DataError, ScenarioError
from gridfirst.headroom import (
    curtailment_headroom,
    planning_threshold_mw,
    published_headroom,
    read_load_csv,
    shipped_zones,
    zone_load,
)
from gridfirst.headroom.zones import headroom_dir


def _brute_force_mw(load: pd.Series, budget: float, threshold: str = "seasonal") -> float:
    """Bisection on the curtailment rate: an independent way to the same number."""
    slack = planning_threshold_mw(load, threshold) - load.to_numpy()  # type: ignore[arg-type]
    lo, hi = 0.0, float(load.max()) * 2
    for _ in range(100):
        mid = (lo + hi) / 2
        rate = np.maximum(0.0, mid - slack).sum() / (mid * len(slack))
        lo, hi = (mid, hi) if rate <= budget else (lo, mid)
    return lo


@pytest.mark.parametrize("zone", ["PJM", "ERCO"])
def test_reproduces_the_reports_figure_within_10_percent(zone: str) -> None:
    published = published_headroom().set_index("zone").loc[zone]
    ours = curtailment_headroom(zone_load(zone), published["budget"])
    assert ours.headroom_mw == pytest.approx(published["headroom_mw"], rel=0.10)
    # the new load really is curtailed by its budget: energy above the threshold, hour by hour
    assert ours.curtailed_share == pytest.approx(published["budget"], rel=1e-9)


def test_every_shipped_zone_is_a_gap_free_sourced_hourly_record() -> None:
    zones = shipped_zones()
    sources = pd.read_csv(headroom_dir() / "sources_headroom.csv")
    assert set(zones["source_id"]) <= set(sources["source_id"])
    assert set(published_headroom()["source_id"]) <= set(sources["source_id"])
    for row in zones.itertuples():
        load = zone_load(row.zone)
        expected = pd.date_range(f"{row.first_year}-01-01", f"{row.last_year}-12-31 23:00", freq="h")
        assert load.index.equals(expected)
        # a balancing authority's load is positive and its peak is well above its mean
        assert load.min() > 0 and 1.2 < load.max() / load.mean() < 2.5


def test_exact_method_agrees_with_bisection_and_more_load_means_more_curtailment() -> None:
    load = zone_load("PGE")
    for budget in (0.0025, 0.01, 0.05):
        exact = curtailment_headroom(load, budget).headroom_mw
        assert exact == pytest.approx(_brute_force_mw(load, budget), rel=1e-7)
    flat = curtailment_headroom(load, 0.005, threshold="peak")
    assert flat.headroom_mw == pytest.approx(_brute_force_mw(load, 0.005, "peak"), rel=1e-7)


def _synthetic(seed: int, days: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=days * 24, freq="h")
    daily = 1000 + 300 * np.sin(np.arange(len(index)) * 2 * np.pi / 24)
    return pd.Series(daily + rng.normal(0, 80, len(index)), index=index)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    budgets=st.lists(st.floats(0.0, 0.5), min_size=2, max_size=5),
    threshold=st.sampled_from(["seasonal", "peak"]),
)
def test_more_budget_never_gives_less_headroom(seed: int, budgets: list[float], threshold: str) -> None:
    load = _synthetic(seed, 60)
    results = [curtailment_headroom(load, b, threshold) for b in sorted(budgets)]  # type: ignore[arg-type]
    mws = [r.headroom_mw for r in results]
    assert all(b >= a - 1e-6 * max(1.0, a) for a, b in zip(mws, mws[1:], strict=False))
    for r in results:
        # never above budget, and the hours and longest event are consistent
        assert r.curtailed_share <= r.budget + 1e-9
        assert r.longest_event_h <= r.hours * len(load) / 8766 + 1e-9


def test_zero_budget_gives_the_firm_headroom_and_no_curtailment() -> None:
    load = _synthetic(3, 30)
    zero = curtailment_headroom(load, 0.0, threshold="peak")
    assert zero.headroom_mw == 0.0 and zero.hours == 0 and zero.longest_event_h == 0


def test_longest_event_counts_consecutive_curtailed_hours() -> None:
    # 50 MW all along but one 150-200-150 MW bump: slack 50, 0, 50 there and 150 elsewhere. Below
    # 150 MW only the bump curtails, C(x) = x + 2 (x - 50) over 240 h; at 0.8 % that binds at
    # 3x - 100 = 1.92 x, x = 92.6 MW, curtailed three hours in a row
    values = np.full(24 * 10, 50.0)
    values[50:53] = [150.0, 200.0, 150.0]
    load = pd.Series(values, index=pd.date_range("2022-07-01", periods=len(values), freq="h"))
    r = curtailment_headroom(load, 0.008, threshold="peak")
    assert r.headroom_mw == pytest.approx(100 / 1.08)
    assert r.longest_event_h == 3
    assert r.hours == pytest.approx(3 / (240 / 8766))


@pytest.mark.parametrize("budget", [1.0, 1.5, -0.1, float("nan")])
def test_a_budget_outside_0_1_is_refused(budget: float) -> None:
    with pytest.raises(ScenarioError, match="budget"):
        curtailment_headroom(_synthetic(1, 5), budget)


def _write(tmp_path: Path, times: list[str], loads: list[str]) -> Path:
    path = tmp_path / "load.csv"
    path.write_text("time_utc,load_mw\n" + "".join(f"{t},{v}\n" for t, v in zip(times, loads, strict=True)))
    return path


def test_a_load_file_with_a_gap_names_the_missing_hours(tmp_path: Path) -> None:
    times = [f"2023-01-01T{h:02d}:00" for h in range(24) if h != 5] + ["2023-01-02T00:00"]
    path = _write(tmp_path, times, ["10"] * len(times))
    with pytest.raises(DataError, match=r"gap: 1 hour\(s\) missing between 2023-01-01T04:00 and 2023-01-01T06:00"):
        read_load_csv(path)


def test_cli_names_a_gap_budget_and_transfer_in_one_line(tmp_path: Path) -> None:
    times = [f"2023-01-{d:02d}T{h:02d}:00" for d in (1, 2) for h in range(24)
             if (d, h) not in ((1, 7), (1, 8))]
    path = _write(tmp_path, times, ["10"] * len(times))
    runner = CliRunner()
    for args, words in (
        (["headroom", str(path)], "load gap: 2 hour(s) missing between 2023-01-01T06:00"),
        (["headroom", "PJM", "--budget", "1.5"], "--budget: '1.5' is not a share"),
        (["procure", "--site", "us-texas", "--site", "us-oregon", "--flexible-share", "0.1",
          "--transfer-mw", "-1"], "transfer_mw: -1.0 is below 0"),
    ):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2, bad.output
        assert words in bad.output and "Traceback" not in bad.output
        assert len(bad.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("loads", "match"), [(["x"], "load_mw row 2"), (["-5"], "load_mw row 2"), ([""], "load_mw row 2")]
)
def test_a_bad_load_value_is_named(tmp_path: Path, loads: list[str], match: str) -> None:
    times = [f"2023-01-01T{h:02d}:00" for h in range(24)]
    path = _write(tmp_path, times, loads + ["1"] * 23)
    with pytest.raises(DataError, match=match):
        read_load_csv(path)


def test_duplicate_hours_and_missing_columns_are_named(tmp_path: Path) -> None:
    times = [f"2023-01-01T{h:02d}:00" for h in range(24)]
    times[3] = times[2]
    with pytest.raises(DataError, match="must increase by one hour"):
        read_load_csv(_write(tmp_path, times, ["1"] * 24))
    other = tmp_path / "other.csv"
    other.write_text("when,mw\n2023-01-01,1\n")
    with pytest.raises(DataError, match="expected a time column"):
        read_load_csv(other)


def test_cli_headroom_json_keys_and_the_users_file(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["headroom", "PJM", "--budget", "0.0025,0.005,0.01", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [{"budget", "headroom_mw", "hours", "longest_event_h"}] * 3
    assert [r["budget"] for r in rows] == [0.0025, 0.005, 0.01]
    assert rows[0]["headroom_mw"] < rows[1]["headroom_mw"] < rows[2]["headroom_mw"]
    listing = json.loads(runner.invoke(app, ["headroom", "--list", "-f", "json"]).stdout)
    assert {"PJM", "ERCO"} <= {z["zone"] for z in listing}
    assert all(set(z) == {"zone", "source", "year"} for z in listing)
    # the user's own file (gzip too) gives the same answer as the shipped zone
    own = tmp_path / "pge.csv.gz"
    load = zone_load("PGE").loc["2023"]
    with gzip.open(own, "wt") as fh:
        load.rename("load_mw").rename_axis("time_utc").to_csv(fh)
    mine = json.loads(runner.invoke(app, ["headroom", str(own), "-b", "0.005", "-f", "json"]).stdout)
    assert mine[0]["headroom_mw"] == pytest.approx(curtailment_headroom(load, 0.005).headroom_mw, abs=0.05)
    bad = runner.invoke(app, ["headroom", "PJM", "--budget", "1.2"])
    assert bad.exit_code == 2 and "budget" in bad.output
