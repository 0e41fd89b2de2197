"""Output folders are written whole or not at all, and readers check them."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gridfirst.errors import OutputError
from gridfirst.outputs import check_writable, read_manifest, write_folder


def _text(content: str):  # type: ignore[no-untyped-def]
    return lambda path: path.write_text(content)


def test_a_folder_is_written_with_a_manifest_that_readers_check(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": _text("x\n1\n"), "plan.json": _text("{}")}, meta={"run": 1})
    manifest = read_manifest(folder)
    assert set(manifest["files"]) == {"a.csv", "plan.json"} and manifest["run"] == 1
    (folder / "a.csv").write_text("x\n2\n")
    with pytest.raises(OutputError, match="changed after the folder was written"):
        read_manifest(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(OutputError, match="not a finished gridfirst output folder"):
        read_manifest(folder)


def test_a_failed_write_leaves_the_earlier_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": _text("old\n"), "b.csv": _text("old\n")})

    def full_disk(path: Path) -> None:
        path.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="No space left on device"):
        write_folder(folder, {"a.csv": _text("new\n"), "b.csv": full_disk})
    assert (folder / "a.csv").read_text() == "old\n"
    read_manifest(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial folder left behind


def test_a_file_in_the_way_or_an_unwritable_parent_is_named_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_writable(blocker)
    with pytest.raises(OutputError, match="is a file, so"):
        check_writable(blocker / "sub" / "out")
    if os.geteuid() != 0:  # root writes anywhere; the permission case only holds for users
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(OutputError, match="not writable"):
            check_writable(locked / "out")


def test_two_writers_at_once_both_finish_and_the_folder_is_whole(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for _ in range(15):
                write_folder(folder, {f"{n}.csv": _text(tag * 1000) for n in range(5)})
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    read_manifest(folder)
    contents = {(folder / f"{n}.csv").read_text()[0] for n in range(5)}
    assert len(contents) == 1  # never a mix of the two runs


def test_kill_9_while_writing_leaves_the_earlier_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    write_folder(folder, {"a.csv": _text("old\n"), "b.csv": _text("old\n")})
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from gridfirst.outputs import write_folder
        def slow(path):
            path.write_text("new")
            print("writing", flush=True)
            time.sleep(60)
        write_folder(Path({str(folder)!r}), {{"a.csv": lambda p: p.write_text("new"), "b.csv": slow}})
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert (folder / "a.csv").read_text() == "old\n"
    read_manifest(folder)
    time.sleep(0.1)
    # the next write succeeds over the killed run's leftovers
    write_folder(folder, {"a.csv": _text("next\n")})
    assert json.loads((folder / "manifest.json").read_text())["files"].keys() == {"a.csv"}
