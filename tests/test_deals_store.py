"""The deals store on SQLite and on a real PostgreSQL server: history, conflicts between
processes, a killed import, row-level import errors and migrations."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import deals_fixtures
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.deals import DealRecord, DealStore, read_csv, read_scenario_deals, to_csv
from gridfirst.deals.importer import to_scenario_fragment
from gridfirst.errors import DataError, DealConflict, StoreError

db_url = deals_fixtures.db_url
postgres_socket_dir = deals_fixtures.postgres_socket_dir
SRC = Path(__file__).resolve().parents[1] / "src"


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def _deal(deal_id: str = "jp-colo", **kw: object) -> DealRecord:
    base: dict[str, object] = dict(id=deal_id, kind="colocation", counterparty="Example Colo KK",
                                   market="jp-tokyo-inzai", capacity_mw=30.0, start_year=2027,
                                   term_years=10, price_usd_per_kw_month=250.0,
                                   take_or_pay_share=0.8, stage="qualified")
    base.update(kw)
    return DealRecord.model_validate(base)


def test_every_change_is_in_the_history(db_url: str) -> None:
    with DealStore(db_url) as store:
        added = store.add(_deal(offer_expiry_date=date(2026, 9, 30), mw_by_year={2027: 10.0,
                                                                                 2028: 30.0},
                                documents=[{"title": "LOI", "uri": "s3://deals/jp/loi.pdf"}]),
                          by="ana", reason="sourced at a conference")
        assert added.version == 1
        store.move("jp-colo", "loi", by="ben", reason="LOI signed")
        moved = store.move("jp-colo", "term_sheet", by="ana", reason="heads agreed",
                           expect_version=2)
        assert (moved.stage, moved.version) == ("term_sheet", 3)
        got = store.get("jp-colo")
        assert got.mw_by_year == {2027: 10.0, 2028: 30.0}
        assert got.documents[0].uri == "s3://deals/jp/loi.pdf"
        assert got.offer_expiry_date == date(2026, 9, 30)
        events = store.history("jp-colo")
    assert [(e["field"], e["from"], e["to"], e["by"]) for e in events] == [
        ("created", None, "qualified", "ana"),
        ("stage", "qualified", "loi", "ben"),
        ("stage", "loi", "term_sheet", "ana"),
    ]
    assert events[1]["reason"] == "LOI signed" and [e["version"] for e in events] == [1, 2, 3]


def test_a_stale_version_is_a_conflict_and_writes_nothing(db_url: str) -> None:
    with DealStore(db_url) as store:
        store.add(_deal(), by="ana")
        store.move("jp-colo", "nda", by="ana")
        with pytest.raises(DealConflict, match="version 2, not 1"):
            store.move("jp-colo", "lost", by="ben", expect_version=1)
        assert store.get("jp-colo").stage == "nda"
        assert len(store.history("jp-colo")) == 2
        with pytest.raises(StoreError, match="did you mean jp-colo"):
            store.move("jp-cola", "nda", by="ana")


def test_two_processes_moving_one_deal_one_wins(db_url: str, tmp_path: Path) -> None:
    with DealStore(db_url) as store:
        store.add(_deal(), by="ana")
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gridfirst", "deals", "move", "jp-colo", stage, "--db", db_url,
             "--by", who, "--reason", f"{who} thinks so"],
            env=_env(GRIDFIRST_DEALS_PAUSE=f"move:{go}"), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        for stage, who in (("loi", "ana"), ("lost", "ben"))
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.ready-*"))) < 2:  # both have read version 1
        assert time.monotonic() < deadline, [p.communicate() for p in procs]
        time.sleep(0.02)
    go.touch()
    results = [(p.wait(timeout=60), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, (_, err) in results if code == 2)
    assert "someone else" in loser and "nothing was written" in loser
    with DealStore(db_url) as store:
        moves = [e for e in store.history("jp-colo") if e["field"] == "stage"]
        final = store.get("jp-colo")
    assert len(moves) == 1
    assert final.stage == moves[0]["to"] and final.version == 2


_CHILD = """
import os, sys, time
from pathlib import Path
from gridfirst.deals import DealStore, read_csv
records = read_csv(Path(sys.argv[2]))
def progress(done, total):
    Path(sys.argv[3]).touch()   # rows are in the database's transaction, not committed
    time.sleep(120)
with DealStore(sys.argv[1]) as store:
    store.import_records(records, by="child", progress=progress)
"""


def test_a_killed_import_leaves_no_rows(db_url: str, tmp_path: Path) -> None:
    rows = [_deal(f"deal-{i:05d}", capacity_mw=1.0 + i % 50) for i in range(1000)]
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text(to_csv(rows), encoding="utf-8")
    ready = tmp_path / "ready"
    with DealStore(db_url) as store:  # schema created before the child starts
        assert store.count() == 0
    child = subprocess.Popen([sys.executable, "-c", _CHILD, db_url, str(csv_file), str(ready)],
                             env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    with DealStore(db_url) as store:
        # The server (or SQLite's journal) rolled the open transaction back.
        assert store.count() == 0
        assert store.history() == []
        counts = store.import_records(rows[:5], by="parent")  # and the store is not locked
        assert counts == {"added": 5, "updated": 0, "unchanged": 0}
        assert store.count() == 5


def test_bad_rows_name_line_and_field_and_write_nothing(db_url: str, tmp_path: Path) -> None:
    good = to_csv([_deal("a-1"), _deal("a-2"), _deal("a-3")]).splitlines()
    header = good[0].split(",")
    bad_mw = good[2].split(",")
    bad_mw[header.index("capacity_mw")] = "lots"
    bad_kind = good[3].split(",")
    bad_kind[header.index("kind")] = "rent"
    path = tmp_path / "pipeline.csv"
    path.write_text("\n".join([good[0], good[1], ",".join(bad_mw), ",".join(bad_kind)]) + "\n")
    with pytest.raises(DataError) as info:
        read_csv(path)
    message = str(info.value)
    assert "pipeline.csv line 3, field capacity_mw: 'lots'" in message
    assert "pipeline.csv line 4, field kind: 'rent'" in message
    assert "line 2" not in message
    with DealStore(db_url) as store:
        # What the CLI does: read everything, then write; nothing reaches the store.
        res = subprocess.run([sys.executable, "-m", "gridfirst", "deals", "import", str(path),
                              "--db", db_url], env=_env(), capture_output=True, text=True)
        assert res.returncode == 2 and "line 3, field capacity_mw" in res.stderr
        assert store.count() == 0


def test_scenario_deals_import_names_the_yaml_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "name: x\n"
        "deals:\n"
        "  - {id: a, kind: ppa, counterparty: W, market: au-sydney, capacity_mw: 50,\n"
        "     start_year: 2028, term_years: 15, price_usd_per_mwh: 65, technology: wind}\n"
        "  - id: b\n"
        "    kind: lease\n"
        "    counterparty: L\n"
        "    market: au-sydney\n"
        "    capacity_mw: -5\n"
        "    start_year: 2028\n"
        "    term_years: 10\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"scenario.yaml line 5 \(deals\[1\]\), field capacity_mw: -5"):
        read_scenario_deals(path)


def test_the_bundled_example_deals_import_and_export_unchanged(tmp_path: Path) -> None:
    import yaml

    from gridfirst.scenario import example_path, load_scenario

    records = read_scenario_deals(example_path())
    fragment = yaml.safe_load(to_scenario_fragment(records))
    assert fragment["deals"] == [d.model_dump(mode="json", exclude_defaults=True)
                                 for d in load_scenario(example_path()).deals]


_records = st.builds(
    _deal,
    deal_id=st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,20}", fullmatch=True),
    capacity_mw=st.floats(min_value=0.001, max_value=5000, allow_nan=False),
    start_year=st.integers(2000, 2100),
    price_usd_per_kw_month=st.none() | st.floats(min_value=0, max_value=1e4, allow_nan=False),
    take_or_pay_share=st.floats(min_value=0, max_value=1),
    stage=st.sampled_from(["prospect", "nda", "loi", "term_sheet", "signed", "lost"]),
    notes=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30),
    mw_by_year=st.dictionaries(st.integers(2000, 2100), st.floats(0, 1e4), max_size=3),
    offer_expiry_date=st.none() | st.dates(date(2020, 1, 1), date(2040, 1, 1)),
)


@settings(max_examples=40, deadline=None)
@given(records=st.lists(_records, max_size=4, unique_by=lambda r: r.id))
def test_csv_export_reads_back_equal(records: list[DealRecord]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        path.write_text(to_csv(records), encoding="utf-8")
        back = read_csv(path)
    # Text that is only blanks is "not given" in a CSV cell.
    expected = [r.model_copy(update={"notes": r.notes.strip()}) for r in records]
    assert [r.model_dump() for r in back] == [r.model_dump() for r in expected]


def _alembic_config(url: str, conn: object) -> object:
    from alembic.config import Config

    from gridfirst.deals.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def test_a_first_revision_database_upgrades_with_its_data(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from gridfirst.deals.store import database_url

    engine = create_engine(database_url(db_url))
    with engine.connect() as conn:
        command.upgrade(_alembic_config(db_url, conn), "0001")
        conn.commit()
        conn.execute(text("INSERT INTO counterparties (name, country, notes) VALUES "
                          "('Example Colo KK', 'JP', '')"))
        conn.execute(text(
            "INSERT INTO deals (id, kind, counterparty_id, market, capacity_mw, start_year, "
            "term_years, price_usd_per_kw_month, take_or_pay_share, stage, notes, terms, "
            "created_at, updated_at, version) VALUES ('jp-colo', 'colocation', 1, "
            "'jp-tokyo-inzai', 30, 2027, 10, 250, 0.8, 'negotiation', 'old', '', "
            "'2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00', 4)"))
        conn.commit()
        assert "deal_mw_by_year" not in __import__("sqlalchemy").inspect(conn).get_table_names()
    engine.dispose()
    with DealStore(db_url) as store:
        assert store.revision == "0003"
        got = store.get("jp-colo")
        assert (got.stage, got.capacity_mw, got.version, got.notes) == ("negotiation", 30.0, 4, "old")
        assert got.close_probability is None and got.mw_by_year == {}
        assert got.counterparty_country == "JP"
        store.move("jp-colo", "signed", by="ana", expect_version=4)


def test_an_unknown_revision_is_refused_clearly(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    from gridfirst.deals.store import database_url

    with DealStore(db_url):
        pass
    engine = create_engine(database_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9f00cafe'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision '9f00cafe' is unknown to this gridfirst"):
        DealStore(db_url)
    res = subprocess.run([sys.executable, "-m", "gridfirst", "deals", "list", "--db", db_url],
                         env=_env(), capture_output=True, text=True)
    assert res.returncode == 2
    assert "'9f00cafe' is unknown" in res.stderr and "Traceback" not in res.stderr


def test_a_foreign_database_is_not_taken_over(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(StoreError, match="not a gridfirst deals database"):
        DealStore(path)


def test_default_store_is_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridfirst.deals import default_url

    monkeypatch.setenv("GRIDFIRST_DATA_DIR", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'deals.sqlite'}"
    with DealStore() as store:
        store.add(_deal(), by="ana")
    assert (tmp_path / "data" / "deals.sqlite").exists()


def test_close_probabilities_rise_with_the_stage_and_carry_a_source() -> None:
    from gridfirst.data import sources
    from gridfirst.deals import STAGES, close_probabilities, stage_table
    from gridfirst.scenario import DealStage

    table = stage_table()
    assert set(table["source_id"]) <= set(sources().index)
    assert tuple(DealStage.__args__) == STAGES  # the scenario and the store share the stages
    probs = close_probabilities()
    open_stages = [s for s in STAGES if s != "lost"]
    assert [probs[s] for s in open_stages] == sorted(probs[s] for s in open_stages)
    assert probs["lost"] == 0.0 and probs["signed"] == 1.0
    assert close_probabilities({"loi": 0.3})["loi"] == 0.3
    with pytest.raises(DataError, match="outside 0..1"):
        close_probabilities({"loi": 1.5})
