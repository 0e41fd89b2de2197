"""Plan jobs run in the background with progress over server-sent events, can be cancelled, keep
their results on disk and survive a restart of the server (running ones become interrupted)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_fixtures import AUTH, make_app, small_yaml

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _wait(client: TestClient, job_id: str, timeout_s: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled", "interrupted"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s} s")


def _events(client: TestClient, job_id: str) -> list[tuple[str, dict]]:
    out = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[6:])))
    return out


def test_a_plan_job_streams_progress_and_keeps_its_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridfirst.outputs import read_manifest

    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    with TestClient(make_app(data)) as c:
        assert c.post("/api/scenarios", json={"name": "small", "yaml": small_yaml()},
                      headers=AUTH).status_code == 201
        r = c.post("/api/jobs", json={"kind": "plan", "scenario": "small"}, headers=AUTH)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        events = _events(c, job_id)
        progress = [e["progress"] for _, e in events]
        assert progress == sorted(progress), "progress never goes back"
        assert events[-1][0] == "end" and events[-1][1]["status"] == "done"
        assert {"procurement", "portfolio"} <= set(events[-1][1]["stages"])
        result = c.get(f"/api/jobs/{job_id}/result").json()
        # the result is the plan's own summary: capacity online serves the demand it plans for
        assert result["scenario"] == "small-plan" and result["status"] in ("optimal", "feasible")
        assert result["online_mw_end"] > 0 and result["chosen_sites"]
        report = c.get(f"/api/jobs/{job_id}/files/report.html")
        assert report.status_code == 200 and "<html" in report.text.lower()
        csv = c.get(f"/api/jobs/{job_id}/files/build_schedule.csv")
        assert csv.status_code == 200 and "year" in csv.text.splitlines()[0]
        assert c.get(f"/api/jobs/{job_id}/files/nothere.csv").status_code == 404
        listed = c.get("/api/jobs").json()
        assert listed[0]["id"] == job_id and listed[0]["status"] == "done"
        # a risk job evaluates the very plan the plan job made (cached procurement, same MILP)
        r = c.post("/api/jobs", json={"kind": "risk", "scenario": "small", "samples": 200},
                   headers=AUTH)
        risk_events = _events(c, r.json()["id"])
        risk_progress = [e["progress"] for _, e in risk_events]
        assert risk_progress == sorted(risk_progress)
        assert risk_events[-1][1]["status"] == "done", risk_events[-1][1]["message"]
        risk = c.get(f"/api/jobs/{r.json()['id']}/result").json()
        assert risk["samples"] == 200 and risk["plan"] == "cost_optimal"
        assert risk["total_cost_usd"] == pytest.approx(result["total_cost_usd"], rel=1e-6)
        rows = {row["candidate"]: row for row in risk["candidates"]}
        assert set(rows) == {"cost_optimal", "buffered", "diversified"}
        for row in rows.values():  # CVaR95 is a tail mean: never below the P90 or the mean
            assert row["cost_cvar95_usd"] >= row["cost_p90_usd"] >= 0
            assert row["cost_cvar95_usd"] >= row["cost_mean_usd"]
    folder = data / "jobs" / job_id / "result"
    assert read_manifest(folder)["files"]
    # a new server over the same folder still has the finished job and its result
    with TestClient(make_app(data)) as again:
        assert again.get(f"/api/jobs/{job_id}").json()["status"] == "done"
        assert again.get(f"/api/jobs/{job_id}/result").json() == result


def test_cancel_stops_a_running_job_and_a_queued_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))
    with TestClient(make_app(tmp_path / "data")) as c:
        c.post("/api/scenarios", json={"name": "small", "yaml": small_yaml()}, headers=AUTH)
        first = c.post("/api/jobs", json={"kind": "plan", "scenario": "small"}, headers=AUTH).json()
        second = c.post("/api/jobs", json={"kind": "plan", "scenario": "small"}, headers=AUTH).json()
        assert c.get(f"/api/jobs/{second['id']}").json()["status"] == "queued"
        assert c.post(f"/api/jobs/{second['id']}/cancel").status_code == 401
        assert c.post(f"/api/jobs/{second['id']}/cancel", headers=AUTH).status_code == 202
        deadline = time.monotonic() + 60
        while c.get(f"/api/jobs/{first['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert c.post(f"/api/jobs/{first['id']}/cancel", headers=AUTH).status_code == 202
        one, two = _wait(c, first["id"]), _wait(c, second["id"])
        assert one["status"] == "cancelled" and "cancelled" in one["message"]
        assert two["status"] == "cancelled" and two["message"] == "cancelled before it started"
        assert c.get(f"/api/jobs/{first['id']}/result").status_code == 409
        assert c.post(f"/api/jobs/{first['id']}/cancel", headers=AUTH).status_code == 409


def test_jobs_running_when_the_server_stopped_come_back_interrupted(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from gridfirst.web.jobs import JOBS

    data = tmp_path / "data"
    with TestClient(make_app(data)):
        pass
    engine = sa.create_engine(f"sqlite:///{data / 'jobs.sqlite'}")
    with engine.begin() as conn:
        for job_id, status in (("aaaa", "running"), ("bbbb", "queued"), ("cccc", "done")):
            conn.execute(JOBS.insert().values(id=job_id, kind="plan", scenario="example",
                                              params="{}", status=status, message="",
                                              created=time.time(), progress=0.5, stage="ranking",
                                              stages="{}"))
    engine.dispose()
    with TestClient(make_app(data)) as c:
        assert c.get("/api/health").json()["interrupted_at_start"] == 2
        states = {j["id"]: j["status"] for j in c.get("/api/jobs").json()}
        assert states == {"aaaa": "interrupted", "bbbb": "interrupted", "cccc": "done"}
        assert "start it again" in c.get("/api/jobs/aaaa").json()["message"]


def test_another_server_worker_streams_and_cancels_a_job(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers of one server (``--server-workers 2``) share the data folder: the one that
    did not start a job sees its progress and can cancel it through the index."""
    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    with TestClient(make_app(data)) as a, TestClient(make_app(data)) as b:
        a.post("/api/scenarios", json={"name": "small", "yaml": small_yaml()}, headers=AUTH)
        job_id = a.post("/api/jobs", json={"kind": "plan", "scenario": "small"},
                        headers=AUTH).json()["id"]
        deadline = time.monotonic() + 60
        while True:
            seen = b.get(f"/api/jobs/{job_id}").json()
            if seen["status"] == "running" and seen["progress"] > 0:
                break
            assert seen["status"] in ("queued", "running") and time.monotonic() < deadline
            time.sleep(0.1)
        assert b.post(f"/api/jobs/{job_id}/cancel", headers=AUTH).status_code == 202
        done = _wait(a, job_id, timeout_s=60)
        assert done["status"] == "cancelled", done
        assert b.get(f"/api/jobs/{job_id}").json()["status"] == "cancelled"
