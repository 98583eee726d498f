"""Single key presses during a session, read on a background thread.

The terminal is put in cbreak mode (keys arrive at once, unechoed; Ctrl-C still
interrupts) and always restored, even when the session ends with an exception; it is handed
back for Ctrl-Z (``release_terminal``) and taken again after ``fg`` (``retake_terminal``).
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from masseur.runner import Command

KEYS: dict[bytes, Command] = {
    b" ": Command.PAUSE,
    b"p": Command.PAUSE,
    b"n": Command.NEXT,
    b"\x1b[C": Command.NEXT,  # right arrow
    b"\x1bOC": Command.NEXT,
    b"b": Command.BACK,
    b"\x1b[D": Command.BACK,  # left arrow
    b"\x1bOD": Command.BACK,
    b"r": Command.REPEAT,
    b"q": Command.QUIT,
}


def parse_keys(data: bytes) -> list[Command]:
    """Turn raw terminal input (possibly several keys at once) into commands."""
    commands: list[Command] = []
    index = 0
    while index < len(data):
        for length in (3, 1):
            chunk = (
                data[index : index + length].lower()
                if length == 1
                else data[index : index + length]
            )
            if chunk in KEYS:
                commands.append(KEYS[chunk])
                index += length
                break
        else:
            index += 1  # a key masseur does not use
    return commands


class KeyReader:
    """Posts a Command for every key pressed on ``stream`` while the context is open."""

    def __init__(self, post: Callable[[Command], None], stream: IO[str] | None = None) -> None:
        self._post = post
        self._stream = stream if stream is not None else sys.stdin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: list[Any] | None = None

    def __enter__(self) -> KeyReader:
        import termios
        import tty

        fd = self._stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self._thread = threading.Thread(target=self._read, args=(fd,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.release_terminal()

    def release_terminal(self) -> None:
        """Give the terminal back as it was (cooked mode, echo): at the end, and for Ctrl-Z."""
        import termios

        if self._saved is not None:
            # A terminal that was closed (SIGHUP) cannot be set any more: nothing to restore.
            with contextlib.suppress(termios.error, OSError, ValueError):
                termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)

    def retake_terminal(self) -> None:
        """Keys at once and unechoed again, after the process was continued (``fg``)."""
        import termios
        import tty

        with contextlib.suppress(termios.error, OSError, ValueError):
            tty.setcbreak(self._stream.fileno())

    def _read(self, fd: int) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(fd, 32)
            except OSError:
                return
            if not data:
                return
            for command in parse_keys(data):
                self._post(command)
