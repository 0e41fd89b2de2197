"""The CLI's deal store, compare, sensitivity and electrical commands over the web API: each answers
what the library answers and refuses bad input with a status and a message naming what to fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_fixtures import AUTH, make_app, small_yaml

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LEASE = {"id": "tok-lease-1", "kind": "lease", "counterparty": "Acme DC",
         "market": "jp-tokyo-inzai", "capacity_mw": 40, "start_year": 2028, "term_years": 10,
         "price_usd_per_kw_month": 160}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("web-capabilities")
    with TestClient(make_app(folder)) as c:
        r = c.post("/api/scenarios", json={"name": "small", "yaml": small_yaml()}, headers=AUTH)
        assert r.status_code == 201, r.text
        yield c


def _done(client: TestClient, body: dict) -> dict:
    r = client.post("/api/jobs", json=body, headers=AUTH)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            assert job["status"] == "done", job
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


# -- deals ----------------------------------------------------------------------------------
def _deals_add_show_move_and_a_stale_move_is_a_conflict(client: TestClient) -> None:
    assert client.post("/api/deals", json={"deal": LEASE}).status_code == 401
    r = client.post("/api/deals", json={"deal": LEASE, "by": "ana", "reason": "first offer"},
                    headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["stage"] == "prospect"
    again = client.post("/api/deals", json={"deal": LEASE}, headers=AUTH)
    assert again.status_code == 409 and "already in the store" in again.json()["error"]

    assert [d["id"] for d in client.get("/api/deals").json()] == ["tok-lease-1"]
    assert client.get("/api/deals", params={"stage": "loi"}).json() == []
    moved = client.post("/api/deals/tok-lease-1/move", headers=AUTH,
                        json={"stage": "loi", "expect_version": 1, "by": "ana", "reason": "LOI"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "loi" and moved.json()["version"] == 2
    stale = client.post("/api/deals/tok-lease-1/move", headers=AUTH,
                        json={"stage": "signed", "expect_version": 1})
    assert stale.status_code == 409
    assert "version 2, not 1" in stale.json()["error"]
    shown = client.get("/api/deals/tok-lease-1").json()
    assert shown["stage"] == "loi", "a conflicting move must write nothing"
    assert [(h["field"], h["to"], h["by"]) for h in shown["history"]] == [
        ("created", "prospect", "ana"), ("stage", "loi", "ana")]
    assert client.get("/api/deals/history", params={"deal": "tok-lease-1"}).json() == \
        shown["history"]


def _deals_refuse_bad_fields_and_unknown_ids(client: TestClient) -> None:
    bad = client.post("/api/deals", headers=AUTH, json={"deal": {**LEASE, "id": "x2",
                                                                "capacity_mw": -5}})
    assert bad.status_code == 400
    assert "deal.capacity_mw" in bad.json()["error"] and "-5" in bad.json()["error"]
    missing = client.get("/api/deals/tok-lease-2")
    assert missing.status_code == 404 and "did you mean tok-lease-1" in missing.json()["error"]
    move = client.post("/api/deals/nope/move", headers=AUTH, json={"stage": "loi"})
    assert move.status_code == 404
    stage = client.post("/api/deals/tok-lease-1/move", headers=AUTH, json={"stage": "won"})
    assert stage.status_code == 400 and "stage" in stage.json()["error"]


def _deals_export_reads_back_through_import_and_a_bad_row_imports_nothing(
        client: TestClient) -> None:
    exported = client.get("/api/deals/export").json()
    assert exported["count"] == len(client.get("/api/deals").json())
    csv_text = exported["text"] + exported["text"].splitlines()[1].replace(
        "tok-lease-1", "tok-lease-9").replace(",40.0,", ",25.0,") + "\n"
    r = client.post("/api/deals/import", json={"csv": csv_text}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("added", "updated", "unchanged")} == \
        {"added": 1, "updated": 0, "unchanged": 1}
    assert client.get("/api/deals/tok-lease-9").json()["capacity_mw"] == 25.0
    broken = csv_text.replace(",25.0,", ",lots,")
    before = client.get("/api/deals/history").json()
    bad = client.post("/api/deals/import", json={"csv": broken}, headers=AUTH)
    assert bad.status_code == 400
    assert "deals.csv line 3" in bad.json()["error"] and "capacity_mw" in bad.json()["error"]
    assert client.get("/api/deals/history").json() == before
    fragment = client.get("/api/deals/export", params={"as": "scenario"}).json()["text"]
    assert fragment.startswith("deals:")
    assert client.post("/api/deals/import", json={"yaml": fragment},
                       headers=AUTH).json()["unchanged"] == 2
    assert client.post("/api/deals/import", json={}, headers=AUTH).status_code == 400


def _a_deals_score_job_values_the_store_deals_at_their_close_probability(
        client: TestClient) -> None:
    bad = client.post("/api/jobs", json={"kind": "deals_score", "scenario": "small",
                                         "probabilities": {"won": 0.5}}, headers=AUTH)
    assert bad.status_code == 400 and "'won' is not a stage" in bad.json()["error"]
    job = _done(client, {"kind": "deals_score", "scenario": "small",
                         "probabilities": {"loi": 0.25}})
    result = client.get(f"/api/jobs/{job['id']}/result").json()
    rows = {r["deal"]: r for r in result["deals"]}
    mine = rows["tok-lease-1"]
    assert mine["in_store"] and mine["stage"] == "loi" and mine["close_probability"] == 0.25
    assert mine["expected_value_usd"] == pytest.approx(0.25 * mine["value_usd"])
    assert result["noise_usd"] == pytest.approx(result["mip_gap"] * result["plan_cost_usd"])


def test_the_deal_store_over_the_web_in_order(client: TestClient) -> None:
    """One test, so that the steps share one store whichever worker runs them (pytest-xdist
    spreads a module's tests over workers, each with its own module fixture)."""
    _deals_add_show_move_and_a_stale_move_is_a_conflict(client)
    _deals_refuse_bad_fields_and_unknown_ids(client)
    _deals_export_reads_back_through_import_and_a_bad_row_imports_nothing(client)
    _a_deals_score_job_values_the_store_deals_at_their_close_probability(client)


# -- electrical -----------------------------------------------------------------------------
def test_electrical_redundancy_buys_availability_and_the_buffer_covers_the_swing(
        client: TestClient) -> None:
    r = client.post("/api/electrical", json={"market": "sg-singapore", "compare": True,
                                             "ramp_limit_mw_per_min": 5, "it_mw": 80})
    assert r.status_code == 200, r.text
    designs = {d["topology"]: d for d in r.json()["designs"]}
    assert designs["2N"]["availability"] > designs["N"]["availability"]
    assert designs["2N"]["capex_usd_per_mw"] > designs["N"]["capex_usd_per_mw"]
    buffer = designs["N"]["ramp_buffer"]
    # a 40 MW square wave against a 5 MW/min grid ramp: the buffer carries almost all of a step
    assert 0.9 * 40 <= buffer["buffer_power_mw"] <= 40 + 1e-6
    one = client.post("/api/electrical", json={"site": "jp-tokyo-inzai", "scenario": "small",
                                               "topology": "N+1", "svg": True}).json()
    assert one["designs"][0]["topology"] == "N+1" and one["svg"].lstrip().startswith("<svg")


def test_electrical_refuses_an_unknown_market(client: TestClient) -> None:
    r = client.post("/api/electrical", json={"market": "sg-singapor"})
    assert r.status_code == 404
    assert "did you mean sg-singapore" in r.json()["error"]
    both = client.post("/api/electrical", json={"market": "sg-singapore", "site": "x"})
    assert both.status_code == 400 and "at most one" in both.json()["error"]


def test_the_monte_carlo_check_runs_as_a_job_and_brackets_the_analytic_availability(
        client: TestClient) -> None:
    quick = client.post("/api/electrical", json={"market": "sg-singapore", "monte_carlo_seed": 0})
    assert quick.status_code == 400 and "kind electrical" in quick.json()["error"]
    job = _done(client, {"kind": "electrical", "electrical": {
        "market": "sg-singapore", "topology": "N", "monte_carlo_seed": 3}})
    (design,) = client.get(f"/api/jobs/{job['id']}/result").json()["designs"]
    mc = design["monte_carlo"]
    assert mc["ci_low"] <= mc["unavailability"] <= mc["ci_high"]
    # the simulated unavailability agrees with the block diagram's to within a factor of two
    assert 0.5 < mc["unavailability"] / (1 - design["availability"]) < 2.0
    none = client.post("/api/jobs", json={"kind": "electrical"}, headers=AUTH)
    assert none.status_code == 400 and "monte_carlo_seed" in none.json()["error"]


# -- sensitivity and compare ----------------------------------------------------------------
def test_a_sensitivity_job_swings_capex_around_the_base_cost(client: TestClient) -> None:
    job = _done(client, {"kind": "sensitivity", "scenario": "small", "only": ["capex"],
                         "swings": ["capex=0.8:1.2"]})
    result = client.get(f"/api/jobs/{job['id']}/result").json()
    (row,) = result["assumptions"]
    assert row["assumption"] == "capex" and (row["low"], row["high"]) == (0.8, 1.2)
    assert row["cost_low_usd"] < result["base_cost_usd"] < row["cost_high_usd"]


def test_a_bad_swing_is_refused_before_a_job_starts(client: TestClient) -> None:
    r = client.post("/api/jobs", json={"kind": "sensitivity", "scenario": "small",
                                       "swings": ["capexx=0.8:1.2"]}, headers=AUTH)
    assert r.status_code == 400
    assert "'capexx' is not one of" in r.json()["error"]


def test_compare_a_plan_job_with_its_scenario_finds_the_same_plan(client: TestClient) -> None:
    job = _done(client, {"kind": "plan", "scenario": "small"})
    r = client.post("/api/compare", json={"jobs": [job["id"]], "scenarios": ["small"]})
    assert r.status_code == 200, r.text
    plans = list(r.json()["scenarios"].values())
    assert [p["source"] for p in plans] == [f"job {job['id']}", "scenario small"]
    assert plans[0]["total_cost_usd"] == pytest.approx(plans[1]["total_cost_usd"], rel=1e-6)
    assert plans[0]["total_cost_usd"] == pytest.approx(
        client.get(f"/api/jobs/{job['id']}/result").json()["total_cost_usd"], rel=1e-9)
    assert r.json()["build_changes"] == []


def test_compare_refuses_one_plan_and_an_unknown_job(client: TestClient, tmp_path: Path) -> None:
    one = client.post("/api/compare", json={"scenarios": ["small"]})
    assert one.status_code == 400 and "two or more" in one.json()["error"]
    unknown = client.post("/api/compare", json={"jobs": ["0123456789abcdef"],
                                                "scenarios": ["small"]})
    assert unknown.status_code == 404 and "does not exist" in unknown.json()["error"]
    path = client.post("/api/compare", json={"jobs": ["../../etc"], "scenarios": ["small"]})
    assert path.status_code == 400
    assert str(tmp_path) not in path.text


def test_headroom_over_http_answers_what_the_library_answers(client: TestClient) -> None:
    from gridfirst.headroom import curtailment_headroom, load_for

    zones = client.get("/api/headroom/zones").json()
    assert "PJM" in {z["zone"] for z in zones}
    r = client.get("/api/headroom", params={"zone": "PJM", "budget": "0.0025,0.005"})
    assert r.status_code == 200, r.text
    rows = r.json()
    _, load = load_for("PJM")
    assert [row["headroom_mw"] for row in rows] == pytest.approx(
        [curtailment_headroom(load, b).record()["headroom_mw"] for b in (0.0025, 0.005)])
    assert rows[0]["headroom_mw"] <= rows[1]["headroom_mw"]
    # a request never names a file, and a bad budget is a 400 naming it
    assert client.get("/api/headroom", params={"zone": "/etc/passwd"}).status_code == 404
    bad = client.get("/api/headroom", params={"zone": "PJM", "budget": "lots"})
    assert bad.status_code == 400 and "budget" in bad.json()["error"]
    assert client.get("/api/headroom", params={"zone": "PJM", "budget": "2"}).status_code == 400
