"""``gridfirst serve``: the web app (JSON API, background jobs, browser UI) on this machine."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import fail


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    data_dir: Path = typer.Option(
        Path("gridfirst-data"), "--data-dir",
        help="Folder of uploaded scenarios, job results and the job index; nothing outside it "
        "is read or written for a request."),
    executor: str = typer.Option("auto", "--executor",
                                 help="Where plan and risk jobs run: auto | serial | processes."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Processes of a job."),
    server_workers: int = typer.Option(1, "--server-workers", min=1,
                                       help="HTTP worker processes (each runs the jobs it was asked to start)."),
    cors_origin: list[str] = typer.Option(
        [], "--cors-origin", help="Origin allowed cross-site (repeatable; default: none)."),
    max_upload_kb: int = typer.Option(1000, "--max-upload-kb", min=1,
                                      help="Largest request body [kB]."),
) -> None:
    """Serve the planner in a browser and as a JSON API (OpenAPI at /docs). Writes and job starts
    need the token: GRIDFIRST_TOKEN, or one generated and printed here."""
    try:
        import uvicorn

        from gridfirst.web import WebConfig
        from gridfirst.web.app import create_app
    except ImportError as exc:
        raise fail(f"gridfirst serve needs the web extra ({exc.name} is missing): "
                   "pip install 'gridfirst[web]'") from None
    if executor not in ("auto", "serial", "processes"):
        raise fail(f"--executor: {executor!r} is not one of auto, serial, processes")
    config = WebConfig(data_dir=data_dir, executor=executor, workers=workers,
                       cors_origins=list(cors_origin), max_upload_bytes=max_upload_kb * 1000)
    if config.token_generated:
        typer.echo(f"token (GRIDFIRST_TOKEN was not set): {config.token}", err=True)
    typer.echo(f"gridfirst at http://{host}:{port}/ (data in {config.data_dir})", err=True)
    if server_workers > 1:
        import os

        # Each worker process builds its own app from the environment (same token, same folder).
        os.environ["GRIDFIRST_TOKEN"] = config.token
        os.environ["GRIDFIRST_WEB_DATA_DIR"] = str(config.data_dir)
        os.environ["GRIDFIRST_WEB_EXECUTOR"] = executor
        os.environ["GRIDFIRST_WEB_CORS"] = ",".join(cors_origin)
        os.environ["GRIDFIRST_WEB_MAX_UPLOAD_BYTES"] = str(max_upload_kb * 1000)
        uvicorn.run("gridfirst.web.app:app_from_env", factory=True, host=host, port=port,
                    workers=server_workers, log_level="warning")
        return
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
