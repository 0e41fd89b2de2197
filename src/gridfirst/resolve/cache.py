"""A content-addressed cache of per-site results: a key is the hash of every input of the result.

Holds :class:`ResultCache` (JSON files under ``$GRIDFIRST_CACHE_DIR`` or ``~/.cache/gridfirst``);
it knows nothing of what is cached, only how inputs become a key and a key a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

#: Bump when the meaning of a cached record changes, so old records are not reused.
CACHE_FORMAT = 2


def default_cache_dir() -> Path:
    """``$GRIDFIRST_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/gridfirst``, else ``~/.cache/gridfirst``."""
    env = os.environ.get("GRIDFIRST_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "gridfirst"


def _canonical(value: Any) -> Any:
    """Inputs as plain JSON with a stable form (floats by repr, mappings sorted)."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "model_dump"):
        return _canonical(value.model_dump(mode="json"))
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else float(repr(value))
    return value


def code_fingerprint(modules: tuple[str, ...]) -> str:
    """SHA-256 of the source files of ``modules`` (a package means all its ``.py`` files).

    Part of a cache key so that a changed model or solver does not reuse results of the old one.
    """
    import importlib.util

    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            digest.update(f"missing:{name}".encode())
            continue
        origin = Path(spec.origin)
        files = sorted(origin.parent.glob("*.py")) if origin.name == "__init__.py" else [origin]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def content_key(kind: str, inputs: dict[str, Any], code: tuple[str, ...] = ()) -> str:
    """SHA-256 hex digest of ``kind``, the cache format, the gridfirst version, the source of the
    ``code`` modules (:func:`code_fingerprint`) and ``inputs``."""
    from gridfirst import __version__

    payload = {"kind": kind, "format": CACHE_FORMAT, "gridfirst": __version__,
               "code": code_fingerprint(code) if code else "", "inputs": inputs}
    text = json.dumps(_canonical(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResultCache:
    """JSON records keyed by :func:`content_key`, each file holding its own key.

    Parameters
    ----------
    directory : path, optional
        Where records live (default :func:`default_cache_dir`); created on first write.
    enabled : bool
        When False nothing is read (``--no-cache``: every result is computed again), but fresh
        results are still written, replacing whatever was stored, so a bad record is repaired.
    required : iterable of str
        Keys every record must have; a record without them counts as corrupt.

    Notes
    -----
    A record that cannot be read, is not the JSON written here, names another key or lacks a
    required field is *corrupt*: it is reported in :attr:`problems` (file and cause), treated as
    a miss, and overwritten by the next :meth:`put` of that key.
    """

    def __init__(self, directory: str | Path | None = None, enabled: bool = True,
                 required: tuple[str, ...] = ()) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.enabled = enabled
        self.required = tuple(required)
        self.hits = 0
        self.misses = 0
        self.problems: list[str] = []

    def path(self, key: str) -> Path:
        """The file of the record stored under ``key``."""
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The record stored under ``key``, or None (missing, corrupt or reading disabled)."""
        if not self.enabled:
            self.misses += 1
            return None
        path = self.path(key)
        if not path.exists():
            self.misses += 1
            return None
        record = self._read(path, key)
        if record is None:
            self.misses += 1
            return None
        self.hits += 1
        return record

    def _read(self, path: Path, key: str) -> dict[str, Any] | None:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.problems.append(f"cache record {path}: unreadable ({exc}); solved again and "
                                 "rewritten")
            return None
        if not (isinstance(stored, dict) and stored.get("key") == key
                and isinstance(stored.get("record"), dict)):
            self.problems.append(f"cache record {path}: not a gridfirst record for this key; "
                                 "solved again and rewritten")
            return None
        record: dict[str, Any] = stored["record"]
        missing = [k for k in self.required if k not in record]
        if missing:
            self.problems.append(f"cache record {path}: lacks {missing}; solved again and "
                                 "rewritten")
            return None
        return record

    def contains(self, key: str) -> bool:
        """Whether a readable record is stored under ``key`` (not counted as a hit or miss)."""
        if not self.enabled or not self.path(key).is_file():
            return False
        before = len(self.problems)
        ok = self._read(self.path(key), key) is not None
        del self.problems[before:]
        return ok

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` atomically (a temporary file beside it, then rename); write errors
        are ignored because a cache that cannot be written only costs time."""
        store_record(self.directory, key, record)


def store_record(directory: str | Path, key: str, record: dict[str, Any]) -> None:
    """Write one record under ``key`` in ``directory`` atomically (see :class:`ResultCache`).

    A module-level function so that a worker process can store its result the moment it has it.
    """
    path = Path(directory) / key[:2] / f"{key}.json"
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"key": key, "record": record}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
