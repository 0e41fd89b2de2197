"""Background jobs of the web app (plan, risk, sensitivity, deal scores, electrical Monte Carlo): queued on threads that run the library's own
functions on the shared executor, with progress, cancel, results on disk and a SQLite index.

A job's results live in ``<data dir>/jobs/<id>/`` (a plan's output folder is written whole by
:func:`gridfirst.outputs.write_plan`); ``jobs.sqlite`` indexes every job, so a restarted server
lists what finished and marks what was queued or running as ``interrupted``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gridfirst.errors import GridfirstError, RunCancelled
from gridfirst.records import json_safe
from gridfirst.web.config import WebConfig
from gridfirst.web.electrical import ElectricalRequest, electrical_design
from gridfirst.web.security import WebError, check_name

KINDS = ("plan", "risk", "sensitivity", "deals_score", "electrical")
#: States a job ends in; ``queued`` and ``running`` are the others.
FINAL = ("done", "failed", "cancelled", "interrupted")

_META = sa.MetaData()
JOBS = sa.Table(
    "jobs", _META,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("scenario", sa.String(64), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("started", sa.Float),
    sa.Column("finished", sa.Float),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("stage", sa.String(32), nullable=False, default=""),
    sa.Column("stages", sa.Text, nullable=False, default="{}"),
    # the server process running the job, and a cancel asked of it by another server process
    sa.Column("owner_pid", sa.Integer),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
)
#: How often a running job writes its progress to the index and looks for a cancel there [s]
#: (what another server worker streams and how soon it can stop the job).
PROGRESS_SAVE_SECONDS = 0.5

#: Share of a plan's run time per stage (measured on the example: procurement dominates), so
#: the overall fraction moves evenly.
PLAN_STAGE_SHARES = {"latency": 0.05, "ranking": 0.1, "procurement": 0.55, "portfolio": 0.15,
                     "risk": 0.1, "report": 0.05}

#: A risk job's candidate plans by default (as ``gridfirst risk``), and the share of its run time
#: spent resolving the scenario (procurement of every site) before the candidates are evaluated.
RISK_CANDIDATES = ("cost_optimal", "buffered", "diversified")
RISK_RESOLVE_SHARE = 0.5
#: Share of a sensitivity job's run time spent resolving the scenario before the re-solves.
SENSITIVITY_STAGE_SHARES = {"resolve": 0.5, "tornado": 0.5}
#: The result file of each kind in its job folder.
RESULT_FILES = {"plan": "result/plan.json", "risk": "risk.json",
                "sensitivity": "sensitivity.json", "electrical": "electrical.json",
                "deals_score": "deals_score.json"}


def electrical_request(params: dict[str, Any]) -> ElectricalRequest:
    """The design of an electrical job: ``params["electrical"]`` with a ``monte_carlo_seed``."""
    given = params.get("electrical")
    if not isinstance(given, dict) or given.get("monte_carlo_seed") is None:
        raise WebError(400, "electrical: give the design with its monte_carlo_seed, e.g. "
                       '{"kind": "electrical", "electrical": {"market": "sg-singapore", '
                       '"monte_carlo_seed": 0}}')
    return ElectricalRequest.model_validate(given)


def score_deals(scenario: Any, deals_db: Path, cache: bool,
                probabilities: dict[str, float] | None) -> dict[str, Any]:
    """``gridfirst deals score --format json`` (:func:`gridfirst.planning.deal_score.score_deals`)."""
    from gridfirst.planning.deal_score import score_deals as score

    return score(scenario, deals_db, probabilities, cache=cache)


def sensitivity_swings(params: dict[str, Any]) -> list[Any]:
    """The swings of a sensitivity job (as ``gridfirst sensitivity --swing --only``): the
    default ranges with ``params["swings"]`` (``name=low:high``) laid over them, only
    ``params["only"]`` when given.

    Raises
    ------
    ScenarioError
        A swing that does not parse or an unknown name in ``only``.
    """
    from gridfirst.errors import ScenarioError
    from gridfirst.planning.sensitivity import SWINGS, parse_swing

    swings = {s.assumption: s for s in SWINGS}
    for text in params.get("swings") or []:
        given = parse_swing(text)
        swings[given.assumption] = given
    only = params.get("only")
    if only is not None:
        unknown = [n for n in only if n not in swings]
        if unknown or not only:
            raise ScenarioError(f"only: {unknown[:3]} not among the assumptions {sorted(swings)}")
        swings = {n: swings[n] for n in only}
    return list(swings.values())


@dataclass
class Job:
    """One job's state as the API shows it."""

    id: str
    kind: str
    scenario: str
    params: dict[str, Any]
    status: str
    message: str = ""
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    progress: float = 0.0
    stage: str = ""
    stages: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "scenario": self.scenario,
                "params": self.params, "status": self.status, "message": self.message,
                "created": self.created, "started": self.started, "finished": self.finished,
                "progress": round(self.progress, 4), "stage": self.stage,
                "stages": {k: list(v) for k, v in self.stages.items()}}


class JobManager:
    """Runs and indexes the jobs of one data folder.

    Parameters
    ----------
    config : WebConfig
    load : callable
        ``load(scenario_name) -> Scenario`` (the app's scenario store).
    """

    def __init__(self, config: WebConfig, load: Callable[[str], Any]) -> None:
        self.config = config
        self.load = load
        config.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(f"sqlite:///{config.jobs_db}",
                                       connect_args={"check_same_thread": False})
        _META.create_all(self.engine)
        self._lock = threading.Lock()
        self._live: dict[str, Job] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.interrupted = self._mark_interrupted()

    def _mark_interrupted(self) -> int:
        """Jobs left queued or running by a server process that is gone cannot resume: mark them
        interrupted (jobs of another live worker of this server are left alone)."""
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(JOBS.c.id, JOBS.c.owner_pid).where(
                JOBS.c.status.in_(("queued", "running")))).all()
            gone = [r.id for r in rows if not _alive(r.owner_pid)]
            if gone:
                conn.execute(JOBS.update().where(JOBS.c.id.in_(gone)).values(
                    status="interrupted", finished=time.time(),
                    message="the server stopped before this job finished; start it again"))
            return len(gone)

    def close(self) -> None:
        """Cancel running jobs and wait for their threads (server shutdown)."""
        for event in list(self._cancel.values()):
            event.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- queries ---------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        check_name(job_id, "job")
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                return live
        with self.engine.connect() as conn:
            row = conn.execute(JOBS.select().where(JOBS.c.id == job_id)).mappings().first()
        if row is None:
            raise WebError(404, f"job {job_id!r} does not exist")
        return _job(row)

    def list(self, limit: int = 100) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(JOBS.select().order_by(JOBS.c.created.desc()).limit(limit)
                                ).mappings().all()
        jobs = [_job(r) for r in rows]
        with self._lock:
            return [self._live.get(j.id, j) for j in jobs]

    def folder(self, job_id: str) -> Path:
        check_name(job_id, "job")
        return self.config.jobs_dir / job_id

    def result(self, job_id: str) -> dict[str, Any]:
        """The job's result JSON (a plan's ``plan.json``, a risk run's ``risk.json``)."""
        job = self.get(job_id)
        if job.status != "done":
            raise WebError(409, f"job {job_id} is {job.status}; its result exists once it is done")
        name = RESULT_FILES[job.kind]
        file = self.folder(job_id) / name
        if not file.is_file():
            raise WebError(404, f"job {job_id}: {name} is missing from its folder")
        data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        return data

    # -- commands --------------------------------------------------------------------------
    def submit(self, kind: str, scenario: str, params: dict[str, Any]) -> Job:
        """Queue a job; the scenario is loaded now so that a bad one fails the request."""
        if kind not in KINDS:
            raise WebError(400, f"kind: {kind!r} is not one of {list(KINDS)}")
        self.load(scenario)
        if kind == "sensitivity":
            sensitivity_swings(params)
        if kind == "electrical":
            electrical_request(params)
        if kind == "deals_score":
            from gridfirst.deals import close_probabilities

            close_probabilities(params.get("probabilities"))
        job = Job(id=uuid.uuid4().hex[:16], kind=kind, scenario=scenario, params=params,
                  status="queued", created=time.time())
        with self.engine.begin() as conn:
            conn.execute(JOBS.insert().values(
                id=job.id, kind=kind, scenario=scenario, params=json.dumps(params),
                status="queued", message="", created=job.created, progress=0.0, stage="",
                stages="{}", owner_pid=os.getpid(), cancel_requested=False))
        with self._lock:
            self._live[job.id] = job
            self._cancel[job.id] = threading.Event()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=max(1, self.config.job_threads),
                                                thread_name_prefix="gridfirst-job")
            self._pool.submit(self._run, job)
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status in FINAL:
            raise WebError(409, f"job {job_id} is already {job.status}")
        event = self._cancel.get(job_id)
        if event is not None:
            event.set()
        else:  # another worker process of this server runs it: ask through the index
            with self.engine.begin() as conn:
                conn.execute(JOBS.update().where(JOBS.c.id == job_id)
                             .values(cancel_requested=True))
        return job

    # -- running ---------------------------------------------------------------------------
    def _run(self, job: Job) -> None:
        event = self._cancel[job.id]
        if event.is_set():
            self._finish(job, "cancelled", "cancelled before it started")
            return
        job.status, job.started = "running", time.time()
        if self._save(job):
            self._finish(job, "cancelled", "cancelled before it started")
            return
        folder = self.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)

        saved = [time.monotonic()]

        def progress(stage: str, done: float, total: float) -> None:
            if event.is_set():
                raise RunCancelled(f"cancelled during {stage}")
            job.stage = stage
            fraction = 1.0 if total == 0 else min(1.0, max(0.0, done / total))
            job.stages[stage] = [float(done), float(total)]
            job.progress = self._overall(job, stage, fraction)
            if time.monotonic() - saved[0] >= PROGRESS_SAVE_SECONDS:
                saved[0] = time.monotonic()
                if self._save(job):
                    event.set()
                    raise RunCancelled(f"cancelled during {stage}")

        try:
            scenario = self.load(job.scenario)
            if job.kind == "plan":
                self._plan(job, scenario, folder, progress)
            elif job.kind == "sensitivity":
                self._sensitivity(scenario, folder, job.params, progress)
            elif job.kind == "deals_score":
                progress("score", 0, 1)
                payload = score_deals(scenario, self.config.deals_db, self.config.cache,
                                      job.params.get("probabilities"))
                write_whole(folder / "deals_score.json",
                            json.dumps(json_safe(payload), indent=2, default=str))
                progress("score", 1, 1)
            elif job.kind == "electrical":
                progress("design", 0, 1)
                result = electrical_design(self.config.data_dir, self.load,
                                           electrical_request(job.params))
                write_whole(folder / "electrical.json", json.dumps(result, indent=2))
                progress("design", 1, 1)
            else:
                self._risk(job, scenario, folder, progress)
        except RunCancelled as exc:
            self._finish(job, "cancelled", str(exc))
        except GridfirstError as exc:
            self._finish(job, "failed", str(exc).split("\n")[0][:500])
        except Exception as exc:  # a bug: one line, no traceback to the client
            self._finish(job, "failed", f"internal error ({type(exc).__name__}: {str(exc)[:200]})")
        else:
            job.progress = 1.0
            self._finish(job, "done", "")

    def _overall(self, job: Job, stage: str, fraction: float) -> float:
        if job.kind == "plan":
            shares = PLAN_STAGE_SHARES
        elif job.kind == "sensitivity":
            shares = SENSITIVITY_STAGE_SHARES
        elif job.kind == "electrical":
            shares = {"design": 1.0}
        elif job.kind == "deals_score":
            shares = {"score": 1.0}
        else:
            names = list(job.params.get("candidates") or RISK_CANDIDATES)
            shares = {"resolve": RISK_RESOLVE_SHARE,
                      **{n: (1 - RISK_RESOLVE_SHARE) / len(names) for n in names}}
        before = 0.0
        for name, share in shares.items():
            if name == stage:
                return min(1.0, before + share * fraction)
            before += share
        return job.progress

    def _plan(self, job: Job, scenario: Any, folder: Path,
              progress: Callable[[str, float, float], None]) -> None:
        from gridfirst.outputs import write_plan
        from gridfirst.planning import plan

        p = job.params
        result = plan(scenario, risk_samples=int(p.get("risk_samples", 0)),
                      executor=self.config.executor, workers=self.config.workers,
                      cache=self.config.cache, seed=p.get("seed"), progress=progress)
        progress("report", 0, 1)
        write_plan(result, folder / "result")
        progress("report", 1, 1)

    def _risk(self, job: Job, scenario: Any, folder: Path,
              progress: Callable[[str, float, float], None]) -> None:
        from gridfirst.planning import decide, resolve_for_plan
        from gridfirst.risk.robust import compare_plans

        p = job.params
        names = tuple(p.get("candidates") or RISK_CANDIDATES)
        samples = int(p.get("samples", 1000))
        executor = self.config.executor if self.config.executor != "auto" else "serial"
        progress("resolve", 0, 1)
        resolved = resolve_for_plan(scenario, cache=self.config.cache)
        progress("resolve", 1, 1)
        _, cost_optimal = decide(resolved)
        result = compare_plans(resolved, samples=samples, seed=int(p.get("seed", 1)),
                               candidates=names, executor=executor, workers=self.config.workers,
                               progress=lambda name, done, total: progress(name, done, total),
                               cost_optimal=cost_optimal)
        first = result.candidates[names[0]]
        payload = {"scenario": scenario.name, "samples": samples, "seed": int(p.get("seed", 1)),
                   "candidates": result.table.to_dict(orient="records"), "plan": names[0],
                   "total_cost_usd": float(first.plan.total_cost_usd),
                   "builds": first.plan.builds.to_dict(orient="records"),
                   **first.risk.to_dict()}
        write_whole(folder / "risk.json", json.dumps(json_safe(payload), indent=2, default=str))

    def _sensitivity(self, scenario: Any, folder: Path, params: dict[str, Any],
                     progress: Callable[[str, float, float], None]) -> None:
        from gridfirst.planning import resolve_for_plan
        from gridfirst.planning.sensitivity import tornado

        swings = sensitivity_swings(params)
        progress("resolve", 0, 1)
        resolved = resolve_for_plan(scenario, cache=self.config.cache)
        progress("resolve", 1, 1)
        result = tornado(resolved, swings,
                         progress=lambda done, total: progress("tornado", done, total))
        payload = {"scenario": scenario.name, "base_cost_usd": result.base_cost_usd,
                   "base_cash_cost_usd": result.base_cash_cost_usd, "year": result.year,
                   "base_mw_by_country": result.base_mw_by_country,
                   "assumptions": result.records()}
        write_whole(folder / "sensitivity.json",
                    json.dumps(json_safe(payload), indent=2, default=str))

    def _finish(self, job: Job, status: str, message: str) -> None:
        job.status, job.message, job.finished = status, message, time.time()
        self._save(job)
        with self._lock:
            self._live.pop(job.id, None)
            self._cancel.pop(job.id, None)

    def _save(self, job: Job) -> bool:
        """Write the job's state to the index; whether a cancel was asked there."""
        with self.engine.begin() as conn:
            conn.execute(JOBS.update().where(JOBS.c.id == job.id).values(
                status=job.status, message=job.message, started=job.started,
                finished=job.finished, progress=job.progress, stage=job.stage,
                stages=json.dumps(job.stages)))
            asked = conn.execute(sa.select(JOBS.c.cancel_requested).where(JOBS.c.id == job.id)
                                 ).scalar()
        return bool(asked)


def _alive(pid: int | None) -> bool:
    """Whether a server process that owned a job still runs (never this one: a new manager
    owns nothing yet, so a recycled id of this process is a previous run's)."""
    if pid is None or pid == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_whole(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _job(row: Any) -> Job:
    return Job(id=row["id"], kind=row["kind"], scenario=row["scenario"],
               params=json.loads(row["params"] or "{}"), status=row["status"],
               message=row["message"] or "", created=row["created"], started=row["started"],
               finished=row["finished"], progress=row["progress"] or 0.0, stage=row["stage"] or "",
               stages=json.loads(row["stages"] or "{}"))
