"""``gridfirst serve`` starts the app, prints a generated token when GRIDFIRST_TOKEN is unset,
and that token (only) opens writes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_serve_prints_a_generated_token_that_opens_writes(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "GRIDFIRST_TOKEN"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.Popen([sys.executable, "-m", "gridfirst", "serve", "--port", str(port),
                             "--data-dir", str(tmp_path / "data")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("token (GRIDFIRST_TOKEN was not set): ")
        token = first.split(": ", 1)[1].strip()
        assert len(token) >= 24
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert httpx.get(base + "/api/auth").status_code == 401
        assert httpx.get(base + "/api/auth", headers={"Authorization": "Bearer nope"}
                         ).status_code == 401
        assert httpx.get(base + "/api/auth", headers={"Authorization": f"Bearer {token}"}
                         ).status_code == 200
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "/vendor/plotly.min.js" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert (tmp_path / "data" / "jobs.sqlite").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
