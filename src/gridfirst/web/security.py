"""What keeps the web app safe to expose on a team's network: the token, names that cannot be
paths, paths that cannot leave the data folder, a body-size limit and per-client rate limits.

Each check raises :class:`WebError` with the HTTP status and one line naming what to fix; the app
turns it into a JSON error (never a traceback).
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from gridfirst.errors import GridfirstError

#: Names of stored scenarios and job ids: lowercase letters, digits, '-' and '_' (no dots or
#: slashes, so a name is never a path).
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class WebError(GridfirstError):
    """A request the app refuses, with its HTTP status (400, 401, 404, 409, 413, 429)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def check_token(given: str | None, expected: str) -> None:
    """A write or job start carries ``Authorization: Bearer <token>`` with the server's token.

    Raises
    ------
    WebError
        401 when the header is missing or the token differs (compared in constant time).
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if not given:
        raise WebError(401, "this request needs the server's token: send 'Authorization: Bearer "
                       "<token>' (GRIDFIRST_TOKEN, or the token gridfirst serve printed)", challenge)
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise WebError(401, "the token is not this server's token", challenge)


def check_name(name: str, what: str = "scenario") -> str:
    """A scenario name or job id: refused (400) unless it matches :data:`NAME_PATTERN`."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = repr(name)[:80]
        raise WebError(400, f"{what} name {shown}: only lowercase letters, digits, '-' and '_' "
                       "(1 to 64 characters, no paths)")
    return name


def inside(base: Path, relative: str) -> Path:
    """``base / relative`` resolved, refused (400) when it leaves ``base`` (``..``, absolute
    paths, symlinks out)."""
    root = base.resolve()
    if "\x00" in relative:
        raise WebError(400, f"path {relative[:80]!r}: holds a NUL byte")
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise WebError(400, f"path {relative[:80]!r}: outside the data folder; give a path "
                       "inside it")
    return target


#: Scenario fields that name files; an uploaded scenario may only name files inside the data
#: folder (relative paths without ``..``), so a scenario cannot make the server read elsewhere.
_FILE_FIELDS = ("weather_file", "deals_db")


def check_file_references(data: Any, base: Path, source: str) -> None:
    """Refuse (400) an uploaded scenario whose file fields point outside ``base``."""
    for field, value in _file_fields(data, ""):
        if not isinstance(value, str):
            continue
        if "://" in value:
            raise WebError(400, f"{source}: {field}: {value[:80]!r}: an uploaded scenario may not "
                           "name a URL; give a file inside the data folder")
        if value.startswith(("/", "~", "\\")) or ".." in Path(value).parts or ":" in value:
            raise WebError(400, f"{source}: {field}: {value[:80]!r} is outside the data folder; "
                           "give a relative path inside it")
        inside(base, value)


def _file_fields(data: Any, prefix: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key in _FILE_FIELDS:
                found.append((path, value))
            found.extend(_file_fields(value, path))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(_file_fields(value, f"{prefix}[{i}]"))
    return found


def encoded(text: str, what: str) -> bytes:
    """``text`` as UTF-8, refused (400) when it holds what UTF-8 cannot carry (a lone surrogate
    such as JSON's ``"\\ud800"``)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WebError(400, f"{what}: character {exc.start} is not valid Unicode text") from None


class RateLimiter:
    """At most ``limit`` events per client in any ``window_seconds`` (a sliding log).

    Parameters
    ----------
    limit : int
    window_seconds : float
    """

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = int(limit)
        self.window_seconds = float(window_seconds)
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> None:
        """Count one event of ``client``; 429 (with ``Retry-After``) when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            log = self._events.setdefault(client, deque())
            while log and log[0] <= now - self.window_seconds:
                log.popleft()
            if len(log) >= self.limit:
                oldest = log[0] if log else now
                wait = max(1, int(oldest + self.window_seconds - now + 0.999))
                raise WebError(429, f"too many job starts from {client}: at most {self.limit} per "
                               f"{self.window_seconds:g} s; try again in {wait} s",
                               {"Retry-After": str(wait)})
            log.append(now)


class BodyLimit:
    """ASGI middleware: a request body larger than ``max_bytes`` gets 413 before it is read whole
    (by its ``Content-Length``, or by counting a chunked body)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = -1
                if size < 0 or size > self.max_bytes:
                    await self._refuse(send, size)
                    return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(seen)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge as exc:
            await self._refuse(send, exc.size)

    async def _refuse(self, send: Any, size: int) -> None:
        import json

        shown = f"{size:,} bytes" if size >= 0 else "a body of unknown size"
        body = json.dumps({"error": f"request body: {shown} is larger than the "
                                    f"{self.max_bytes:,} bytes this server accepts"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
