"""A throwaway PostgreSQL server (Debian's `postgresql` binaries) on a Unix socket, and the store
URLs the deals tests run against: a SQLite file and a fresh database on that server."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 5432  # only names the socket file; the server listens on no TCP address


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are missing: install Debian's "
                "`postgresql` package (make install-test does)")


def _as_server_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the `postgres` system user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def postgres_socket_dir() -> Iterator[Path]:
    """Start a PostgreSQL server in a temporary folder; stop it and delete the folder at the end."""
    bin_dir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="gfpg-"))  # short: a socket path is limited to ~100 chars
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    try:
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                        "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        options = f"-k {root} -p {PORT} -c listen_addresses='' -c fsync=off"
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                                        "-l", str(root / "log"), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode()[-500:]} {log[-500:]}")
    try:
        yield root
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                        "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_url(socket_dir: Path) -> str:
    """A new, empty database on the test server, as a SQLAlchemy URL."""
    import psycopg

    name = f"deals_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=str(socket_dir), port=PORT, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}&port={PORT}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store location on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'deals.sqlite'}"
    return new_postgres_url(request.getfixturevalue("postgres_socket_dir"))
