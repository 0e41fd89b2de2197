"""`gridfirst plan` on the bundled example, as a user runs it: default scenario and output folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_plan import _compare


def test_example_plan_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "GRIDFIRST_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "gridfirst", "plan", "--format", "json"]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    out = tmp_path / "gridfirst-out" / "apac-expansion"
    summary = json.loads(first.stdout)
    assert summary == json.loads((out / "plan.json").read_text())
    for name in ("report.html", "build_schedule.csv", "allocation.csv", "procurement.csv",
                 "shortfalls.csv", "ranking.csv", "costs.csv"):
        assert (out / name).stat().st_size > 0, name
    for key, stem in [("builds", "build_schedule"), ("shortfalls", "shortfalls"),
                      ("allocation", "allocation"), ("procurement", "procurement")]:
        _compare(summary[key], out / f"{stem}.csv")
    assert summary["builds"]
    holding = {b["site"] for b in summary["builds"] if b["online_mw"] > 0}
    assert set(summary["chosen_sites"]) == holding
    assert summary["cache"]["hits"] == 0 and summary["cache"]["misses"] > 0
    # Every demand MW of the example is either served or reported short with its reason.
    assert all(row["binding"] and row["explanation"] for row in summary["shortfalls"])
    # No chosen site where the buyer's chips are denied (Hong Kong for a US buyer of GB200).
    assert not any(site.startswith("hk-") for site in summary["chosen_sites"])
    # Power as a buyer can contract it: no Australian site buys nuclear (federal prohibition), a
    # site that misses the CFE target says its options fall short, and the plan carries carbon.
    for rec in summary["procurement"]:
        kinds = {s["kind"] for s in rec["supply"] if s["mw"] > 1e-6}
        if rec["market"].startswith("au-"):
            assert not kinds & {"nuclear_ppa", "new_nuclear"}, rec["site"]
        if rec["cfe_score"] < summary["cfe_target"] - 1e-3:
            assert rec["cfe_target_met"] is False, rec["site"]
    assert summary["carbon"]["by_year"]
    # A space deal runs on its grid's mix: the report shows no CFE above its grid's.
    report = (out / "report.html").read_text()
    if any(d in summary["chosen_sites"] for d in ("jp-colo-2027", "au-colo-2027", "sg-colo-2027")):
        assert "grid mix (space deal)" in report
    _plan_portfolio_and_risk_agree(tmp_path, env)


def _builds(rows: list[dict]) -> dict[tuple[str, int], float]:
    return {(r["site"], int(r["year"])): round(float(r["online_mw"]), 6) for r in rows
            if float(r["online_mw"]) > 1e-6}


def _plan_portfolio_and_risk_agree(tmp_path: Path, env: dict) -> None:
    """One scenario, one plan: the three commands that plan share the resolved inputs (and the
    procurement cache the plan just filled, so this costs no new solves).

    The example with a generous MIP time limit: a solve stopped by the clock on a busy machine
    is not reproducible by any program, and that is not what this checks.
    """
    import yaml

    from gridfirst.scenario import example_path

    data = yaml.safe_load(example_path().read_text())
    data.setdefault("options", {}).setdefault("plan", {})["time_limit_s"] = 900
    scenario = tmp_path / "example-untimed.yaml"
    scenario.write_text(yaml.safe_dump(data))

    def run(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "gridfirst", *args, "--format", "json"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    planned = run("plan", str(scenario), "-o", str(tmp_path / "untimed"))
    portfolio = run("portfolio", str(scenario))
    risk = run("risk", str(scenario), "--samples", "250", "--candidates", "cost_optimal",
               "--executor", "serial")
    assert portfolio["total_cost_usd"] == planned["total_cost_usd"]
    assert risk["total_cost_usd"] == planned["total_cost_usd"]
    assert _builds(portfolio["builds"]) == _builds(planned["builds"])
    assert _builds(risk["builds"]) == _builds(planned["builds"])
