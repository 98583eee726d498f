"""Standard streams that cannot crash masseur: closed ones, and encodings other than UTF-8."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import Any


class ClosedOutput(io.TextIOBase):
    """Stands in for a standard output that was closed: every write fails with one clear
    OSError (so ``masseur export -o - >&-`` reports it, instead of losing the export)."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"{self._name} is closed; nothing can be written to it")

    def flush(self) -> None:
        return None


def _reserve_closed_descriptors() -> set[int]:
    """Put /dev/null on standard descriptors that are closed; return which were.

    Otherwise the next file masseur opens would get descriptor 1 or 2, and whatever is
    printed (by masseur or a child process) would land inside that file.
    """
    closed: set[int] = set()
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            closed.add(descriptor)
            null = os.open(os.devnull, os.O_RDWR)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
    return closed


def prepare_standard_streams() -> None:
    """Make every standard stream safe to use before any command runs.

    Closed streams get stand-ins: stdin reads as empty (no terminal to ask on), a closed
    stdout fails with a clear message when written, a closed stderr swallows warnings.
    Text a stream's encoding cannot hold (Cyrillic under ``PYTHONIOENCODING=latin-1``, a
    file name that is not UTF-8) is written as ``\\u0420`` escapes instead of raising.
    """
    closed = _reserve_closed_descriptors()
    if sys.stdin is None or 0 in closed:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    if sys.stdout is None or 1 in closed:
        sys.stdout = ClosedOutput("standard output")
    if sys.stderr is None or 2 in closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):
        _replace_unencodable(stream)


def _replace_unencodable(stream: Any) -> None:
    if isinstance(stream, io.TextIOWrapper):
        # Already written to, or detached: leave it as it is.
        with contextlib.suppress(OSError, ValueError):
            stream.reconfigure(errors="backslashreplace")
