"""masseur.atomic: a file is replaced whole or not at all, on the real file system."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from masseur import atomic


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".part"))


def test_a_replacement_filled_by_another_writer_becomes_the_target_when_committed(
    tmp_path: Path,
) -> None:
    target = tmp_path / "entry.wav"
    target.write_bytes(b"old")
    replacement = atomic.Replacement(target)
    with replacement.path.open("r+b") as other:  # as another process fills it, by its name
        other.write(b"new contents")
    assert target.read_bytes() == b"old"  # nothing changes until the commit
    os.pwrite(replacement.descriptor, b"N", 0)
    assert os.pread(replacement.descriptor, 12, 0) == b"New contents"  # read back through it
    replacement.commit()
    assert target.read_bytes() == b"New contents"
    assert temporaries(tmp_path) == []


def test_a_discarded_replacement_leaves_the_target_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "entry.wav"
    target.write_bytes(b"old")
    replacement = atomic.Replacement(target)
    os.write(replacement.descriptor, b"half")
    replacement.discard()
    replacement.discard()  # twice is harmless
    assert target.read_bytes() == b"old"
    assert temporaries(tmp_path) == []


def test_a_replacement_that_may_not_overwrite_keeps_an_existing_target(tmp_path: Path) -> None:
    target = tmp_path / "guide.md"
    replacement = atomic.Replacement(target, overwrite=False)
    os.write(replacement.descriptor, b"mine")
    target.write_text("made meanwhile")
    with pytest.raises(FileExistsError):
        replacement.commit()
    assert target.read_text() == "made meanwhile"
    assert temporaries(tmp_path) == []


def test_a_block_that_fails_leaves_no_temporary_file_and_the_target_as_it_was(
    tmp_path: Path,
) -> None:
    target = tmp_path / "config.toml"
    target.write_text("kept")
    with pytest.raises(RuntimeError), atomic.replacing(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("stopped")
    assert target.read_text() == "kept"
    assert temporaries(tmp_path) == []
    atomic.write_bytes(target, [b"who", b"le"])
    assert target.read_bytes() == b"whole"
