"""The FastAPI app: every CLI capability as JSON, background jobs and the offline browser UI.

Each endpoint parses its request, calls the library function the matching CLI command calls and
returns its result as JSON; no model is re-implemented here. Errors are JSON ``{"error": ...}``
with the status code of :class:`~gridfirst.web.security.WebError` (400 for bad input named by
the library's own one-line message), never a traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

import gridfirst
from gridfirst.errors import GridfirstError
from gridfirst.records import json_safe
from gridfirst.web.config import DEFAULT_MAX_UPLOAD_BYTES, WebConfig
from gridfirst.web.deals import DealStoreHolder, install_deals
from gridfirst.web.electrical import ElectricalRequest, electrical_design
from gridfirst.web.jobs import FINAL, JobManager
from gridfirst.web.scenarios import EXAMPLE, ScenarioStore, summary
from gridfirst.web.security import (
    BodyLimit,
    RateLimiter,
    WebError,
    check_token,
    encoded,
    inside,
)

#: Status codes every endpoint may answer besides its success, with their JSON error body.
_ERRORS = {400: "bad input", 401: "token missing or wrong", 404: "not found", 409: "conflict",
           413: "body too large", 429: "too many job starts"}
#: Rank, latency and procurement answers kept per server (same request, same answer).
CACHE_ENTRIES = 256

_bearer = HTTPBearer(auto_error=False, description="GRIDFIRST_TOKEN or the token printed at start-up")


class ErrorBody(BaseModel):
    """Every error: one line naming what to fix (``problems``: one line per scenario problem)."""

    error: str
    problems: list[str] | None = None


class ScenarioUpload(BaseModel):
    name: str = Field(description="Name to store it under: lowercase letters, digits, '-', '_'.",
                      examples=["my-plan"])
    yaml: str = Field(description="The scenario file's YAML text.")


class RankRequest(BaseModel):
    scenario: str = EXAMPLE
    profile: Literal["training", "inference"] = "training"
    method: Literal["topsis", "wsum"] = "topsis"
    normalisation: Literal["vector", "minmax"] = "vector"
    weights: dict[str, float] | None = Field(
        None, description="Criterion weights laid over the profile's and the scenario's.")
    samples: int = Field(300, ge=0, le=5000, description="Dirichlet weight samples (0: none).")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    top_k: int = Field(3, ge=1, le=50)
    concentration: float = Field(100.0, gt=0, le=1e6)
    top: int = Field(50, ge=1, le=500, description="Markets returned with their explanations.")
    network: bool = True
    explain: str | None = Field(None, max_length=100, description="Also explain this market in "
                                "full: every criterion's contribution and the single-weight "
                                "changes that swap it with both neighbours (rank --explain).")


class ProcureRequest(BaseModel):
    scenario: str = EXAMPLE
    site: str = Field(description="Site or market id of the scenario, e.g. sg-singapore.")
    cfe_target: float | None = Field(None, ge=0, le=1, description="Default: policy.cfe_target.")
    load_mw: float = Field(100.0, gt=0, le=100_000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    method: Literal["fast", "highs"] = "fast"
    supply: Literal["market", "reference"] = "market"
    year: int | None = Field(None, ge=2000, le=2100, description="Options available by this year.")
    dispatch_hours: int = Field(168, ge=0, le=8784, description="Hours of dispatch returned.")


GrowthModel = Literal["exponential", "logistic", "gompertz"]
GROWTH_MODELS: tuple[GrowthModel, ...] = ("exponential", "logistic", "gompertz")


class DemandRequest(BaseModel):
    csv: str = Field(description="CSV text with a date column and a value column.")
    quantity: str = Field(description="tokens_per_day, tokens_per_month, requests_per_day, "
                          "weekly_active_users, revenue_usd_per_year, accelerators or "
                          "training_flop_per_year.")
    column: str | None = Field(None, max_length=100)
    date_column: str = Field("date", max_length=100)
    models: list[GrowthModel] = Field(
        default_factory=lambda: list(GROWTH_MODELS), min_length=1)
    criterion: Literal["aic", "aicc", "bic"] = "aic"
    start_year: int | None = Field(None, ge=2000, le=2100)
    end_year: int | None = Field(None, ge=2000, le=2100)
    accelerator: str = Field("h100-sxm", max_length=100)
    served_share: float = Field(1.0, gt=0, le=1)
    samples: int = Field(200, ge=0, le=2000, description="Bootstrap resamples (0: no band).")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    level: float = Field(0.8, gt=0, lt=1)
    scenario: str | None = Field(None, description="Split the MW over this scenario's regions.")


class JobRequest(BaseModel):
    kind: Literal["plan", "risk", "sensitivity", "deals_score", "electrical"]
    scenario: str = EXAMPLE
    risk_samples: int = Field(0, ge=0, le=1_000_000, description="plan: Monte Carlo futures.")
    samples: int = Field(1000, ge=1, le=1_000_000, description="risk: futures per candidate.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    candidates: list[Literal["cost_optimal", "buffered", "diversified"]] | None = None
    probabilities: dict[str, float] | None = Field(
        None, description="deals_score: close probability by stage laid over the bundled ones, "
        'e.g. {"loi": 0.3}.')
    electrical: ElectricalRequest | None = Field(
        None, description="electrical: the design to check by Monte Carlo (monte_carlo_seed "
        "required; 10-30 s per topology).")
    swings: list[str] | None = Field(
        None, max_length=20, description="sensitivity: override ranges, name=low:high (factors, "
        "or years for energisation_years and lead_years), e.g. capex=0.7:1.5.")
    only: list[str] | None = Field(None, max_length=20, min_length=1,
                                   description="sensitivity: swing only these assumptions.")


class CompareRequest(BaseModel):
    jobs: list[str] = Field(default_factory=list, max_length=8,
                            description="Ids of finished plan jobs.")
    scenarios: list[str] = Field(default_factory=list, max_length=8,
                                 description="Stored scenario names, planned now (slow for big "
                                 "ones: plan them as jobs and give the job ids instead).")


class _Cache:
    """A small thread-safe LRU of computed answers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def create_app(config: WebConfig | None = None) -> FastAPI:
    """The app for ``config`` (default: data folder ``./gridfirst-data``)."""
    cfg = config or WebConfig(data_dir=Path("gridfirst-data"))
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    store = ScenarioStore(cfg.scenarios_dir)
    jobs = JobManager(cfg, store.load)
    limiter = RateLimiter(cfg.job_starts, cfg.job_window_seconds)
    cache = _Cache(CACHE_ENTRIES)
    deal_store = DealStoreHolder(cfg.deals_db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()
        deal_store.close()

    app = FastAPI(
        title="gridfirst", version=gridfirst.__version__, lifespan=lifespan,
        description="Power-first planning of AI compute capacity. Reads are open; writes and job "
        "starts need `Authorization: Bearer <token>`.",
        responses={code: {"model": ErrorBody, "description": text} for code, text in _ERRORS.items()},
    )
    app.state.config, app.state.store, app.state.jobs = cfg, store, jobs
    app.state.deals = deal_store
    _install_errors(app)
    _install_headers(app)
    app.add_middleware(BodyLimit, max_bytes=cfg.max_upload_bytes)  # type: ignore[arg-type]
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=cfg.cors_origins,  # type: ignore[arg-type]
                           allow_methods=["GET", "POST"], allow_headers=["Authorization",
                                                                         "Content-Type"])

    def token(creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        check_token(creds.credentials if creds else None, cfg.token)

    # -- session -------------------------------------------------------------------------
    @app.get("/api/health", tags=["session"])
    def health() -> dict[str, Any]:
        """Server version and job counts."""
        return {"status": "ok", "version": gridfirst.__version__,
                "interrupted_at_start": jobs.interrupted}

    @app.get("/api/auth", tags=["session"], dependencies=[Depends(token)])
    def auth() -> dict[str, Any]:
        """200 when the token is this server's (the UI's log-in check)."""
        return {"ok": True}

    # -- scenarios -----------------------------------------------------------------------
    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios() -> list[str]:
        """Stored scenario names (``example`` is the bundled example)."""
        return store.names()

    @app.post("/api/scenarios/validate", tags=["scenarios"])
    def validate_scenario(body: ScenarioUpload) -> dict[str, Any]:
        """Validate YAML text as ``gridfirst validate`` does; nothing is stored. Problems name
        the file, field, bad value and what was expected."""
        result = store.validate(body.name, body.yaml)
        if result.scenario is None:
            return {"valid": False, "file": f"{body.name}.yaml", "problems": result.problems}
        return {"valid": True, "file": f"{body.name}.yaml", **summary(body.name, result.scenario)}

    @app.post("/api/scenarios", tags=["scenarios"], status_code=201,
              dependencies=[Depends(token)])
    def upload_scenario(body: ScenarioUpload) -> dict[str, Any]:
        """Validate and store a scenario (400 with every problem when it is invalid)."""
        result = store.save(body.name, body.yaml)
        if result.scenario is None:
            raise _Problems(result.problems)
        return {"valid": True, **summary(body.name, result.scenario)}

    @app.get("/api/scenarios/{name:path}", tags=["scenarios"])
    def get_scenario(name: str) -> dict[str, Any]:
        """A stored scenario: what it holds and its YAML text."""
        scenario = store.load(name)
        text = store.path(name).read_text(encoding="utf-8")
        return {**summary(name, scenario), "yaml": text}

    # -- markets and data ----------------------------------------------------------------
    @app.get("/api/markets", tags=["markets"])
    def list_markets(scenario: str | None = None, region: str | None = None
                     ) -> list[dict[str, Any]]:
        """The bundled markets (or a scenario's, with its overrides), every field."""
        from gridfirst.data import bundled_markets

        markets = store.load(scenario).resolved_markets() if scenario else bundled_markets()
        if region is not None:
            regions = sorted({m.region for m in markets})
            if region not in regions:
                raise WebError(400, f"region: {region!r} is not one of {regions}")
            markets = [m for m in markets if m.region == region]
        return [m.model_dump(mode="json") for m in markets]

    @app.get("/api/markets/{market_id}", tags=["markets"])
    def show_market(market_id: str) -> dict[str, Any]:
        """One bundled market: every field with its value, source and data year."""
        return cache.get(("market", market_id), lambda: _market_fields(market_id))

    @app.get("/api/markets/{market_id}/supply", tags=["markets"])
    def market_supply(market_id: str, allowed: bool = False) -> list[dict[str, Any]]:
        """A market's supply options with their legal basis, cost and source."""
        from gridfirst.data.supply import market_supply as supply_of

        rows = supply_of(market_id)
        if allowed:
            rows = rows[rows["allowed"]]
        return _records(rows)

    @app.get("/api/sources", tags=["markets"])
    def list_sources() -> list[dict[str, Any]]:
        """Every source of the bundled market data (publisher, title, year, URL, kind)."""
        from gridfirst.data import sources

        return _records(sources().reset_index())

    # -- models --------------------------------------------------------------------------
    @app.post("/api/rank", tags=["models"])
    def rank(body: RankRequest) -> dict[str, Any]:
        """Screen and rank a scenario's markets with contributions, rank probabilities under
        sampled weights and the single-weight change that swaps each market with its
        neighbours (``gridfirst rank --format json``)."""
        version = store.version(body.scenario)
        weights = tuple(sorted((body.weights or {}).items()))
        key = ("rank", body.scenario, version, weights,
               *body.model_dump(exclude={"weights", "scenario"}).values())
        return cache.get(key, lambda: _rank(store.load(body.scenario), body))

    @app.get("/api/latency", tags=["models"])
    def latency(origin: str = Query(..., max_length=200), destination: str = Query(..., max_length=200),
                in_service_by: int | None = Query(None, ge=1850, le=2100)) -> dict[str, Any]:
        """Modelled round-trip time and the cables used between two places (market ids, market
        names or cities)."""
        from gridfirst.network import route

        key = ("latency", origin, destination, in_service_by)
        return cache.get(key, lambda: json_safe(route(origin, destination,
                                                      in_service_by=in_service_by).to_dict()))

    @app.get("/api/latency/matrix", tags=["models"])
    def latency_matrix(max_ms: float | None = Query(None, gt=0, le=1e6),
                       in_service_by: int | None = Query(None, ge=1850, le=2100)
                       ) -> list[dict[str, Any]]:
        """Round-trip time of every bundled market to every city of 1M+ people."""
        from gridfirst.data import bundled_markets
        from gridfirst.network import demand_centres, latency_matrix

        table = cache.get(("matrix", in_service_by),
                          lambda: latency_matrix(bundled_markets(), in_service_by=in_service_by))
        centres = demand_centres()
        out = []
        for market_id, row in table.iterrows():
            for centre_id, rtt in row.items():
                if max_ms is None or rtt <= max_ms:
                    out.append({"market_id": market_id, "centre_id": centre_id,
                                "city": centres.at[centre_id, "name"],
                                "rtt_ms": round(float(rtt), 2)})
        return json_safe(out)  # type: ignore[no-any-return]

    @app.get("/api/headroom/zones", tags=["models"])
    def headroom_zones() -> list[dict[str, Any]]:
        """The shipped hourly system loads (``gridfirst headroom --list``)."""
        from gridfirst.headroom import shipped_zones

        return json_safe([{"zone": r.zone, "source": r.source, "year": r.year}  # type: ignore[no-any-return]
                          for r in shipped_zones().itertuples()])

    @app.get("/api/headroom", tags=["models"])
    def headroom(zone: str = Query(..., max_length=100),
                 budget: str = Query("0.0025,0.005,0.01", max_length=200),
                 threshold: str = Query("seasonal", pattern="^(seasonal|peak)$")
                 ) -> list[dict[str, Any]]:
        """Curtailment-enabled headroom of a shipped zone (``gridfirst headroom ZONE``): per
        budget the new flat MW, curtailed hours a year and the longest event."""
        from gridfirst.headroom import curtailment_headroom, load_for, shipped_zones

        zones = [str(z) for z in shipped_zones()["zone"]]
        if zone not in zones:  # only shipped zones: a request never names a file
            raise WebError(404, f"zone {zone!r} is not a shipped zone; one of {', '.join(zones)}")
        budgets = []
        for part in budget.split(","):
            try:
                budgets.append(float(part))
            except ValueError:
                raise WebError(400, f"budget: {part!r} is not a number") from None
        key = ("headroom", zone, tuple(budgets), threshold)

        def run() -> list[dict[str, Any]]:
            _, load = load_for(zone)
            return json_safe([curtailment_headroom(load, b, threshold).record()  # type: ignore[arg-type,no-any-return]
                              for b in budgets])

        return cache.get(key, run)  # type: ignore[no-any-return]

    @app.post("/api/procure", tags=["models"])
    def procure(body: ProcureRequest) -> dict[str, Any]:
        """A site's cheapest 24/7 carbon-free supply from its market's options (as the plan
        procures it), with the supply by option and the first hours of dispatch."""
        key = ("procure", body.scenario, store.version(body.scenario),
               *body.model_dump(exclude={"scenario"}).values())
        return cache.get(key, lambda: _procure(store.load(body.scenario), body))

    @app.get("/api/compliance", tags=["models"])
    def compliance(scenario: str = EXAMPLE, as_of: dt.date | None = None,
                   jurisdiction: str | None = Query(None, max_length=8),
                   accelerators: str | None = Query(None, max_length=500)) -> dict[str, Any]:
        """Export-control status of each market of the scenario for its buyer."""
        return _compliance(store.load(scenario), as_of, jurisdiction, accelerators)

    @app.post("/api/demand/fit", tags=["models"])
    def demand_fit(body: DemandRequest) -> dict[str, Any]:
        """Fit growth models to an observed series, forecast it with a bootstrap band and turn it
        into IT MW by year (and region, with a scenario), as ``gridfirst demand``."""
        return _demand(cfg.data_dir, store, body)

    @app.post("/api/compare", tags=["models"])
    def compare(body: CompareRequest) -> dict[str, Any]:
        """Finished plan jobs and stored scenarios side by side: cost, cash cost, MW by country
        and year, CFE, shortfalls and the builds that differ (``gridfirst compare``)."""
        return _compare(jobs, store, cfg, body)

    @app.post("/api/electrical", tags=["models"])
    def electrical(body: ElectricalRequest) -> dict[str, Any]:
        """A site's power chain from grid to racks: redundancy, availability, cost and a ramp
        buffer (``gridfirst electrical``); ``compare``: one design per topology. The Monte Carlo
        check (``monte_carlo_seed``) runs as a job of kind ``electrical``."""
        if body.monte_carlo_seed is not None:
            raise WebError(400, "monte_carlo_seed: the Monte Carlo check takes 10-30 s per "
                           "topology; start it as a job: POST /api/jobs with kind electrical")
        return electrical_design(cfg.data_dir, store.load, body)

    # -- deals ---------------------------------------------------------------------------
    install_deals(app, deal_store, cfg.data_dir, token)

    # -- jobs ----------------------------------------------------------------------------
    @app.post("/api/jobs", tags=["jobs"], status_code=202, dependencies=[Depends(token)])
    def start_job(body: JobRequest, request: Request) -> dict[str, Any]:
        """Start a plan, risk, sensitivity, deals_score or electrical job in the background (rate-limited per
        client). A sensitivity job re-solves the plan with each assumption low and high
        (``gridfirst sensitivity``); a deals_score job plans the scenario with the deal store's
        live deals and values each (``gridfirst deals score``); an electrical job is ``POST /api/electrical`` with the
        Monte Carlo check of ``electrical.monte_carlo_seed``."""
        limiter.hit(request.client.host if request.client else "unknown")
        params = body.model_dump(exclude={"kind", "scenario"}, exclude_none=True)
        return jobs.submit(body.kind, body.scenario, params).to_dict()

    @app.get("/api/jobs", tags=["jobs"])
    def list_jobs() -> list[dict[str, Any]]:
        """The latest jobs, newest first."""
        return [j.to_dict() for j in jobs.list()]

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def get_job(job_id: str) -> dict[str, Any]:
        """One job's state and progress."""
        return jobs.get(job_id).to_dict()

    @app.post("/api/jobs/{job_id}/cancel", tags=["jobs"], status_code=202,
              dependencies=[Depends(token)])
    def cancel_job(job_id: str) -> dict[str, Any]:
        """Ask a queued or running job to stop (its workers are stopped too)."""
        return jobs.cancel(job_id).to_dict()

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"],
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "server-sent events, one `data:` JSON per change"}})
    async def job_events(job_id: str) -> StreamingResponse:
        """The job's progress as server-sent events until it ends."""
        jobs.get(job_id)

        async def stream() -> AsyncIterator[str]:
            last = None
            while True:
                state = jobs.get(job_id).to_dict()
                text = json.dumps(state)
                if text != last:
                    yield f"event: progress\ndata: {text}\n\n"
                    last = text
                if state["status"] in FINAL:
                    yield f"event: end\ndata: {text}\n\n"
                    return
                await asyncio.sleep(0.25)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.get("/api/jobs/{job_id}/result", tags=["jobs"])
    def job_result(job_id: str) -> dict[str, Any]:
        """A finished job's result: a plan's ``plan.json``, a risk run's ``risk.json`` or a
        sensitivity run's ``sensitivity.json``."""
        return jobs.result(job_id)

    @app.get("/api/jobs/{job_id}/files/{path:path}", tags=["jobs"],
             responses={200: {"content": {"text/csv": {}, "text/html": {}, "application/json": {}},
                              "description": "the file"}})
    def job_file(job_id: str, path: str) -> FileResponse:
        """A file of a finished job's folder (report.html, the CSV tables)."""
        target = inside(jobs.folder(job_id), path)  # refused before the job is looked up
        job = jobs.get(job_id)
        if job.kind == "plan":
            target = inside(jobs.folder(job_id) / "result", path)
        if not target.is_file():
            raise WebError(404, f"job {job_id}: no file {path[:80]!r}")
        return FileResponse(target)

    _install_ui(app)
    return app


class _Problems(WebError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(400, problems[0] if len(problems) == 1 else
                         f"{len(problems)} problems: " + "; ".join(problems[:3]))
        self.problems = problems


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def web_error(_: Request, exc: WebError) -> JSONResponse:
        body: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, _Problems):
            body["problems"] = exc.problems
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(GridfirstError)
    async def gridfirst_error(_: Request, exc: GridfirstError) -> JSONResponse:
        from gridfirst.errors import DealConflict

        body: dict[str, Any] = {"error": str(exc).split("\n")[0]}
        problems = getattr(exc, "problems", None)
        if problems:
            body["problems"] = list(problems)
        return JSONResponse(body, status_code=409 if isinstance(exc, DealConflict) else 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        text = {404: "no such page or endpoint (the API is under /api; see /docs)",
                405: "this method is not allowed here"}.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": text}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": problems[0] if problems else "invalid request",
                             "problems": problems}, status_code=400)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); please report the "
                             "request that caused it"}, status_code=500)


_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _install_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy", _CSP)
        return response


def _static(name: str) -> bytes:
    return (resources.files("gridfirst") / "web" / "static" / name).read_bytes()


def _install_ui(app: FastAPI) -> None:
    """The browser UI: the page, its script and style, and plotly.js with the world outline
    (from the ``plotly`` package and the report's assets), all served from this machine."""
    types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
             ".txt": "text/plain", ".md": "text/plain"}

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_static("index.html").decode("utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in ("app.js", "app.css", "LICENSES.md"):
            raise WebError(404, f"no static file {name[:80]!r}")
        return Response(_static(name), media_type=types[Path(name).suffix],
                        headers={"Cache-Control": "max-age=300"})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        from gridfirst.report.html import plotly_js as bundled

        return Response(bundled(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/vendor/geo-assets.js", include_in_schema=False)
    def geo_assets() -> Response:
        from gridfirst.report.html import geo_assets_script

        return Response(geo_assets_script(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/vendor/plotly-LICENSE.txt", include_in_schema=False)
    def plotly_licence() -> Response:
        text = (resources.files("gridfirst") / "report" / "assets" / "plotly_js_LICENSE").read_text()
        return Response(text, media_type="text/plain")


# -- calls into the library (formatting only) --------------------------------------------------
def _records(frame: Any) -> list[dict[str, Any]]:
    return json_safe(frame.to_dict(orient="records"))  # type: ignore[no-any-return]


def _rank(scenario: Any, body: RankRequest) -> dict[str, Any]:
    """What ``gridfirst rank --format json`` prints, for every market up to ``top``."""
    from gridfirst.scoring import rank_with_sensitivity

    result, sens = rank_with_sensitivity(
        scenario, profile=body.profile, method=body.method, normalisation=body.normalisation,
        samples=body.samples, seed=body.seed, top_k=body.top_k, concentration=body.concentration,
        weights=body.weights, use_network=body.network)
    payload = result.to_dict()
    payload["markets"] = payload["markets"][: body.top]
    for rec in payload["markets"]:
        mid = rec["market_id"]
        if sens is not None:
            rec[f"p_top_{body.top_k}"] = float(sens.top_k_probability[mid])
            rec["rank_probabilities"] = [float(x) for x in sens.rank_probabilities.loc[mid]]
        explanation = result.explain(mid)
        rec["swap_above"] = explanation.smallest_swap("above")
        rec["swap_below"] = explanation.smallest_swap("below")
    if sens is not None:
        payload["sensitivity"] = {"samples": sens.samples, "seed": sens.seed,
                                  "concentration": sens.concentration, "top_k": sens.top_k}
    if body.explain is not None:
        payload["explanation"] = result.explain(body.explain).to_dict()
    return json_safe(payload)  # type: ignore[no-any-return]


def _market_fields(market_id: str) -> dict[str, Any]:
    """Every field of a bundled market with its source (``gridfirst markets show``)."""
    import difflib

    from gridfirst.data import bundled_markets, market_identities, market_provenance, sources

    known = {m.id: m for m in bundled_markets()}
    if market_id not in known:
        close = difflib.get_close_matches(market_id, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise WebError(404, f"{market_id[:80]!r} is not a bundled market{hint}")
    market = known[market_id]
    ident = market_identities().loc[market_id]
    loc = sources().loc[ident["location_source_id"]]
    fields = [{"field": f, "value": getattr(market, f), "source_id": ident["location_source_id"],
               "source": f"{loc['publisher']}: {loc['title']} ({loc['year']})",
               "url": loc.get("url", ""), "kind": loc["kind"], "data_year": loc["year"], "note": ""}
              for f in ("name", "country", "region", "latitude", "longitude")]
    src = sources()
    for row in market_provenance(market_id).itertuples():
        url = src.at[row.source_id, "url"] if row.source_id in src.index and "url" in src.columns else ""
        fields.append({"field": row.field, "value": getattr(market, row.field),
                       "source_id": row.source_id,
                       "source": f"{row.publisher}: {row.title} ({row.source_year})", "url": url,
                       "kind": row.kind, "data_year": row.data_year, "note": row.note})
    fields.append({"field": "design_pue", "value": round(market.design_pue, 3), "source_id": "",
                   "source": "derived: gridfirst.scenario.pue_from_climate(mean_temperature_c)",
                   "url": "", "kind": "derived", "data_year": None, "note": ""})
    return json_safe({"market": market.model_dump(mode="json"), "fields": fields})  # type: ignore[no-any-return]


def _procure(scenario: Any, body: ProcureRequest) -> dict[str, Any]:
    """``procure_market`` on the site's market with the scenario's costs and target."""
    from gridfirst.procurement.site import scenario_costs, site_market
    from gridfirst.procurement.solve import procure_market

    market = site_market(scenario, body.site)
    target = scenario.policy.cfe_target if body.cfe_target is None else body.cfe_target
    result = procure_market(market, target, costs=scenario_costs(scenario), seed=body.seed,
                            load_mw=body.load_mw, method=body.method, supply=body.supply,
                            year=body.year)
    out = result.to_dict()
    hours = result.dispatch.iloc[: body.dispatch_hours]
    out["dispatch"] = {"time": [str(t) for t in hours.index],
                       **{str(c): hours[c].astype(float).round(4).tolist() for c in hours.columns}}
    out["site"], out["market_id"] = body.site, market.id
    return json_safe(out)  # type: ignore[no-any-return]


def _demand(data_dir: Path, store: ScenarioStore, body: DemandRequest) -> dict[str, Any]:
    """``demand_outlook`` on the posted series (read by ``read_series`` from a staged file)."""
    import tempfile

    from gridfirst.demand import conversion_chain, demand_outlook, read_series, scenario_shares
    from gridfirst.demand.growth import MIN_BOOTSTRAP

    if body.samples and body.samples < MIN_BOOTSTRAP:
        raise WebError(400, f"samples: {body.samples} bootstrap resamples are too few for a "
                       f"band; give at least {MIN_BOOTSTRAP} (or 0 for no band)")
    scenario = store.load(body.scenario) if body.scenario else None
    with tempfile.TemporaryDirectory(prefix=".demand-", dir=data_dir) as folder:
        file = Path(folder) / "series.csv"
        file.write_bytes(encoded(body.csv, "series.csv"))
        series = read_series(file, column=body.column, date_column=body.date_column,
                             quantity=body.quantity)
    if scenario is not None:
        first = body.start_year or scenario.horizon.start_year
        last = body.end_year or scenario.horizon.end_year
    else:
        first = body.start_year or int(series.index[-1].year)
        last = body.end_year or first + 5
    if last < first:
        raise WebError(400, f"end_year {last} is before the first forecast year {first}")
    chain = conversion_chain(body.quantity, body.accelerator, served_share=body.served_share)
    result = demand_outlook(
        series, body.quantity, years=range(first, last + 1), chain=chain,
        regions=list(scenario.demand.regions) if scenario is not None else [],
        shares=scenario_shares(scenario) if scenario is not None else None,
        models=list(body.models), criterion=body.criterion, n_boot=body.samples, seed=body.seed,
        level=body.level, source="series.csv")
    return json_safe(result.to_dict())  # type: ignore[no-any-return]


def _compliance(scenario: Any, as_of: dt.date | None, jurisdiction: str | None,
                accelerators: str | None) -> dict[str, Any]:
    """``gridfirst compliance``: the rules as of a date for the scenario's (or given) buyer."""
    from gridfirst.compliance.buyer import buyer_with
    from gridfirst.errors import DataError
    from gridfirst.resolve.resolved import as_of as default_as_of
    from gridfirst.resolve.resolved import compliance_of

    when = as_of or default_as_of(scenario)
    try:
        buyer = buyer_with(scenario.buyer, jurisdiction, accelerators)
    except DataError as exc:
        raise WebError(400, str(exc)) from None
    if buyer is None:
        raise WebError(400, f"{scenario.name}: the scenario names no buyer; give jurisdiction")
    table = compliance_of(scenario.resolved_markets(), buyer, when)
    return {"as_of": when.isoformat(), "buyer": buyer.model_dump(mode="json"),
            "markets": _records(table.reset_index())}


def _compare(jobs: JobManager, store: ScenarioStore, cfg: WebConfig,
             body: CompareRequest) -> dict[str, Any]:
    """``compare_summaries`` of finished plan jobs' ``plan.json`` and of stored scenarios planned
    now (as ``gridfirst compare`` does with plan folders and YAML files)."""
    from gridfirst.errors import OutputError
    from gridfirst.outputs import read_plan
    from gridfirst.planning import plan
    from gridfirst.planning.compare import compare_summaries

    if len(body.jobs) + len(body.scenarios) < 2:
        raise WebError(400, "give two or more plans in all: jobs (finished plan job ids) and "
                       "scenarios (stored scenario names)")
    summaries, sources = [], []
    for job_id in body.jobs:
        job = jobs.get(job_id)
        if job.kind != "plan":
            raise WebError(400, f"job {job_id}: a {job.kind} job; compare takes plan jobs")
        if job.status != "done":
            raise WebError(409, f"job {job_id} is {job.status}; compare it once it is done")
        folder = jobs.folder(job_id) / "result"
        try:
            summaries.append(read_plan(folder))
        except OutputError as exc:  # name the job, not the server's folder
            raise WebError(409, str(exc).split("\n")[0].replace(str(folder), f"job {job_id}")
                           ) from None
        sources.append(f"job {job_id}")
    for name in body.scenarios:
        scenario = store.load(name)
        summaries.append(plan(scenario, cache=cfg.cache).to_dict())
        sources.append(f"scenario {name}")
    return json_safe(compare_summaries(summaries, sources=sources).to_dict())  # type: ignore[no-any-return]


def app_from_env() -> FastAPI:
    """The app of one of several server workers (``gridfirst serve --server-workers N``): its
    settings come from ``GRIDFIRST_TOKEN``, ``GRIDFIRST_WEB_DATA_DIR`` and
    ``GRIDFIRST_WEB_EXECUTOR``, ``GRIDFIRST_WEB_CORS`` and ``GRIDFIRST_WEB_MAX_UPLOAD_BYTES``."""
    import os

    env = os.environ
    cors = [o for o in env.get("GRIDFIRST_WEB_CORS", "").split(",") if o]
    return create_app(WebConfig(
        data_dir=Path(env.get("GRIDFIRST_WEB_DATA_DIR", "gridfirst-data")),
        executor=env.get("GRIDFIRST_WEB_EXECUTOR", "auto"), cors_origins=cors,
        max_upload_bytes=int(env.get("GRIDFIRST_WEB_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))))
