"""Supply options as data: loaded, checked, listed per market by `gridfirst supply`."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from gridfirst.data import market_identities
from gridfirst.data.supply import OPTION_COLUMNS, check_options, market_supply, supply_options
from gridfirst.errors import DataError


def test_every_bundled_market_has_options_and_every_no_names_its_law() -> None:
    table = supply_options()
    assert set(market_identities().index) <= set(table["market_id"])
    no = table[~table["allowed"]]
    assert (no["legal_basis"].str.len() > 10).all()
    nuclear = table[table["kind"].isin({"nuclear_ppa", "new_nuclear"})
                    & table["market_id"].str.startswith("au-")]
    assert not nuclear["allowed"].any() and len(nuclear) >= 5
    sg_wind = table[(table["market_id"] == "sg-singapore") & (table["kind"] == "wind")]
    assert not sg_wind["allowed"].any()


def test_a_bad_row_names_file_line_and_field() -> None:
    row = {c: "" for c in OPTION_COLUMNS}
    row.update(market_id="x", option="o", kind="fusion", contract="on_site", allowed="yes",
               cost_basis="capex", source_id="nope", max_mw="-5")
    frame = pd.DataFrame([row])
    frame["file"], frame["line"] = "options_x.csv", 2
    with pytest.raises(DataError) as info:
        check_options(frame, set())
    text = str(info.value)
    assert "options_x.csv: line 2: kind: 'fusion'" in text
    assert "max_mw: '-5' must be a finite number >= 0" in text
    assert "source_id: 'nope' joins no row" in text


def test_supply_cli_lists_a_market_with_sources() -> None:
    run = subprocess.run([sys.executable, "-m", "gridfirst", "supply", "sg-singapore",
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert rows == json.loads(json.dumps(market_supply("sg-singapore").to_dict(orient="records"),
                                         default=str).replace("NaN", "null"))
    assert all(r["source_publisher"] for r in rows)
    bad = subprocess.run([sys.executable, "-m", "gridfirst", "supply", "sg-singapor"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "did you mean sg-singapore" in bad.stderr
