"""Export-control rules, alliances, threat exposure, residency and FDI review (gridfirst.compliance)."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.compliance import (
    STATUSES,
    TABLE_COLUMNS,
    Rule,
    RuleBook,
    alliance_score,
    compliance_table,
    evaluate,
    export_classification,
    fdi_lead_time_months,
    in_country_scopes,
    residency_rules,
    shared_alliances,
    threat_exposure,
)
from gridfirst.compliance import data as cdata
from gridfirst.compliance.export_controls import STATUS_RANK
from gridfirst.data import market_identities
from gridfirst.errors import DataError, ScenarioError

GB200 = ["gb200-nvl72"]
H100 = ["h100-sxm"]
LATE_2026 = dt.date(2026, 12, 1)
OUR_COUNTRIES = "AU JP SG MY KR IN ID TW HK NZ PH TH VN US IE DE NL GB SE NO FI AE SA".split()


# --- export rules: the US advanced-computing controls --------------------------------------------


@pytest.mark.parametrize("country", ["CN", "HK", "MO"])
@pytest.mark.parametrize("accelerators", [GB200, H100])
def test_china_hong_kong_macau_presumption_of_denial_for_us_buyer(country, accelerators):
    # 2025: before the 2026 H200-class relaxation, both accelerators face a presumption of denial
    decision = evaluate("US", accelerators, country, dt.date(2025, 9, 1))
    assert decision.status == "presumption_of_denial"
    assert decision.rule_id.startswith("US-BIS-")
    assert decision.citation and decision.source_id and decision.effective is not None
    assert decision.denial_probability > 0.5


def test_hong_kong_is_china_since_2020():
    rules = RuleBook.bundled()
    assert rules.member("HK", "EAR-CN", dt.date(2021, 1, 1))
    assert not rules.member("HK", "EAR-CN", dt.date(2020, 12, 1))
    assert evaluate("US", GB200, "HK", LATE_2026).status == "presumption_of_denial"


def test_blackwell_stays_denied_in_china_while_h100_class_becomes_case_by_case_in_2026():
    assert evaluate("US", GB200, "CN", LATE_2026).status == "presumption_of_denial"
    h100 = evaluate("US", H100, "CN", LATE_2026)
    assert h100.status == "licence_required"
    assert h100.rule_id == "US-BIS-2026-CN-H200"
    # the most restrictive accelerator of the fleet decides
    assert evaluate("US", H100 + GB200, "CN", LATE_2026).status == "presumption_of_denial"


def test_vietnam_needs_a_licence_and_is_allowed_when_the_licence_is_held():
    decision = evaluate("US", GB200, "VN", LATE_2026)
    assert decision.status == "licence_required"
    assert decision.rule_id == "US-BIS-2023-D1D4"
    assert decision.licence_lead_time_months > 0
    assert 0 < decision.denial_probability < 0.5  # a licence, not a denial
    for held in (["US-BIS-2023-D1D4"], ["US-BIS-2023-D1D4@VN"]):
        licensed = evaluate("US", GB200, "VN", LATE_2026, licences_held=held)
        assert licensed.status == "allowed"
        assert licensed.licence_held and licensed.rule_id == "US-BIS-2023-D1D4"
        assert licensed.licence_lead_time_months == 0 and licensed.denial_probability == 0
    # a licence for another country does not cover Vietnam
    elsewhere = evaluate("US", GB200, "VN", LATE_2026, licences_held=["US-BIS-2023-D1D4@AE"])
    assert elsewhere.status == "licence_required"


def test_rule_does_not_apply_before_its_effective_date():
    # Vietnam's licence requirement took effect on 17 Nov 2023 (AC/S IFR, 88 FR 73458)
    assert evaluate("US", GB200, "VN", dt.date(2023, 11, 16)).status == "allowed"
    assert evaluate("US", GB200, "VN", dt.date(2023, 11, 17)).status == "licence_required"
    # no advanced-computing rule before 7 Oct 2022, even for China
    assert evaluate("US", GB200, "CN", dt.date(2022, 10, 6)).status == "allowed"
    assert evaluate("US", GB200, "CN", dt.date(2022, 10, 7)).status == "presumption_of_denial"


def test_diffusion_rule_applies_only_between_its_effective_date_and_rescission():
    def status(day):
        return evaluate("US", GB200, "MY", day)

    assert status(dt.date(2025, 1, 12)).status == "allowed"
    during = status(dt.date(2025, 3, 1))
    assert during.status == "licence_required" and during.rule_id == "US-BIS-2025-DIFFUSION"
    assert status(dt.date(2025, 5, 13)).status == "allowed"
    # Tier 1 countries never needed a licence under it
    assert evaluate("US", GB200, "JP", dt.date(2025, 3, 1)).status == "allowed"


def test_malaysia_permit_is_named_but_does_not_block_deployment():
    decision = evaluate("US", GB200, "MY", LATE_2026)
    assert decision.status == "allowed"
    assert decision.rule_id == "MY-MITI-2025-STP"
    assert evaluate("US", GB200, "MY", dt.date(2025, 7, 13)).rule_id == ""


def test_buyer_headquartered_in_china_needs_a_licence_anywhere_outside_the_us():
    assert evaluate("CN", GB200, "JP", LATE_2026).status == "presumption_of_denial"
    assert evaluate("CN", GB200, "US", LATE_2026).status == "allowed"
    assert evaluate("US", GB200, "JP", LATE_2026).status == "allowed"


def test_us_buyer_of_gb200_late_2026_statuses_over_our_countries():
    table = compliance_table(market_identities(), "US", GB200, LATE_2026)
    assert list(table.columns) == TABLE_COLUMNS
    by_country = table.groupby("country")["status"].agg(set)
    assert all(len(s) == 1 for s in by_country)  # one decision per country
    status = {c: next(iter(s)) for c, s in by_country.items()}
    assert set(status) == set(OUR_COUNTRIES)
    assert status["HK"] == "presumption_of_denial"
    assert {c for c, s in status.items() if s == "licence_required"} == {"VN", "AE", "SA"}
    assert not any(s == "prohibited" for s in status.values())
    hk = table[table["country"] == "HK"].iloc[0]
    assert hk["rule"] and hk["source_id"] and hk["effective"]


def test_held_licence_clears_presumption_but_nothing_clears_a_prohibition():
    book = RuleBook.bundled()
    cleared = book.evaluate("US", GB200, "HK", LATE_2026, ["US-BIS-2022-CN", "US-BIS-2023-D5"])
    assert cleared.status == "allowed" and cleared.licence_held
    banned = book.with_rule(
        Rule(
            "TEST-BAN",
            "US-BIS",
            ("any",),
            "advanced_computing",
            ("VN",),
            (),
            "prohibited",
            "",
            0.0,
            1.0,
            dt.date(2024, 1, 1),
            None,
            (),
            "test",
            "cx-fr-2023-73458",
        )
    )
    decision = banned.evaluate("US", GB200, "VN", LATE_2026, ["TEST-BAN", "US-BIS-2023-D1D4"])
    assert decision.status == "prohibited" and decision.rule_id == "TEST-BAN"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"buyer_jurisdiction": "USA"}, "buyer jurisdiction"),
        ({"country": "XX"}, "country"),
        ({"accelerator_ids": ["tpu-v9"]}, "accelerator_ids"),
        ({"licences_held": ["NOT-A-RULE"]}, "licences_held"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    args = {
        "buyer_jurisdiction": "US",
        "accelerator_ids": GB200,
        "country": "VN",
        "as_of": LATE_2026,
    }
    args.update(kwargs)
    with pytest.raises(ScenarioError, match=field):
        evaluate(**args)


# --- the rule data ----------------------------------------------------------------------------------


def test_every_rule_row_has_a_source_an_effective_date_and_a_citation():
    raw = pd.read_csv(
        cdata.compliance_data_dir() / "export_rules.csv", dtype=str, keep_default_na=False
    )
    sources = cdata.compliance_sources()
    for _, row in raw.iterrows():
        assert row["source_id"] in sources.index, row["rule_id"]
        assert dt.date.fromisoformat(row["effective"]), row["rule_id"]
        assert row["citation"], row["rule_id"]
        assert row["status"] in STATUSES
    rules = cdata.export_rules()
    assert (rules["effective"] <= LATE_2026).all()


def test_every_table_joins_its_sources_and_assumptions_carry_reasoning():
    sources = cdata.compliance_sources()
    for loader in (
        cdata.country_groups,
        cdata.item_classes,
        cdata.alliances,
        cdata.flashpoints,
        cdata.data_residency,
        cdata.fdi_review,
    ):
        assert set(loader()["source_id"]) <= set(sources.index)
    assumptions = sources[sources["kind"] == "assumption"]
    assert (assumptions["reasoning"].str.len() > 40).all()
    assert (sources.loc[sources["kind"] == "source", "url"].str.startswith("http")).all()


def test_item_classes_cover_the_bundled_accelerators():
    import yaml

    from gridfirst.data import data_dir

    accelerators = yaml.safe_load((data_dir() / "accelerators.yaml").read_text())["accelerators"]
    classes = cdata.item_classes()
    assert set(classes["accelerator_id"]) == set(accelerators)
    assert set(classes["eccn"]) <= {"3A090.a", "4A090.a"}
    assert export_classification("gb200-nvl72")[0] == "4A090.a"
    assert "tpp_below_21000" in export_classification("h100-sxm")[1]
    assert "tpp_below_21000" not in export_classification("gb200-nvl72")[1]
    with pytest.raises(ScenarioError, match="no export classification"):
        export_classification("mi300x")


def _copy_rules(tmp_path):
    target = tmp_path / "export_rules.csv"
    shutil.copy(cdata.compliance_data_dir() / "export_rules.csv", target)
    return target


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("effective", "", "field effective"),
        ("effective", "17/11/2023", "field effective"),
        ("status", "forbidden", "field status"),
        ("destination", "XX", "field destination"),
        ("applies_to_jurisdiction", "ZZ;US", "field applies_to_jurisdiction"),
        ("source_id", "", "field source_id"),
        ("denial_probability", "1.5", "field denial_probability"),
    ],
)
def test_bad_rule_file_names_file_line_and_field(tmp_path, column, bad, message):
    path = _copy_rules(tmp_path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[3, column] = bad
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=f"export_rules.csv: line 5, {message}"):
        cdata.load_export_rules(path)


def test_rule_file_missing_a_column_is_refused(tmp_path):
    path = _copy_rules(tmp_path)
    pd.read_csv(path, dtype=str).drop(columns=["effective"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"export_rules.csv: missing column\(s\) \['effective'\]"):
        cdata.load_export_rules(path)


# --- the most-restrictive-wins invariant -----------------------------------------------------------

_dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2028, 12, 31))


@st.composite
def _extra_rule(draw):
    effective = draw(_dates)
    lasts = draw(st.booleans())
    superseded = effective + dt.timedelta(days=draw(st.integers(1, 2000))) if lasts else None
    return Rule(
        rule_id="TEST-EXTRA",
        authority="TEST",
        applies_to=(draw(st.sampled_from(["any", "US", "D:5"])),),
        item_class=draw(
            st.sampled_from(["advanced_computing", "tpp_below_21000", "us_origin_ai_chips"])
        ),
        destination=(draw(st.sampled_from(["any", "D:1", "A:5", "EAR-CN", *OUR_COUNTRIES])),),
        destination_except=(),
        status=draw(st.sampled_from(STATUSES)),
        licence_policy="",
        licence_lead_time_months=draw(st.floats(0, 24)),
        denial_probability=draw(st.floats(0, 1)),
        effective=effective,
        superseded=superseded,
        replaces=(),
        citation="test",
        source_id="cx-assume-denial",
    )


@settings(max_examples=200, deadline=None)
@given(
    rule=_extra_rule(),
    country=st.sampled_from([*OUR_COUNTRIES, "CN", "MO"]),
    buyer=st.sampled_from(["US", "CN", "JP"]),
    accelerators=st.sampled_from([GB200, H100, GB200 + H100]),
    as_of=_dates,
    held=st.sampled_from([[], ["US-BIS-2023-D1D4"], ["US-BIS-2022-CN@HK"]]),
)
def test_adding_a_rule_never_makes_a_decision_less_restrictive(
    rule, country, buyer, accelerators, as_of, held
):
    book = RuleBook.bundled()
    before = book.evaluate(buyer, accelerators, country, as_of, held)
    after = book.with_rule(rule).evaluate(buyer, accelerators, country, as_of, held)
    assert STATUS_RANK[after.status] >= STATUS_RANK[before.status]
    if rule.in_force(as_of) and STATUS_RANK[rule.status] > STATUS_RANK[before.status]:
        applies = (
            any(rule.item_class in book.item_classes[a] for a in accelerators)
            and book.member(country, rule.destination[0], as_of)
            and book.member(buyer, rule.applies_to[0], as_of)
        )
        if applies:
            assert after.status == rule.status


# --- threat exposure, alliances, residency, FDI ----------------------------------------------------


def test_taipei_threat_exposure_is_at_least_ohios():
    markets = market_identities()
    taipei = threat_exposure(*markets.loc["tw-taipei", ["latitude", "longitude"]])
    ohio = threat_exposure(*markets.loc["us-ohio", ["latitude", "longitude"]])
    assert taipei >= ohio
    assert taipei > 1.0 and ohio < 0.01  # Taipei is ~200 km from the Taiwan Strait


def test_threat_exposure_falls_with_distance_from_a_flashpoint():
    near = threat_exposure(24.6, 119.6)
    mid = threat_exposure(24.6, 123.0)
    far = threat_exposure(-33.9, 151.2)  # Sydney
    assert near > mid > far >= 0.0
    with pytest.raises(ScenarioError, match="latitude"):
        threat_exposure(95.0, 0.0)


def test_alliance_score():
    assert alliance_score("US", "US") == 1.0
    assert alliance_score("AU", "US") == 1.0  # treaty, Five Eyes, AUKUS, Quad
    assert 0 < alliance_score("JP", "US") < alliance_score("GB", "US")
    assert alliance_score("VN", "US") == 0.0
    # US treaty allies are allied to the US, not to each other through it
    assert "us_mutual_defence" not in shared_alliances("KR", "JP")
    assert alliance_score("SE", "US", year=2023) < alliance_score("SE", "US", year=2024)


def test_residency_rules_cite_laws_in_force():
    assert in_country_scopes("ID") == ["public_sector"]
    assert "public_sector" in in_country_scopes("AU")
    korea = residency_rules("KR")
    assert korea["citation"].str.contains("PIPA").all()
    assert residency_rules("IN", as_of=dt.date(2026, 1, 1))["law"].str.contains("RBI").all()
    assert len(residency_rules("IN")) == 2


def test_fdi_lead_time():
    assert fdi_lead_time_months("AU", "US") > 0
    assert fdi_lead_time_months("JP", "US") >= 1
    assert fdi_lead_time_months("US", "US") == 0.0
    # CFIUS, the NSIA and Korea's FIPA review acquisitions, not new builds
    assert fdi_lead_time_months("US", "JP") == 0.0
    assert fdi_lead_time_months("US", "JP", acquisition=True) == 3.0
    assert fdi_lead_time_months("GB", "US") == 0.0 < fdi_lead_time_months("GB", "US", True)
    assert fdi_lead_time_months("KR", "US", acquisition=True) > fdi_lead_time_months("KR", "US")
    assert fdi_lead_time_months("IN", "US") == 0.0
    assert fdi_lead_time_months("IN", "CN") > 0


def test_compliance_table_takes_a_market_id_column_and_names_bad_countries():
    markets = pd.DataFrame({"market_id": ["a", "b", "c"], "country": ["VN", "VN", "JP"]})
    table = compliance_table(markets, "US", GB200, LATE_2026, licences_held=["US-BIS-2023-D1D4"])
    assert table["status"].tolist() == ["allowed", "allowed", "allowed"]
    assert table["licence_held"].tolist() == [True, True, False]
    bad = pd.DataFrame({"market_id": ["x"], "country": ["Hong Kong"]})
    with pytest.raises(ScenarioError, match="market 'x', country"):
        compliance_table(bad, "US", GB200, LATE_2026)
    with pytest.raises(DataError, match="missing column"):
        compliance_table(pd.DataFrame({"market_id": ["x"]}), "US", GB200, LATE_2026)
