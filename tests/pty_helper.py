"""Run the real masseur in a pseudo-terminal of a given size, and read what it showed."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect

from conftest import home_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r")


def spawn_masseur(
    home: Path, *args: str, rows: int = 24, columns: int = 80, timeout: float = 30
) -> pexpect.spawn:
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", **home_env(home)}
    return pexpect.spawn(
        sys.executable,
        ["-m", "masseur", *args],
        env=env,
        dimensions=(rows, columns),
        timeout=timeout,
        encoding="utf-8",
    )


def plain(text: str) -> str:
    """Terminal output without colour and cursor codes."""
    return ANSI.sub("", text)
