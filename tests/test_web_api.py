"""The web API answers as the CLI does and refuses what it must: no token, a path out of the data
folder, an oversized upload, a malformed scenario, too many job starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_fixtures import AUTH, TOKEN, make_app, small_yaml

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("web")
    with TestClient(make_app(folder, max_upload_bytes=200_000, job_starts=3)) as c:
        r = c.post("/api/scenarios", json={"name": "small", "yaml": small_yaml()}, headers=AUTH)
        assert r.status_code == 201, r.text
        yield c


def test_a_write_without_the_token_is_refused(client: TestClient) -> None:
    r = client.post("/api/scenarios", json={"name": "other", "yaml": small_yaml()})
    assert r.status_code == 401
    assert "token" in r.json()["error"]
    assert r.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/jobs", json={"kind": "plan", "scenario": "small"},
                        headers={"Authorization": "Bearer " + TOKEN[::-1]})
    assert wrong.status_code == 401
    assert "other" not in client.get("/api/scenarios").json()
    assert client.get("/api/auth", headers=AUTH).status_code == 200
    assert client.get("/api/auth").status_code == 401


@pytest.mark.parametrize("url", [
    "/api/scenarios/..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/scenarios/%2Fetc%2Fpasswd",
    "/api/jobs/0123abcd/files/..%2F..%2F..%2Fjobs.sqlite",
    "/api/jobs/0123abcd/files/%2Fetc%2Fpasswd",
    "/api/jobs/..%2F..%2Fetc/result",
])
def test_a_path_out_of_the_data_folder_is_refused(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (400, 404), r.text
    body = r.json()
    assert "root:" not in r.text and "Traceback" not in r.text
    if "%2F" in url.split("/api/")[1].split("/", 2)[-1]:
        assert r.status_code == 400
        assert "no paths" in body["error"] or "outside the data folder" in body["error"]


def test_a_scenario_naming_a_file_outside_the_data_folder_is_refused(client: TestClient) -> None:
    from plan_fixtures import small_scenario_dict

    data = small_scenario_dict(name="sneaky")
    data["sites"][0]["weather_file"] = "/etc/passwd"
    import yaml

    r = client.post("/api/scenarios", json={"name": "sneaky", "yaml": yaml.safe_dump(data)},
                    headers=AUTH)
    assert r.status_code == 400
    assert "sites[0].weather_file" in r.json()["error"]
    assert "outside the data folder" in r.json()["error"]
    data["sites"][0]["weather_file"] = "../../x.csv"
    r = client.post("/api/scenarios/validate", json={"name": "sneaky", "yaml": yaml.safe_dump(data)})
    assert r.status_code == 400


def test_an_oversized_upload_gets_413_and_nothing_is_stored(client: TestClient) -> None:
    big = small_yaml() + "\n# " + "x" * 250_000
    r = client.post("/api/scenarios", json={"name": "big", "yaml": big}, headers=AUTH)
    assert r.status_code == 413
    assert "200,000 bytes" in r.json()["error"]
    assert "big" not in client.get("/api/scenarios").json()


def test_a_malformed_scenario_gets_its_located_problems(client: TestClient,
                                                         tmp_path: Path) -> None:
    r = client.post("/api/scenarios", json={"name": "bad", "yaml": "name: [unclosed\n"},
                    headers=AUTH)
    assert r.status_code == 400
    assert r.json()["error"].startswith("bad.yaml: not valid YAML at line")
    bad = small_yaml().replace("cfe_target: 0.6", "cfe_target: 1.7")
    r = client.post("/api/scenarios", json={"name": "bad", "yaml": bad}, headers=AUTH)
    assert r.status_code == 400
    assert any(p.startswith("bad.yaml: policy.cfe_target") and "1.7" in p
               for p in r.json()["problems"])
    from gridfirst.errors import ScenarioError
    from gridfirst.scenario import load_scenario

    file = tmp_path / "bad.yaml"
    file.write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError) as cli_error:  # what `gridfirst validate bad.yaml` says
        load_scenario(file)
    assert r.json()["problems"] == cli_error.value.problems
    v = client.post("/api/scenarios/validate", json={"name": "bad", "yaml": bad})
    assert v.status_code == 200 and v.json()["valid"] is False
    assert v.json()["problems"] == r.json()["problems"]
    alias_bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True))
    r = client.post("/api/scenarios", json={"name": "bomb", "yaml": alias_bomb}, headers=AUTH)
    assert r.status_code == 400 and "alias" in r.json()["error"]
    lone = client.post("/api/scenarios", content=b'{"name": "odd", "yaml": "name: \\ud800"}',
                       headers={**AUTH, "Content-Type": "application/json"})
    assert lone.status_code == 400 and "odd.yaml: character 6" in lone.json()["error"]
    assert "bad" not in client.get("/api/scenarios").json()
    r = client.post("/api/scenarios", json={"name": "../up", "yaml": small_yaml()}, headers=AUTH)
    assert r.status_code == 400 and "no paths" in r.json()["error"]


def test_a_stored_scenario_reads_back_as_validate_summarises_it(client: TestClient) -> None:
    from plan_fixtures import MARKETS

    assert client.get("/api/scenarios").json() == ["example", "small"]
    r = client.get("/api/scenarios/small").json()
    assert r["markets"] == len(MARKETS) and r["sites"] == 1 and r["horizon"] == "2026-2030"
    assert "tokyo-campus" in r["yaml"]
    assert client.get("/api/scenarios/nothere").status_code == 404
    ids = [m["id"] for m in client.get("/api/markets", params={"scenario": "small"}).json()]
    assert sorted(ids) == sorted(MARKETS)


def test_rank_reweighted_moves_the_ranking_as_the_library_does(client: TestClient) -> None:
    from gridfirst.scoring import rank_with_sensitivity
    from gridfirst.web.scenarios import ScenarioStore

    base = client.post("/api/rank", json={"scenario": "small", "samples": 50}).json()
    assert [m["rank"] for m in base["markets"]] == list(range(1, len(base["markets"]) + 1))
    probs = base["markets"][0]["rank_probabilities"]
    assert sum(probs) == pytest.approx(1.0)
    # all the weight on the energy price: the cheapest market passing the screens comes first
    weights = {k: 0.0 for k in base["weights"]}
    weights["energy_price"] = 1.0
    priced = client.post("/api/rank", json={"scenario": "small", "samples": 0,
                                            "weights": weights}).json()
    markets = {m["id"]: m for m in client.get("/api/markets").json()}
    order = [m["market_id"] for m in priced["markets"]]
    prices = [markets[m]["price_usd_per_mwh"] for m in order]
    assert prices == sorted(prices)
    scenario = ScenarioStore(Path(client.app.state.config.scenarios_dir)).load("small")
    lib, _ = rank_with_sensitivity(scenario, samples=0, weights=weights)
    assert order == list(lib.table.index)
    second = base["markets"][1]["market_id"]
    explained = client.post("/api/rank", json={"scenario": "small", "samples": 50,
                                               "explain": second}).json()["explanation"]
    assert explained["market_id"] == second and explained["rank"] == 2
    assert explained["score"] == pytest.approx(base["markets"][1]["score"])
    assert {c["criterion"] for c in explained["contributions"]} == set(base["weights"])
    assert set(explained["swaps"]) == {"above", "below"}
    bad = client.post("/api/rank", json={"scenario": "small", "weights": {"nonsense": 1}})
    assert bad.status_code == 400 and "not a scoring criterion" in bad.json()["error"]


def test_latency_is_symmetric_and_names_an_unknown_place(client: TestClient) -> None:
    a = client.get("/api/latency", params={"origin": "sg-singapore", "destination": "Tokyo"})
    b = client.get("/api/latency", params={"origin": "Tokyo", "destination": "sg-singapore"})
    assert a.status_code == 200
    assert a.json()["rtt_ms"] == pytest.approx(b.json()["rtt_ms"], rel=1e-6)
    # light in fibre needs at least 2 x great circle / (c / 1.47)
    assert a.json()["rtt_ms"] >= 2 * a.json()["great_circle_km"] / 204.0
    r = client.get("/api/latency", params={"origin": "Xqzzyplk", "destination": "Tokyo"})
    assert r.status_code == 400 and "Xqzzyplk" in r.json()["error"]


def test_market_supply_and_sources_carry_their_sources(client: TestClient) -> None:
    m = client.get("/api/markets/sg-singapore").json()
    assert all(f["source"] for f in m["fields"])
    assert {"grid_available_mw", "price_usd_per_mwh"} <= {f["field"] for f in m["fields"]}
    assert client.get("/api/markets/sg-singapur").status_code == 404
    assert "sg-singapore" in client.get("/api/markets/sg-singapur").json()["error"]
    rows = client.get("/api/markets/sg-singapore/supply").json()
    assert rows and all(r["source_id"] and r["source_publisher"] for r in rows)
    allowed = client.get("/api/markets/sg-singapore/supply", params={"allowed": True}).json()
    assert all(r["allowed"] for r in allowed) and len(allowed) <= len(rows)
    ids = {s["source_id"] for s in client.get("/api/sources").json()}
    assert {f["source_id"] for f in m["fields"] if f["source_id"]} <= ids


def test_compliance_lists_every_market_with_a_status(client: TestClient) -> None:
    r = client.get("/api/compliance", params={"scenario": "small", "jurisdiction": "US"}).json()
    assert len(r["markets"]) == 3
    assert {row["status"] for row in r["markets"]} <= {
        "allowed", "licence_required", "presumption_of_denial", "prohibited"}
    bad = client.get("/api/compliance", params={"scenario": "small", "jurisdiction": "XX"})
    assert bad.status_code == 400


def test_job_starts_are_rate_limited_per_client(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path, job_starts=2, job_window_seconds=60)) as c:
        body = {"kind": "plan", "scenario": "nothere"}
        codes = [c.post("/api/jobs", json=body, headers=AUTH).status_code for _ in range(3)]
        assert codes == [404, 404, 429]
        r = c.post("/api/jobs", json=body, headers=AUTH)
        assert int(r.headers["retry-after"]) >= 1 and "at most 2" in r.json()["error"]


def test_errors_never_carry_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gridfirst.web.app as web_app

    def boom(*_: object) -> None:
        raise RuntimeError("secret internals /home/x")

    monkeypatch.setattr(web_app, "_rank", boom)
    with TestClient(make_app(tmp_path), raise_server_exceptions=False) as c:
        r = c.post("/api/rank", json={})
    assert r.status_code == 500
    assert r.json() == {"error": "internal error (RuntimeError); please report the request that "
                                 "caused it"}


def test_cors_is_closed_unless_configured(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    with TestClient(make_app(tmp_path, cors_origins=["https://ok.example"])) as c:
        ok = c.get("/api/health", headers={"Origin": "https://ok.example"})
        assert ok.headers["access-control-allow-origin"] == "https://ok.example"
        no = c.get("/api/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in no.headers


def test_demand_fit_answers_what_the_cli_prints(client: TestClient, tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    csv = (root / "examples" / "demand" / "google_tokens.csv").read_text()
    body = {"csv": csv, "quantity": "tokens_per_month", "samples": 50, "seed": 3,
            "start_year": 2026, "end_year": 2029}
    r = client.post("/api/demand/fit", json=body)
    assert r.status_code == 200, r.text
    api = r.json()
    cli = subprocess.run(
        [sys.executable, "-m", "gridfirst", "demand", str(root / "examples/demand/google_tokens.csv"),
         "-q", "tokens_per_month", "--samples", "50", "--seed", "3", "--start-year", "2026",
         "--end-year", "2029", "--format", "json"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(root / "src")})
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    assert [row["year"] for row in api["forecast"]] == [2026, 2027, 2028, 2029]
    for mine, theirs in zip(api["forecast"], expected["forecast"], strict=True):
        assert mine["mw"] == pytest.approx(theirs["mw"], rel=1e-9)
        assert mine["low_mw"] <= mine["mw"] <= mine["high_mw"]
    bad = client.post("/api/demand/fit", json={**body, "csv": "date,value\n2024-01-01,abc\n"})
    assert bad.status_code == 400 and "series.csv" in bad.json()["error"]


def test_procure_buys_a_site_from_its_markets_options(client: TestClient) -> None:
    r = client.post("/api/procure", json={"scenario": "small", "site": "tokyo-campus",
                                          "dispatch_hours": 48})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["market_id"] == "jp-tokyo-inzai" and out["cfe_target"] == 0.6
    assert out["cfe_target_met"] and out["cfe_score"] >= 0.6 - 1e-6
    options = {row["option"]: row for row in client.get("/api/markets/jp-tokyo-inzai/supply").json()}
    for row in out["supply"]:  # nothing beyond what one buyer can contract, nothing disallowed
        assert row["option"] in options and options[row["option"]]["allowed"]
        if options[row["option"]]["max_mw"] is not None:
            assert row["mw"] <= options[row["option"]]["max_mw"] * (1 + 1e-6)
    d = out["dispatch"]
    assert len(d["time"]) == 48 and len(d["load_mw"]) == 48
    # energy balance every hour: supply + grid + storage out - in - export = load served
    for h in range(48):
        assert d["load_mw"][h] == pytest.approx(100.0)
        supplied = (d["solar_mw"][h] + d["wind_mw"][h] + d["firm_mw"][h] + d["grid_mw"][h]
                    + d["discharge_mw"][h] + d["backup_mw"][h] - d["charge_mw"][h]
                    - d["export_mw"][h])
        assert supplied == pytest.approx(d["load_mw"][h] - d["curtailed_load_mw"][h], abs=1e-3)
        by_option = sum(v[h] for k, v in d.items() if k.startswith("option:"))
        assert by_option == pytest.approx(d["solar_mw"][h] + d["wind_mw"][h] + d["firm_mw"][h],
                                          abs=1e-3)
    missing = client.post("/api/procure", json={"scenario": "small", "site": "atlantis-1"})
    assert missing.status_code == 400 and "atlantis-1" in missing.json()["error"]
