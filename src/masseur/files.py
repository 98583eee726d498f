"""Read the user's files without blocking on a FIFO or a device, and within a size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from masseur.errors import BadInput

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_regular_file(path: Path) -> BinaryIO:
    """Open ``path`` for reading; BadInput if it is not a regular file.

    The file is opened without blocking, so that a FIFO with no writer is refused at once
    instead of waiting forever; OSError (missing file, no permission...) passes through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise BadInput(f"is {kind}, not a regular file; give a file", location=str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular_file(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (so callers can tell it is
    too large); BadInput for special files, OSError as raised."""
    with open_regular_file(path) as handle:
        return handle.read(limit + 1)


def decode_text(raw: bytes, where: str) -> str:
    """``raw`` as UTF-8 text; BadInput naming the line where it stops being UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BadInput(
            "file is not valid UTF-8 text; save it as UTF-8", location=f"{where}:{line}:1"
        ) from None
