"""Ranking a scenario's markets: screens with reasons, weights, latency, explanations, sensitivity, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from gridfirst.errors import ScenarioError
from gridfirst.scenario import scenario_from_dict
from gridfirst.scoring import (
    criteria_table,
    default_criteria,
    rank_markets,
    sensitivity,
)

BASE = {
    "country": "JP",
    "region": "asia_pacific",
    "latitude": 35.0,
    "longitude": 139.0,
    "grid_available_mw": 300.0,
    "grid_energisation_year": 2028,
    "interconnection_lead_time_months": 36.0,
    "price_usd_per_mwh": 120.0,
    "grid_intensity_tco2_per_mwh": 0.45,
    "grid_cfe_share": 0.3,
    "solar_cf": 0.15,
    "wind_cf": 0.25,
    "land_cost_usd_per_m2": 500.0,
    "construction_cost_usd_per_mw": 10.0e6,
    "political_stability_percentile": 80.0,
    "regulatory_quality_percentile": 85.0,
    "conflict_exposure_gpi": 1.6,
    "ai_training_legal_regime": "yes",
    "seismic_hazard_pga_g": 0.3,
    "cyclone_hazard_level": 1,
    "water_stress_score": 2.0,
    "mean_temperature_c": 15.0,
    "labour_capacity_mw_per_year": 100.0,
    "existing_capacity_mw": 800.0,
    "competing_pipeline_mw": 600.0,
    "cable_systems": ["a", "b", "c"],
}

MARKETS = [
    {
        "id": "aa-power",
        "name": "Power rich",
        "country": "SG",
        "grid_available_mw": 2000.0,
        "grid_energisation_year": 2027,
        "price_usd_per_mwh": 70.0,
        "latitude": 1.3,
        "longitude": 103.8,
    },
    {
        "id": "bb-clean",
        "name": "Clean",
        "country": "BB",
        "grid_intensity_tco2_per_mwh": 0.05,
        "latitude": -33.9,
        "longitude": 151.2,
    },
    {
        "id": "cc-cheap",
        "name": "Cheap build",
        "country": "CC",
        "construction_cost_usd_per_mw": 6.0e6,
        "land_cost_usd_per_m2": 50.0,
        "latitude": 19.1,
        "longitude": 72.9,
    },
    {
        "id": "dd-late",
        "name": "Late grid",
        "country": "KR",
        "grid_energisation_year": 2033,
        "grid_available_mw": 80.0,
        "latitude": 37.6,
        "longitude": 127.0,
    },
    {"id": "ee-conflict", "name": "Conflict", "country": "EE", "conflict_exposure_gpi": 3.4},
    {
        "id": "ff-nolaw",
        "name": "No TDM",
        "country": "FR",
        "ai_training_legal_regime": "no",
        "cable_systems": ["a", "b", "c", "d", "e", "f", "g", "h"],
        "latitude": 35.7,
        "longitude": 139.7,
    },
    {"id": "gg-excluded", "name": "Excluded", "country": "GG"},
]


def _scenario(policy=None, weights=None, regions=True):
    data = {
        "name": "scoring-test",
        "markets": {"include": [], "extra": [{**BASE, **m} for m in MARKETS]},
        "policy": {
            "max_conflict_exposure_gpi": 3.0,
            "excluded_countries": ["GG"],
            **(policy or {}),
        },
        "weights": weights or {},
    }
    if regions:
        data["demand"] = {
            "regions": [
                {
                    "id": "tokyo",
                    "name": "Tokyo",
                    "city": "Tokyo",
                    "latitude": 35.7,
                    "longitude": 139.7,
                },
                {
                    "id": "sydney",
                    "name": "Sydney",
                    "city": "Sydney",
                    "latitude": -33.9,
                    "longitude": 151.2,
                },
            ],
            "points": [
                {"region": "tokyo", "year": 2030, "workload": "inference", "mw": 300.0},
                {"region": "sydney", "year": 2030, "workload": "inference", "mw": 100.0},
            ],
        }
    return scenario_from_dict(data)


def _latency(scenario):
    ids = [m.id for m in scenario.resolved_markets()]
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        rng.uniform(2, 150, size=(len(ids), 2)), index=ids, columns=["tokyo", "sydney"]
    )


def test_criteria_are_data_with_reasoned_weights():
    table = criteria_table()
    assert table["name"].is_unique
    assert set(table["direction"]) <= {"benefit", "cost"}
    assert (table["reasoning"].str.len() > 40).all()
    assert (table["basis"] == "assumption").all()
    # power first, and the profiles differ where the issue says they must
    assert table["name"].iloc[0] == "grid_power"
    t = table.set_index("name")
    assert t.loc["legal_regime", "training_weight"] > 5 * t.loc["legal_regime", "inference_weight"]
    assert t.loc["user_latency", "training_weight"] == 0 < t.loc["user_latency", "inference_weight"]
    from gridfirst.scenario import Market

    fields = set(Market.model_fields) | {"cable_systems_count", "design_pue"}
    derived = {"user_latency_ms", "users_within_sla_share", "threat_exposure", "alliance_score",
               "export_access"}  # columns of the resolved markets table
    assert {c.field for c in default_criteria()} <= fields | derived


def test_screens_say_which_rule_removed_each_market():
    sc = _scenario(policy={"min_grid_mw": 100, "min_grid_year": 2030})
    res = rank_markets(sc, profile="training")
    out = res.screened_out.set_index("market_id")
    assert set(out.index) == {"dd-late", "ee-conflict", "ff-nolaw", "gg-excluded"}
    assert "below the minimum 100 MW by 2030" in out.loc["dd-late", "rule"]
    assert "80 MW" in out.loc["dd-late", "rule"]
    assert (
        "3.4" in out.loc["ee-conflict", "rule"]
        and "above the limit 3" in out.loc["ee-conflict", "rule"]
    )
    assert "'no' is not allowed for training" in out.loc["ff-nolaw", "rule"]
    assert "GG is excluded" in out.loc["gg-excluded", "rule"]
    assert out.loc["gg-excluded", "policy_fields"] == "excluded_countries"
    assert not set(out.index) & set(res.table.index)
    # the legal-regime screen is for training only
    inf = rank_markets(sc, profile="inference", use_network=False, latency_ms=_latency(sc))
    assert "ff-nolaw" in inf.table.index
    # energisation after the year is its own rule
    late = rank_markets(_scenario(policy={"min_grid_mw": 50, "min_grid_year": 2030}))
    assert "energised from 2033" in late.screened_out.set_index("market_id").loc["dd-late", "rule"]
    with pytest.raises(ScenarioError, match="screened out"):
        res.explain("ee-conflict")


def test_excluded_markets_screen():
    sc = _scenario(policy={"excluded_markets": ["aa-power"]})
    res = rank_markets(sc)
    assert "aa-power" in set(res.screened_out["market_id"])
    assert "excluded_markets" in res.screened_out.set_index("market_id").loc["aa-power", "rule"]


@pytest.mark.parametrize("method", ["topsis", "wsum"])
@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
def test_result_table_and_contributions(method, normalisation):
    res = rank_markets(_scenario(), method=method, normalisation=normalisation)
    t = res.table
    assert list(t["rank"]) == sorted(t["rank"]) and t["rank"].iloc[0] == 1
    assert t["score"].between(0, 1).all() and t["score"].is_monotonic_decreasing
    assert res.weights.sum() == pytest.approx(1.0)
    contrib = t[list(res.weights.index)].sum(axis=1)
    np.testing.assert_allclose(contrib + res.baseline, t["score"], atol=1e-12)
    # training ignores latency: no latency criterion, even with demand regions
    assert "user_latency" not in res.weights.index
    payload = json.loads(json.dumps(res.to_dict()))
    assert payload["markets"][0]["rank"] == 1


def test_weight_overrides_and_errors():
    sc = _scenario(weights={"energy_price": 50.0})
    heavy = rank_markets(sc, method="wsum")
    base = rank_markets(_scenario(), method="wsum")
    assert heavy.weights["energy_price"] > base.weights["energy_price"]
    only_price = rank_markets(
        _scenario(),
        method="wsum",
        weights={n: 0.0 for n in base.weights.index} | {"energy_price": 1.0},
    )
    assert list(only_price.weights.index) == ["energy_price"]
    assert only_price.table.index[0] == "aa-power"  # the cheapest power
    with pytest.raises(ScenarioError, match="energy_prize.*did you mean energy_price"):
        rank_markets(_scenario(weights={"energy_prize": 1.0}))
    with pytest.raises(ScenarioError, match=">= 0"):
        rank_markets(_scenario(), weights={"grid_power": -1.0})
    with pytest.raises(ScenarioError, match="profile"):
        rank_markets(_scenario(), profile="batch")
    with pytest.raises(ScenarioError, match="method"):
        rank_markets(_scenario(), method="electre")


def test_inference_uses_latency_table_and_connectivity():
    sc = _scenario()
    lat = _latency(sc)
    lat.loc["ff-nolaw"] = [1.0, 200.0]  # next to Tokyo users
    res = rank_markets(sc, profile="inference", use_network=False, latency_ms=lat)
    assert "user_latency" in res.weights.index
    assert res.raw.loc["ff-nolaw", "user_latency"] == pytest.approx(1.0)
    # 300 of 400 MW of inference demand is in Tokyo, within the 50 ms default SLA
    assert res.raw.loc["ff-nolaw", "users_within_sla"] == pytest.approx(0.75)
    assert any("latency_ms table" in n for n in res.notes)
    missing = lat.drop(index="aa-power")
    with pytest.raises(ScenarioError, match="aa-power"):
        rank_markets(sc, profile="inference", use_network=False, latency_ms=missing)
    holed = lat.copy()
    holed.loc["bb-clean", "sydney"] = np.nan
    with pytest.raises(ScenarioError, match="bb-clean"):
        rank_markets(sc, profile="inference", use_network=False, latency_ms=holed)
    conn = pd.Series(np.linspace(0.1, 1.0, len(lat)), index=lat.index)
    with_conn = rank_markets(
        sc, profile="inference", use_network=False, latency_ms=lat, connectivity=conn
    )
    assert with_conn.raw.loc["ff-nolaw", "connectivity"] == pytest.approx(conn["ff-nolaw"])


def test_inference_without_regions_leaves_latency_out():
    res = rank_markets(_scenario(regions=False), profile="inference", use_network=False)
    assert "user_latency" not in res.weights.index
    assert any("no demand regions" in n for n in res.notes)


def test_lower_latency_never_hurts_under_weighted_sum():
    sc = _scenario()
    lat = _latency(sc)
    before = rank_markets(sc, profile="inference", use_network=False, method="wsum", latency_ms=lat)
    better = lat.copy()
    better.loc["cc-cheap", "tokyo"] = 0.5 * better.loc["cc-cheap", "tokyo"]
    after = rank_markets(
        sc, profile="inference", use_network=False, method="wsum", latency_ms=better
    )
    assert after.table.loc["cc-cheap", "score"] >= before.table.loc["cc-cheap", "score"] - 1e-12


@pytest.mark.parametrize("method", ["topsis", "wsum"])
def test_explanation_swaps_neighbours(method):
    res = rank_markets(_scenario(), method=method, normalisation="minmax")
    second = res.table.index[1]
    exp = res.explain(second)
    assert exp.rank == 2
    assert exp.contributions["contribution"].sum() + res.baseline == pytest.approx(exp.score)
    best = exp.smallest_swap("above")
    assert best is not None and best["neighbour"] == res.table.index[0]
    w = res.weights.copy()
    w[best["criterion"]] += best["change"] * 1.001  # just past the threshold
    swapped = rank_markets(_scenario(), method=method, normalisation="minmax", weights=w.to_dict())
    assert swapped.table.loc[second, "rank"] <= swapped.table.loc[res.table.index[0], "rank"]
    assert "overtake" in exp.text()
    assert exp.to_dict()["swap_above"]["criterion"] == best["criterion"]


def test_sensitivity_is_seeded_and_consistent():
    res = rank_markets(_scenario())
    a = sensitivity(res, samples=400, seed=11, top_k=2)
    b = sensitivity(res, samples=400, seed=11, top_k=2)
    c = sensitivity(res, samples=400, seed=12, top_k=2)
    pd.testing.assert_frame_equal(a.rank_probabilities, b.rank_probabilities)
    pd.testing.assert_series_equal(a.top_k_probability, b.top_k_probability)
    assert not a.rank_probabilities.equals(c.rank_probabilities)
    p = a.rank_probabilities
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(a.top_k_probability, p[[1, 2]].sum(axis=1))
    # a very concentrated Dirichlet reproduces the ranking itself
    tight = sensitivity(res, samples=200, seed=1, concentration=1e7)
    assert (tight.rank_probabilities.idxmax(axis=1) == res.table["rank"]).all()


def test_sensitivity_top_positions_match_full_sort():
    from gridfirst.scoring.methods import Scorer
    from gridfirst.scoring.sensitivity import rank_counts, sample_weights

    rng = np.random.default_rng(0)
    matrix = rng.lognormal(size=(3000, 7))
    benefit = rng.random(7) < 0.5
    w = sample_weights(rng.random(7) + 0.1, 150, seed=2, concentration=20.0)
    for method in ("topsis", "wsum"):
        scorer = Scorer.build(matrix, benefit, method, "minmax")
        full = rank_counts(scorer, w, 3000)
        partial = rank_counts(scorer, w, 5, sample_chunk=40, block_rows=200)
        np.testing.assert_array_equal(partial, full[:, :5])
        order = np.argsort(-scorer.scores(w), axis=1)
        assert (full[order[:, 0], 0] > 0).all()


def test_cli_rank_json_and_table(tmp_path):
    from gridfirst.cli import app

    sc = _scenario(policy={"min_grid_mw": 100, "min_grid_year": 2030})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", exclude_defaults=True)))
    runner = CliRunner()
    out = runner.invoke(
        app, ["rank", str(path), "--format", "json", "--samples", "200", "--top", "2"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data["markets"]) == 2 and data["markets"][0]["rank"] == 1
    assert "p_top_3" in data["markets"][0] and len(data["markets"][0]["rank_probabilities"]) == 3
    assert {r["market_id"] for r in data["screened_out"]} >= {"dd-late", "ee-conflict"}
    assert data["sensitivity"]["seed"] == 0
    table = runner.invoke(app, ["rank", str(path), "--method", "wsum", "--samples", "50"])
    assert table.exit_code == 0, table.output
    assert "screened out" in table.stdout and "ee-conflict" in table.stdout
    csv_out = runner.invoke(app, ["rank", str(path), "--format", "csv", "--samples", "0"])
    assert csv_out.stdout.splitlines()[0].startswith("rank,market_id,score,contribution_")
    bad = runner.invoke(app, ["rank", str(path), "--profile", "batch"])
    assert bad.exit_code != 0


def _write_scenario(tmp_path, **kwargs):
    path = tmp_path / "s.yaml"
    sc = _scenario(**kwargs)
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", exclude_defaults=True)))
    return sc, path


def test_cli_rank_csv_lists_screened_out_markets_with_their_rule(tmp_path):
    import csv
    import io

    from gridfirst.cli import app

    sc, path = _write_scenario(tmp_path, policy={"min_grid_mw": 100, "min_grid_year": 2030})
    res = rank_markets(sc)
    out = CliRunner().invoke(app, ["rank", str(path), "--format", "csv", "--samples", "0"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[0].startswith("rank,market_id,score,contribution_")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    ranked = [r for r in rows if r["status"] == "ranked"]
    removed = [r for r in rows if r["status"] == "screened_out"]
    assert len(ranked) + len(removed) == len(rows)
    # ranked rows keep their columns and order; their rule is empty
    assert [r["market_id"] for r in ranked] == list(res.table.index)
    assert [int(r["rank"]) for r in ranked] == list(res.table["rank"])
    for r in ranked:
        assert r["rule"] == "" and r["policy_fields"] == ""
        assert float(r["score"]) == pytest.approx(res.table.loc[r["market_id"], "score"], abs=1e-4)
        for name in res.weights.index:
            assert float(r[f"contribution_{name}"]) == pytest.approx(
                res.table.loc[r["market_id"], name], abs=1e-12
            )
    # every screened-out market is a row with the rule that removed it, and no score
    expected = res.screened_out.set_index("market_id")
    assert {r["market_id"] for r in removed} == set(expected.index)
    assert {"dd-late", "ee-conflict", "ff-nolaw", "gg-excluded"} <= set(expected.index)
    for r in removed:
        assert r["rule"] == expected.loc[r["market_id"], "rule"] and r["rule"]
        assert r["policy_fields"] == expected.loc[r["market_id"], "policy_fields"]
        assert r["rank"] == "" and r["score"] == ""
    by_id = {r["market_id"]: r for r in removed}
    assert "policy.excluded_countries" in by_id["gg-excluded"]["rule"]
    assert by_id["ee-conflict"]["policy_fields"] == "max_conflict_exposure_gpi"


def test_cli_rank_explain_full_breakdown_and_swaps(tmp_path):
    import csv
    import io

    from gridfirst.cli import app

    sc, path = _write_scenario(tmp_path)
    res = rank_markets(sc, method="wsum", normalisation="minmax")
    assert len(res.table) >= 3
    mid = res.table.index[1]
    above, below = res.table.index[0], res.table.index[2]
    runner = CliRunner()
    args = ["rank", str(path), "-m", "wsum", "-n", "minmax", "--explain", mid]

    out = runner.invoke(app, [*args, "--format", "json", "--samples", "300", "--seed", "4"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["market_id"] == mid and data["rank"] == 2
    contrib = {c["criterion"]: c for c in data["contributions"]}
    assert set(contrib) == set(res.weights.index)  # every criterion, not only the top ones
    for name, c in contrib.items():
        assert c["weight"] == pytest.approx(res.weights[name], abs=1e-15)
        assert c["normalised"] == pytest.approx(res.normalised.loc[mid, name], abs=1e-15)
        assert c["contribution"] == pytest.approx(c["weight"] * c["normalised"], abs=1e-15)
    total = sum(c["contribution"] for c in data["contributions"])
    assert total + data["baseline"] == pytest.approx(data["score"], abs=1e-12)
    assert sum(data["rank_probabilities"]) <= 1 + 1e-12
    assert data["sensitivity"]["seed"] == 4

    # every listed weight change makes the pair tie (weighted sum: the swap is exact)
    assert data["swaps"]["above"]["neighbour"] == above
    assert data["swaps"]["below"]["neighbour"] == below
    for side, (upper, lower) in {"above": (above, mid), "below": (mid, below)}.items():
        changes = data["swaps"][side]["changes"]
        assert changes, side
        sizes = [abs(c["change"]) for c in changes]
        assert sizes == sorted(sizes)
        assert data[f"swap_{side}"]["criterion"] == changes[0]["criterion"]
        for c in changes:
            w = res.weights.copy()
            w[c["criterion"]] += c["change"]
            assert w[c["criterion"]] / w.sum() == pytest.approx(c["new_weight"], abs=1e-12)
            moved = rank_markets(sc, method="wsum", normalisation="minmax", weights=w.to_dict())
            gap = moved.table.loc[upper, "score"] - moved.table.loc[lower, "score"]
            assert gap == pytest.approx(0.0, abs=1e-9), (side, c["criterion"])

    csv_out = runner.invoke(app, [*args, "--format", "csv", "--samples", "0"])
    assert csv_out.exit_code == 0, csv_out.output
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    sections = [r["section"] for r in rows]
    assert sections.count("contribution") == len(res.weights)
    for side in ("above", "below"):
        swap_rows = [r for r in rows if r["section"] == f"swap_{side}"]
        assert [r["criterion"] for r in swap_rows] == [
            c["criterion"] for c in data["swaps"][side]["changes"]
        ]
        assert {r["neighbour"] for r in swap_rows} == {data["swaps"][side]["neighbour"]}
    for r in rows:
        if r["section"] == "contribution":
            assert float(r["contribution"]) == pytest.approx(
                contrib[r["criterion"]]["contribution"], abs=1e-15
            )

    table = runner.invoke(app, [*args, "--samples", "100"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for name in res.weights.index:
        assert name in table.stdout
    assert f"to overtake {above}" in table.stdout
    assert f"to be overtaken by {below}" in table.stdout
    assert "rank probabilities" in table.stdout

    # the default table stays compact: two contributions per market, a pointer to --explain
    compact = runner.invoke(app, ["rank", str(path), "--samples", "0"], env={"COLUMNS": "200"})
    assert compact.exit_code == 0, compact.output
    assert "--explain" in compact.stdout and "normalised" not in compact.stdout

    screened = runner.invoke(app, ["rank", str(path), "--explain", "ee-conflict"])
    assert screened.exit_code != 0 and "screened out" in screened.output
    unknown = runner.invoke(app, ["rank", str(path), "--explain", "zz-none"])
    assert unknown.exit_code != 0 and "not in the ranking" in unknown.output
