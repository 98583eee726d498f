"""Exports to places that are not ordinary files, and to a disk that fills up: the special
file is never replaced, a full disk is one line, and nothing half-written stays behind."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import home_env

ROUTINE = "name: t\ntitle: T\ndescription: d\nsteps:\n  - say: Rub the foot.\n    duration: 5\n"


def masseur(home: Path, *args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    def limit_file_size() -> None:  # a disk that is full after limit_bytes, for this process
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "masseur", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **home_env(home)},
        timeout=120,  # only a hang reaches it
        preexec_fn=limit_file_size,
    )


def test_dev_null_stays_a_device(tmp_path: Path) -> None:
    for extra in ([], ["--force"]):
        result = masseur(tmp_path, "export", "toes", "-f", "md", "-o", os.devnull, *extra)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_node_is_written_into_never_replaced(tmp_path: Path) -> None:
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null, ours
    for fmt in ("txt", "wav"):
        result = masseur(tmp_path, "export", "toes", "-f", fmt, "-o", str(node), "--force")
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(node.lstat().st_mode)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cache", "null"]


def test_a_named_pipe_gets_the_export_as_a_stream(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = masseur(tmp_path, "export", "toes", "-f", "txt", "-o", str(pipe), "--force")
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    expected = masseur(tmp_path, "export", "toes", "-f", "txt").stdout
    assert received == [expected.encode("utf-8")]
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_a_named_pipe_nobody_reads_is_one_line_not_a_hang(tmp_path: Path) -> None:
    folder = tmp_path / "pipes"
    folder.mkdir()
    pipe = folder / "pipe"
    os.mkfifo(pipe)
    result = masseur(tmp_path, "export", "toes", "-f", "txt", "-o", str(pipe), "--force")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"masseur: nothing is reading from the named pipe {pipe}; start the program that "
        "reads it first"
    ]
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert sorted(path.name for path in folder.iterdir()) == ["pipe"]


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    """The file size limit stands in for a full disk: writes past it fail (EFBIG), as they
    would with ENOSPC, in the middle of the audio."""
    from masseur.export import available_audio_formats

    if fmt not in available_audio_formats():
        pytest.skip(f"{fmt} cannot be written here")
    routine = tmp_path / "long.yaml"
    routine.write_text(ROUTINE.replace("duration: 5", "duration: 20m"))
    warm = masseur(tmp_path, "export", str(routine), "-o", str(tmp_path / "warm.wav"))
    assert warm.returncode == 0, warm.stderr  # the speech is in the cache: only audio is written
    (tmp_path / "warm.wav").unlink()
    out = tmp_path / "out"
    out.mkdir()
    result = masseur(
        tmp_path, "export", str(routine), "-o", str(out / f"session.{fmt}"), limit_bytes=100_000
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot write {out / f'session.{fmt}'}" in lines[0], lines
    assert list(out.iterdir()) == []
