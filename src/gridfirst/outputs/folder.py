"""A folder written whole or not at all: a sibling temporary folder, a manifest, then a rename.

Readers check the manifest (every file's size and SHA-256); a folder without one, or whose files
do not match it, was not finished and is refused. Nothing here knows what the files mean.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gridfirst.errors import OutputError

#: Name of the manifest written last into every output folder.
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1

#: Writes one file at the given path.
FileWriter = Callable[[Path], None]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(folder: str | Path) -> Path:
    """Fail early, before any work, if ``folder`` cannot become an output folder.

    Raises
    ------
    OutputError
        A file stands where the folder (or one of its parents) should be, or the nearest
        existing parent is not writable.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder; choose another output folder")
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{probe}: is a file, so {folder} cannot be made; choose another folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{probe}: not writable, so {folder} cannot be written")
    return folder


def write_folder(folder: str | Path, files: dict[str, FileWriter],
                 meta: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``files`` (name -> writer) as the folder ``folder``, whole or not at all.

    The files go into a temporary folder beside ``folder``; after each is flushed to disk, a
    manifest of their sizes and SHA-256 is written last, and the temporary folder replaces
    ``folder`` by rename. A failure (full disk, permission, a writer's error) removes the
    temporary folder and leaves any earlier ``folder`` as it was.

    Returns
    -------
    dict of str to pathlib.Path
        The final path of every file by name.

    Raises
    ------
    OutputError
        Naming the folder and the cause.
    """
    folder = check_writable(folder)
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=parent))
    except OSError as exc:
        raise OutputError(f"{folder}: cannot be created ({exc.strerror or exc})") from None
    try:
        entries = {}
        for name, writer in files.items():
            path = tmp / name
            writer(path)
            _fsync(path)
            entries[name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {"manifest_version": MANIFEST_VERSION, **(meta or {}), "files": entries}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _fsync(tmp / MANIFEST)
        _swap_in(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"{folder}: could not be written ({exc.strerror or exc}); nothing was changed there"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: folder / name for name in files}


def _swap_in(tmp: Path, folder: Path, attempts: int = 20) -> None:
    """Move the finished ``tmp`` to ``folder``, moving an earlier folder aside first.

    Two runs finishing at once both end with a whole folder (the later one's): a rename that
    loses the race is retried.
    """
    parent = folder.parent
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=parent))
    try:
        for attempt in range(attempts):
            if folder.exists():
                try:
                    os.rename(folder, old / f"{folder.name}.{attempt}")
                except FileNotFoundError:
                    pass  # another run moved it first
            try:
                os.rename(tmp, folder)
                return
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == attempts - 1:
                    raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: str | Path, verify: bool = True) -> dict[str, Any]:
    """The manifest of a finished output folder, its files checked against it.

    Raises
    ------
    OutputError
        No manifest (the folder was never finished, or was written by something else), or a
        file missing or changed since it was written.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise OutputError(f"{folder}: no {MANIFEST}; not a finished gridfirst output folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise OutputError(f"{path}: not a gridfirst manifest") from None
    if verify:
        for name, entry in files.items():
            file = folder / name
            if not file.is_file():
                raise OutputError(f"{folder}: {name} is listed in {MANIFEST} but missing")
            if file.stat().st_size != entry["bytes"] or _sha256(file) != entry["sha256"]:
                raise OutputError(f"{folder}: {name} changed after the folder was written")
    return dict(manifest)
