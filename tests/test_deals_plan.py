"""The planner reads the deals store: the same deals give the same plan from the store as from
YAML, and each deal's value is the plan's cost without it minus with it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import deals_fixtures
import pytest
import yaml
from plan_fixtures import small_scenario_dict

from gridfirst.deals import DealRecord, DealStore, scenario_with_store_deals, to_scenario_fragment
from gridfirst.decide import decide
from gridfirst.resolve import resolve
from gridfirst.scenario import load_scenario, scenario_from_dict

db_url = deals_fixtures.db_url
postgres_socket_dir = deals_fixtures.postgres_socket_dir

DEALS = [
    {"id": "jp-colo", "kind": "colocation", "counterparty": "Example Colo KK",
     "market": "jp-tokyo-inzai", "capacity_mw": 20, "start_year": 2026, "term_years": 10,
     "price_usd_per_kw_month": 150, "take_or_pay_share": 0.5, "stage": "loi",
     "offer_expiry_date": "2025-12-31"},
    {"id": "sg-colo", "kind": "colocation", "counterparty": "Example Colo Pte Ltd",
     "market": "sg-singapore", "capacity_mw": 20, "start_year": 2027, "term_years": 10,
     "price_usd_per_kw_month": 400, "stage": "prospect", "site": "sg-tuas",
     "site_name": "Tuas hall", "site_latitude": 1.32, "site_longitude": 103.65},
    {"id": "au-ppa", "kind": "ppa", "counterparty": "Example Wind Pty Ltd", "market": "au-sydney",
     "capacity_mw": 50, "start_year": 2027, "term_years": 10, "price_usd_per_mwh": 60,
     "stage": "negotiation", "technology": "wind"},
    # Not candidates: lost, an expired offer, and a grid-connection agreement.
    {"id": "au-lost", "kind": "lease", "counterparty": "L", "market": "au-sydney",
     "capacity_mw": 10, "start_year": 2027, "term_years": 5, "stage": "lost"},
    {"id": "jp-expired", "kind": "lease", "counterparty": "L", "market": "jp-tokyo-inzai",
     "capacity_mw": 10, "start_year": 2027, "term_years": 5, "stage": "nda",
     "offer_expiry_date": "2025-06-30"},
    {"id": "jp-grid", "kind": "grid_connection", "counterparty": "TEPCO PG",
     "market": "jp-tokyo-inzai", "capacity_mw": 100, "start_year": 2029, "term_years": 30,
     "stage": "term_sheet"},
]
AS_OF = date(2025, 9, 1)


def _filled(url: str) -> None:
    with DealStore(url) as store:
        store.import_records([DealRecord.model_validate(d) for d in DEALS], by="test")


def test_plan_from_the_store_equals_the_plan_from_yaml(db_url: str, tmp_path: Path) -> None:
    _filled(db_url)
    base = scenario_from_dict(small_scenario_dict())
    from_store = scenario_with_store_deals(base, db_url, as_of=AS_OF)

    # The same deals written as YAML: the export fragment plus the store's new site.
    with DealStore(db_url) as store:
        fragment = yaml.safe_load(to_scenario_fragment(store.live_deals(AS_OF)))
    data = small_scenario_dict()
    data["deals"] = fragment["deals"]
    data["sites"].append({"id": "sg-tuas", "market": "sg-singapore", "name": "Tuas hall",
                          "latitude": 1.32, "longitude": 103.65})
    path = tmp_path / "with-deals.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    from_yaml = load_scenario(path)

    assert [d.id for d in from_store.deals] == ["au-ppa", "jp-colo", "sg-colo"]
    assert from_store.deals == from_yaml.deals and from_store.sites == from_yaml.sites
    _, plan_store = decide(resolve(from_store))
    _, plan_yaml = decide(resolve(from_yaml))
    assert plan_store.total_cost_usd == plan_yaml.total_cost_usd
    assert plan_store.signed_deals == plan_yaml.signed_deals
    assert plan_store.builds.equals(plan_yaml.builds)
    assert plan_store.recommended_deals.equals(plan_yaml.recommended_deals)
    # The cheap deals are worth signing in this scenario (none is signed yet: recommended).
    assert len(plan_store.signed_deals) + len(plan_store.recommended_deals) > 0


def test_expired_offers_count_until_they_expire(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    _filled(url)
    with DealStore(url) as store:
        assert {d.id for d in store.live_deals(date(2025, 6, 30))} == {
            "jp-colo", "sg-colo", "au-ppa", "jp-expired"}
        assert {d.id for d in store.live_deals(date(2026, 1, 1))} == {"sg-colo", "au-ppa"}
        store.move("jp-colo", "signed", by="ana")  # a signed deal no longer expires
        assert "jp-colo" in {d.id for d in store.live_deals(date(2026, 1, 1))}
        assert store.get("jp-colo").sign_by() == date(2025, 12, 31)
        assert store.get("au-ppa").sign_by() == date(2027, 1, 1)


def test_scenario_deals_db_field_feeds_the_planner(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import gridfirst.planning.run as run

    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    _filled(url)
    seen = []
    monkeypatch.setattr("gridfirst.resolve.resolve", lambda s, **kw: seen.append(s) or s)
    data = small_scenario_dict()
    data["deals_db"] = url
    run.resolve_for_plan(scenario_from_dict(data))
    assert {"au-ppa", "sg-colo"} <= {d.id for d in seen[0].deals}
    assert seen[0].deals_db is None


def test_a_deals_value_is_the_cost_of_planning_without_it(tmp_path: Path) -> None:
    from gridfirst.planning import deal_values

    data = small_scenario_dict()
    data["deals"] = [{k: v for k, v in d.items() if not k.startswith(("site", "offer"))}
                     for d in DEALS[:3]]
    scenario = scenario_from_dict(data)
    values = deal_values(resolve(scenario))
    table = values.table
    assert set(table.index) == {"jp-colo", "sg-colo", "au-ppa"}
    assert (table["value_usd"] >= -values.noise_usd).all()
    assert (table.loc[~table["signed"], "value_usd"] == 0).all()
    for deal_id in table.index[table["signed"]]:
        # Independently: take the deal out of the scenario and plan again.
        data_without = dict(data, deals=[d for d in data["deals"] if d["id"] != deal_id])
        _, without = decide(resolve(scenario_from_dict(data_without)))
        expected = without.total_cost_usd - values.plan.total_cost_usd
        assert table.at[deal_id, "value_usd"] == pytest.approx(expected,
                                                               abs=2 * values.noise_usd)
    assert table["value_usd"].max() > values.noise_usd  # some deal matters


def test_cli_score_prints_what_to_sign_by_when(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    with DealStore(url) as store:
        store.import_records([DealRecord.model_validate(d) for d in DEALS[1:3]], by="t")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario_dict()), encoding="utf-8")
    res = CliRunner().invoke(app, ["deals", "score", str(scenario), "--db", url,
                                   "--probability", "negotiation=0.5", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rows = {r["deal"]: r for r in out["deals"]}
    assert set(rows) == {"sg-colo", "au-ppa"}
    assert rows["au-ppa"]["close_probability"] == 0.5
    assert rows["sg-colo"]["close_probability"] == 0.05
    for r in rows.values():
        assert r["expected_value_usd"] == pytest.approx(r["close_probability"] * r["value_usd"])
        assert (r["sign_by"] != "") == r["sign"]
    bad = CliRunner().invoke(app, ["deals", "score", str(scenario), "--db", url,
                                   "--probability", "signd=0.5"])
    assert bad.exit_code != 0 and "'signd' is not a stage" in bad.output
