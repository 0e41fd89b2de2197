"""Bad input to the flexible-load features: one line naming the file, field and value, no traceback.

Covers ``gridfirst headroom`` (zones, load files, budgets), ``gridfirst procure`` with flexible
load (shares, shifts, scopes, options that would otherwise be ignored) and the scenario's
flexible fields (a site's ``flexible_connection``, ``options.plan.flexible_*``). Each CLI case
runs the entry point in this process (``gridfirst.cli.main``), as a user's shell would.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from cli_runner import run_cli
from plan_fixtures import small_scenario_dict, write_yaml

from gridfirst.headroom import curtailment_headroom, read_load_csv

HOURS = 24 * 60


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(argv, capsys)


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """The command fails with one line on stderr that holds every word and no traceback."""
    code, err, out = _run(argv, capsys)
    assert code == 2, (code, err, out)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# -- headroom: the user's load file -----------------------------------------------------------


def _times(n: int = HOURS) -> list[str]:
    return list(pd.date_range("2024-03-01", periods=n, freq="h").strftime("%Y-%m-%dT%H:%M"))


def _load(n: int = HOURS) -> np.ndarray:
    hours = np.arange(n)
    # a daily cycle on a slow swell, so the headroom at 0.5 % is neither 0 nor unbounded
    return 1000.0 + 150.0 * np.sin(2 * np.pi * hours / 24) + 100.0 * np.sin(2 * np.pi * hours / (24 * 17))


def _csv(times: list[str], loads: list[str], header: str = "time_utc,load_mw") -> str:
    return header + "\n" + "".join(f"{t},{v}\n" for t, v in zip(times, loads, strict=True))


def _good_rows() -> tuple[list[str], list[str]]:
    return _times(), [f"{v:.3f}" for v in _load()]


def _with(row: int, value: str) -> str:
    times, loads = _good_rows()
    loads[row] = value
    return _csv(times, loads)


def _half_hourly() -> str:
    times = list(pd.date_range("2024-01-01", periods=96, freq="30min").strftime("%Y-%m-%dT%H:%M"))
    return _csv(times, ["100"] * 96)


def _gap() -> str:
    times, loads = _good_rows()
    return _csv(times[:100] + times[101:], loads[:100] + loads[101:])


def _duplicate_hour() -> str:
    times, loads = _good_rows()
    return _csv(times[:51] + times[50:], loads[:51] + loads[50:])


def _unsorted() -> str:
    times, loads = _good_rows()
    return _csv(times[::-1], loads[::-1])


def _mixed_zones() -> str:
    times, loads = _good_rows()
    return _csv([t + ("+00:00" if i % 2 else "-05:00") for i, t in enumerate(times)], loads)


# file content (str or bytes), then words its error line must hold (besides the file name)
LOAD_FILES: dict[str, tuple[Callable[[], str | bytes], tuple[str, ...]]] = {
    "empty": (lambda: "", ("empty file",)),
    "header-only": (lambda: "time_utc,load_mw\n", ("0 hours of load",)),
    "one-row": (lambda: _csv(_times(1), ["5"]), ("1 hours of load",)),
    "gap": (_gap, ("load gap: 1 hour(s) missing",)),
    "duplicate-hour": (_duplicate_hour, ("time_utc", "follows", "no duplicates")),
    "unsorted": (_unsorted, ("time_utc", "follows", "in order")),
    "mixed-time-zones": (_mixed_zones, ("time_utc", "follows")),
    "half-hourly": (_half_hourly, ("time_utc 2024-01-01T00:30 is 30 minutes after",)),
    "nan": (lambda: _with(9, "nan"), ("load_mw row 11 = 'nan'",)),
    "blank": (lambda: _with(9, ""), ("load_mw row 11 = ''",)),
    "negative": (lambda: _with(3, "-5"), ("load_mw row 5 = '-5'",)),
    "string": (lambda: _with(3, "abc"), ("load_mw row 5 = 'abc'",)),
    "inf": (lambda: _with(3, "inf"), ("load_mw row 5 = 'inf'", "finite")),
    "huge": (lambda: _with(3, "1e308"), ("load_mw row 5 = '1e308'", "at most")),
    "all-zero": (lambda: _csv(_times(), ["0"] * HOURS), ("load_mw is 0 in every hour",)),
    "repeated-column": (lambda: "time_utc,load_mw,load_mw\n" + "".join(
        f"{t},{v},1\n" for t, v in zip(*_good_rows(), strict=True)), ("column load_mw appears twice",)),
    "epoch-seconds": (lambda: _csv([str(3600 * i) for i in range(HOURS)], ["1"] * HOURS),
                      ("time_utc row 2 = '0' is not a time",)),
    "no-load-column": (lambda: _csv(*_good_rows(), header="time_utc,mw"), ("expected a time column",)),
    "semicolons": (lambda: _csv(*_good_rows()).replace(",", ";"), ("columns ['time_utc;load_mw']",)),
    "latin-1": (lambda: _csv(*_good_rows(), header="time_utc,load_mw").replace(
        "time_utc,load_mw", "time_utc,load_mw,n\u00e9").encode("latin-1"), ("not a readable CSV",)),
    "binary": (lambda: b"time_utc,load_mw\n" + b"\xff\xfe\x80,1\n" * 30, ("not a readable CSV",)),
}


@pytest.mark.parametrize("case", sorted(LOAD_FILES))
def test_a_bad_load_file_is_one_line_naming_file_field_and_value(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, words = LOAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    content = make()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    _refused(["headroom", str(path), "--budget", "0.005"], capsys, f"{case}.csv:", *words)


@pytest.mark.parametrize(("name", "words"), [
    ("missing.csv", ("missing.csv: no such file",)),
    ("missing.parquet", ("missing.parquet: no such file",)),
    ("a-folder", ("a-folder: is a folder",)),
    ("not-a-zone", ("zone: 'not-a-zone' is neither a shipped zone",)),
    ("", ("zone: '' is empty",)),
])
def test_a_missing_file_folder_or_unknown_zone_is_named(
        name: str, words: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-folder").mkdir()
    _refused(["headroom", name], capsys, *words)


def test_parquet_and_csv_of_the_same_load_give_the_same_headroom(tmp_path: Path) -> None:
    frame = pd.DataFrame({"time_utc": _times(), "load_mw": _load()})
    frame.to_csv(tmp_path / "load.csv", index=False)
    frame.to_parquet(tmp_path / "load.parquet")
    from_csv, from_parquet = read_load_csv(tmp_path / "load.csv"), read_load_csv(tmp_path / "load.parquet")
    pd.testing.assert_series_equal(from_csv, from_parquet)
    a, b = curtailment_headroom(from_csv, 0.005), curtailment_headroom(from_parquet, 0.005)
    assert a.headroom_mw == b.headroom_mw and 0.0 < a.headroom_mw < 300.0
    # a blank cell in Parquet is a missing load, as in CSV
    frame.loc[7, "load_mw"] = np.nan
    frame.to_parquet(tmp_path / "hole.parquet")
    with pytest.raises(Exception, match=r"hole.parquet: load_mw row 9 = ''"):
        read_load_csv(tmp_path / "hole.parquet")


# -- headroom: budgets and options -------------------------------------------------------------


@pytest.mark.parametrize("budget", ["-0.1", "1.5", "1", "nan", "inf", "-inf", "1_0"])
def test_a_budget_outside_zero_to_one_names_the_flag_and_value(
        budget: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "load.csv"
    path.write_text(_csv(*_good_rows()))
    _refused(["headroom", str(path), "--budget", budget], capsys, f"--budget: {budget!r}", "[0, 1)")


@pytest.mark.parametrize(("budget", "bad"), [("abc", "abc"), ("0.01,,0.02", ""), ("", ""),
                                             (" ", " "), ("0x1p-3", "0x1p-3")])
def test_a_budget_that_is_not_a_number_names_the_flag_and_value(
        budget: str, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    # budgets are read before the zone's file: even a missing file reports the budget first
    _refused(["headroom", "no-such-file.csv", "--budget", budget], capsys,
             f"--budget: {bad!r} is not a number")


def test_repeated_budgets_add_up_and_many_budgets_answer_each(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "load.csv"
    path.write_text(_csv(*_good_rows()))
    code, err, out = _run(["headroom", str(path), "-b", "0.005", "-b", "0.01,0.0025", "-f", "json"],
                          capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["budget"] for r in rows] == [0.005, 0.01, 0.0025]
    # more budget never gives less headroom
    mw = {r["budget"]: r["headroom_mw"] for r in rows}
    assert mw[0.0025] <= mw[0.005] <= mw[0.01]
    many = ",".join(f"{b:.5f}" for b in np.linspace(0.0, 0.05, 300))
    code, err, out = _run(["headroom", str(path), "-b", many, "-f", "json"], capsys)
    assert code == 0, err
    values = [r["headroom_mw"] for r in json.loads(out)]
    assert len(values) == 300 and values == sorted(values) and values[0] == 0.0


@pytest.mark.parametrize(("argv", "words"), [
    (["headroom", "PJM", "--list"], ("--list takes no ZONE_OR_FILE", "'PJM'")),
    (["headroom", "PJM", "--threshold", "winter"], ("--threshold: 'winter'",)),
    (["headroom"], ("give ZONE_OR_FILE or --list",)),
])
def test_headroom_option_clashes_are_named(argv: list[str], words: tuple[str, ...],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _refused(argv, capsys, *words)


# -- procure: flexible load --------------------------------------------------------------------

TWO = ["procure", "--site", "us-texas", "--site", "us-oregon"]


@pytest.mark.parametrize(("argv", "words"), [
    (TWO + ["--flexible-share=-1"], ("flexible_share: -1.0",)),
    (TWO + ["--flexible-share", "1.5"], ("flexible_share: 1.5",)),
    (TWO + ["--flexible-share", "nan"], ("flexible_share: nan",)),
    (TWO + ["--flexible-share", "0.2", "--shift", "sideways"], ("shift: 'sideways'",)),
    (TWO + ["--transfer-mw=-5"], ("transfer_mw: -5.0 is below 0",)),
    (TWO + ["--transfer-mw", "nan"], ("transfer_mw: nan is not a number",)),
    (TWO + ["--cfe-scope", "world"], ("--cfe-scope: 'world'",)),
    (["procure", "--site", "us-texas", "--site", "us-texas"], ("['us-texas'] given twice",)),
    (["procure", "--site", "us-texas", "--site", "xx-nowhere"], ("--site: 'xx-nowhere'",)),
    # one site with a bad share or shift: the fleet model checks it (it was ignored before)
    (["procure", "--site", "us-texas", "--flexible-share", "1.5"], ("flexible_share: 1.5",)),
    (["procure", "--site", "us-texas", "--flexible-share", "0.2", "--shift", "x"], ("shift: 'x'",)),
    # options a fleet does not take are refused, not ignored
    (TWO + ["--sweep", "0:1:0.5"], ("--sweep: '0:1:0.5' is for one site",)),
    (TWO + ["--plot", "p.html"], ("--plot: p.html is for one site",)),
    (TWO + ["--supply", "reference"], ("--supply: 'reference' is for one site",)),
    (TWO + ["--year", "2030"], ("--year: 2030 is for one site",)),
    (["procure", "--hourly", "x.csv", "--flexible-share", "0.2"], ("--flexible-share: 0.2 is for --site",)),
    (["procure", "--hourly", "x.csv", "--cfe-scope", "fleet"], ("--cfe-scope: 'fleet' is for --site",)),
])
def test_bad_fleet_input_is_one_line(argv: list[str], words: tuple[str, ...],
                                     capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _refused(argv, capsys, *words)
    assert not (tmp_path / "p.html").exists()


def test_one_site_with_flexible_load_runs_a_fleet_of_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, err, out = _run(["procure", "--site", "us-texas", "--flexible-share", "0.3", "--shift",
                           "time", "--format", "json"], capsys)
    assert code == 0, err
    payload = json.loads(out)
    fleet, site = payload["fleet"], payload["sites"]["us-texas"]
    assert fleet["flexible_share"] == 0.3 and fleet["shift"] == "time"
    assert site["cfe_score"] >= fleet["cfe_target"] - 1e-6 and fleet["cfe_target_met"] is True
    # the flexibility took effect (it used to be ignored): moving work within the day is cheaper
    code, err, rigid = _run(["procure", "--site", "us-texas", "--format", "json"], capsys)
    assert code == 0, err
    assert fleet["objective_usd"] < json.loads(rigid)["objective_usd"] * (1 - 1e-3)


def test_a_fleet_that_misses_its_target_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from gridfirst.cli.fleet import _warn_doubtful
    from gridfirst.data import bundled_markets
    from gridfirst.procurement.fleet import Flexibility, market_lp, solve_fleet

    markets = {m.id: m for m in bundled_markets()}
    # Hong Kong's options reach far less than 99 % hourly CFE; Singapore's reach it
    lps = [(m, market_lp(markets[m], 0.99, hours=48)) for m in ("hk-hong-kong", "sg-singapore")]
    for scope in ("site", "fleet"):
        result = solve_fleet(lps, Flexibility(0.2), cfe=scope, method="highs")
        assert result.cfe_target_met is False and result.cfe_shortfall_mwh > 0
        record = result.fleet_record()
        assert record["cfe_target_met"] is False and record["cfe_score"] < 0.99
        _warn_doubtful(result)
        err = capsys.readouterr().err
        assert "warning:" in err and "Traceback" not in err
        assert ("site hk-hong-kong, target 0.99" if scope == "site" else "fleet target 0.99") in err
    # a reachable target: met, nothing to say
    easy = [(m, market_lp(markets[m], 0.05, hours=48)) for m in ("hk-hong-kong", "sg-singapore")]
    result = solve_fleet(easy, Flexibility(0.2), method="highs")
    assert result.cfe_target_met is True and result.cfe_shortfall_mwh == pytest.approx(0.0, abs=1e-6)
    _warn_doubtful(result)
    assert capsys.readouterr().err == ""


# -- scenarios: a site's flexible connection, options.plan.flexible_* --------------------------


def _scenario_with(path: str, value: Any) -> dict[str, Any]:
    data = small_scenario_dict()
    data["markets"]["include"].append("us-northern-virginia")
    data["sites"].append({"id": "ashburn", "market": "us-northern-virginia", "max_it_mw": 50,
                          "flexible_connection": {"curtailment_budget": 0.005}})
    data = copy.deepcopy(data)
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[keys[-1]] = value
    return data


BUDGET = "sites.1.flexible_connection.curtailment_budget"
SHARE = "options.plan.flexible_training_share"


BAD_FIELDS = [
    (BUDGET, -1, "curtailment_budget: -1 is below 0"),
    (BUDGET, 2, "curtailment_budget: 2 must be less than 1"),
    (BUDGET, 1, "curtailment_budget: 1 must be less than 1"),
    (BUDGET, "abc", "curtailment_budget: 'abc'"),
    (BUDGET, math.nan, "curtailment_budget: nan"),
    (BUDGET, None, "curtailment_budget: None"),
    (BUDGET, True, "curtailment_budget: True is a yes/no"),
    ("sites.1.flexible_connection", 0.005, "flexible_connection: 0.005"),
    ("sites.1.flexible_connection.value_usd_per_mwh", -5, "value_usd_per_mwh: -5 is below 0"),
    (SHARE, -1, "flexible_training_share: -1 is below 0"),
    (SHARE, 1.5, "flexible_training_share: 1.5 is above 1"),
    (SHARE, "abc", "flexible_training_share: 'abc'"),
    (SHARE, math.inf, "flexible_training_share: inf"),
    (SHARE, True, "flexible_training_share: True is a yes/no"),
    ("options.plan.flexible_transfer_mw", -1, "flexible_transfer_mw: -1 is below 0"),
    ("options.plan.flexible_transfer_mw", False, "flexible_transfer_mw: False is a yes/no"),
]


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize(("path", "value", "words"), BAD_FIELDS)
def test_a_bad_flexible_field_in_a_scenario_names_file_field_and_value(
        path: str, value: Any, words: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write_yaml(_scenario_with(path, value), tmp_path / "bad.yaml")
    code, err, out = _run(["validate", str(scenario)], capsys)
    assert code == 1, (code, err, out)
    line = _one_error_line(err)
    assert "bad.yaml:" in line and words in line, line


@pytest.mark.parametrize(("path", "value", "words"), [
    (BUDGET, -1, "curtailment_budget: -1 is below 0"),
    (BUDGET, "abc", "curtailment_budget: 'abc'"),
    (SHARE, 1.5, "flexible_training_share: 1.5 is above 1"),
    (SHARE, None, None),
])
@pytest.mark.parametrize("command", ["plan", "procure"])
def test_plan_and_procure_refuse_the_same_fields_before_any_work(
        path: str, value: Any, words: str | None, command: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = _scenario_with(path, value)
    if words is None:  # null is "unset" (no fleet): valid, so break the scenario elsewhere
        data["sites"][1]["flexible_connection"]["curtailment_budget"] = 2
        words = "curtailment_budget: 2 must be less than 1"
    scenario = write_yaml(data, tmp_path / "bad.yaml")
    argv = {"plan": ["plan", str(scenario), "-o", str(tmp_path / "out")],
            "procure": ["procure", "--scenario", str(scenario), "--site", "ashburn", "--site",
                        "tokyo-campus", "--flexible-share", "0.2"]}[command]
    code, err, out = _run(argv, capsys)
    assert code == 2, (code, err, out)
    line = _one_error_line(err)
    assert "bad.yaml:" in line and words in line, line
    assert not (tmp_path / "out").exists()  # a refused plan writes no folder at all


def test_a_flexible_connection_worth_nothing_gains_no_months_and_says_so() -> None:
    from gridfirst.resolve import resolve
    from gridfirst.resolve.flexible import flexible_notes
    from gridfirst.scenario import scenario_from_dict

    # a zero budget: PJM has no headroom that is never curtailed, so the connection brings 0 MW
    resolved = resolve(scenario_from_dict(_scenario_with(BUDGET, 0.0)))
    row = resolved.flexible.loc["ashburn"]
    assert row["flexible_mw"] == 0.0 and row["months_gained"] == 0.0
    note = flexible_notes(resolved.flexible)[0]
    assert "gives the site no power" in note and "months earlier" not in note
    # a real budget still gains months (the same arithmetic as before)
    resolved = resolve(scenario_from_dict(_scenario_with(BUDGET, 0.005)))
    assert resolved.flexible.loc["ashburn", "months_gained"] > 0
    assert "months earlier" in flexible_notes(resolved.flexible)[0]


def test_a_training_fleet_that_misses_the_target_names_its_sites() -> None:
    from types import SimpleNamespace

    from gridfirst.planning.fleet import plan_fleet
    from gridfirst.resolve import resolve
    from gridfirst.scenario import scenario_from_dict

    data = small_scenario_dict()
    data["markets"]["include"] = ["hk-hong-kong", "sg-singapore", "jp-tokyo-inzai"]
    data["policy"]["cfe_target"] = 0.99
    resolved = resolve(scenario_from_dict(data))
    # the portfolio is not solved: only its training allocation names the fleet's sites
    allocation = pd.DataFrame([
        {"site": s, "region": "training", "workload": "training", "year": 2030, "mw": 50.0}
        for s in ("hk-hong-kong", "sg-singapore")])
    fleet = plan_fleet(resolved, SimpleNamespace(allocation=allocation), 0.2, hours=48,  # type: ignore[arg-type]
                       method="highs")
    assert fleet is not None
    scores = dict(zip(fleet.sites["site"], fleet.sites["fleet_cfe_score"], strict=True))
    assert "hk-hong-kong" in fleet.missed_target and scores["hk-hong-kong"] < 0.99
    assert all(scores[s] >= 0.99 - 1e-6 for s in fleet.sites["site"] if s not in fleet.missed_target)
    assert fleet.to_dict()["missed_target"] == fleet.missed_target
