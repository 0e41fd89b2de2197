"""A content-addressed cache of per-site results: a key is the hash of every input of the result.

Holds :class:`ResultCache` (JSON files under ``$GRIDFIRST_CACHE_DIR`` or ``~/.cache/gridfirst``);
it knows nothing of what is cached, only how inputs become a key and a key a file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

#: Bump when the meaning of a cached record changes, so old records are not reused.
CACHE_FORMAT = 1


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
    """JSON records keyed by :func:`content_key`; ``enabled=False`` makes every lookup a miss.

    Parameters
    ----------
    directory : path, optional
        Where records live (default :func:`default_cache_dir`); created on first write.
    enabled : bool
        When False nothing is read or written (``--no-cache``).
    """

    def __init__(self, directory: str | Path | None = None, enabled: bool = True) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The record stored under ``key``, or None (a missing or unreadable file is a miss)."""
        if not self.enabled:
            self.misses += 1
            return None
        path = self._path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return dict(record)

    def contains(self, key: str) -> bool:
        """Whether a record is stored under ``key`` (does not count as a hit or a miss)."""
        return self.enabled and self._path(key).is_file()

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` atomically (write a temporary file, then rename); errors are ignored
        because a cache that cannot be written only costs time."""
        if not self.enabled:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            os.replace(tmp, path)
        except OSError:
            return
