"""Settings of one ``gridfirst serve`` process: data folder, token, limits, CORS, executor.

Only settings live here; what the server does with them is :mod:`gridfirst.web.app`'s.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

#: Largest request body accepted (a scenario upload is YAML text) [bytes].
DEFAULT_MAX_UPLOAD_BYTES = 1_000_000
#: Job starts one client may make per window, and the window [s].
DEFAULT_JOB_STARTS = 10
DEFAULT_JOB_WINDOW_SECONDS = 60.0


@dataclass
class WebConfig:
    """Settings of the web app.

    Attributes
    ----------
    data_dir : pathlib.Path
        Every file the server reads for a request or writes lives under this folder
        (``scenarios/``, ``jobs/``, ``jobs.sqlite``, the deal store ``deals.sqlite``).
    token : str
        Bearer token that writes and job starts need (``GRIDFIRST_TOKEN``, else generated).
    token_generated : bool
        Whether ``token`` was generated here (``gridfirst serve`` then prints it).
    max_upload_bytes : int
        Largest request body [bytes]; larger ones get 413.
    cors_origins : list of str
        Origins allowed cross-site; empty (the default) adds no CORS headers at all.
    job_starts : int
        Job starts per client and window; more get 429.
    job_window_seconds : float
    executor : str
        Executor of plan and risk jobs (:data:`gridfirst.parallel.EXECUTORS` or ``"auto"``).
    workers : int or None
        Processes of the executor.
    job_threads : int
        Jobs that run at once (the others wait, queued).
    cache : bool
        Reuse per-site procurement results across plan jobs.
    """

    data_dir: Path
    token: str = ""
    token_generated: bool = False
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    cors_origins: list[str] = field(default_factory=list)
    job_starts: int = DEFAULT_JOB_STARTS
    job_window_seconds: float = DEFAULT_JOB_WINDOW_SECONDS
    executor: str = "auto"
    workers: int | None = None
    job_threads: int = 1
    cache: bool = True

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser().resolve()
        if not self.token:
            env = os.environ.get("GRIDFIRST_TOKEN", "").strip()
            if env:
                self.token = env
            else:
                self.token = secrets.token_urlsafe(24)
                self.token_generated = True

    @property
    def scenarios_dir(self) -> Path:
        return self.data_dir / "scenarios"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def jobs_db(self) -> Path:
        return self.data_dir / "jobs.sqlite"

    @property
    def deals_db(self) -> Path:
        """The deal store of ``/api/deals`` (a SQLite file; never a URL from a request)."""
        return self.data_dir / "deals.sqlite"
