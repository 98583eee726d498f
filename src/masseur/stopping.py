"""How masseur stops on a signal: noted, never raised mid-work, and ended with 128 + its number.

A Python signal handler that raises (as the default one for SIGINT does) can land anywhere,
including inside a lock's release, which then fails with ``RuntimeError: release unlocked
lock``; SIGTERM and SIGHUP by default end the process at once, with no clean-up at all. So
while a session or an export runs, these handlers only note the signal: a session hears of it
as a command on its clock (through a pipe and a thread, as a handler must not take a lock), an
export at the next place it checks (:func:`raise_if_stopped`). The exit status follows shell
convention: 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_SAID = {
    signal.SIGINT: "interrupted",
    signal.SIGTERM: "terminated",
    signal.SIGHUP: "hung up (the terminal was closed)",
}


def exit_status(signum: int) -> int:
    """The exit status a shell gives a program ended by signal ``signum``: 128 + its number."""
    return 128 + signum


def describe(signum: int) -> str:
    """What a stop signal means, in a few words for the last line masseur prints."""
    try:
        return _SAID.get(signal.Signals(signum), f"stopped by signal {signum}")
    except ValueError:
        return f"stopped by signal {signum}"


class SignalStop(KeyboardInterrupt):
    """A stop signal, raised where work may safely stop; the command exits with 128 + N.

    A KeyboardInterrupt, so that everything which already cleans up after Ctrl-C (temporary
    files, worker processes, the terminal) does the same for SIGTERM and SIGHUP.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """While open, SIGINT, SIGTERM and SIGHUP are noted, never raised.

    ``on_signal(signum)`` is called on a thread of this context's own for every stop signal
    (and for SIGTSTP while :meth:`catching_suspend` is open), so it may take locks and post to
    queues. ``first`` is the first stop signal received: it decides the exit status. Outside
    the main thread (where Python cannot set handlers) the context does nothing.
    """

    def __init__(self, on_signal: Callable[[int], None] | None = None) -> None:
        self.first: int | None = None
        self._on_signal = on_signal
        self._previous: dict[int, object] = {}
        self._pipe: tuple[int, int] | None = None
        self._listener: threading.Thread | None = None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        if self._on_signal is not None:
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            os.set_blocking(write_end, False)  # a handler must never block on a full pipe
            self._pipe = (read_end, write_end)
            self._listener = threading.Thread(
                target=self._listen, args=(read_end,), name="masseur-signals", daemon=True
            )
            self._listener.start()
        for signum in STOP_SIGNALS:
            self._install(signum)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum in list(self._previous):
            self._restore(signum)
        if self._pipe is not None:
            read_end, write_end = self._pipe
            os.close(write_end)  # the listener reads the end of the pipe and leaves
            if self._listener is not None:
                self._listener.join(timeout=1.0)
            os.close(read_end)
            self._pipe = None

    @contextlib.contextmanager
    def catching_suspend(self) -> Iterator[None]:
        """Ctrl-Z (SIGTSTP) is handed to ``on_signal`` too, instead of stopping the process
        with the terminal still in the session's hands."""
        if self._pipe is None:
            yield
            return
        self._install(signal.SIGTSTP)
        try:
            yield
        finally:
            self._restore(signal.SIGTSTP)

    def raise_if_stopped(self) -> None:
        """Raise SignalStop if a stop signal has come: called where work may stop."""
        if self.first is not None:
            raise SignalStop(self.first)

    # -- inside

    def _install(self, signum: int) -> None:
        self._previous[signum] = signal.signal(signum, self._note)

    def _restore(self, signum: int) -> None:
        previous = self._previous.pop(signum, None)
        if previous is not None:
            signal.signal(signum, previous)  # type: ignore[arg-type]

    def _note(self, signum: int, frame: FrameType | None) -> None:
        # Runs between two bytecodes of the main thread: no locks, nothing that can raise.
        if signum != signal.SIGTSTP and self.first is None:
            self.first = signum
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.write(self._pipe[1], bytes([signum]))

    def _listen(self, read_end: int) -> None:
        assert self._on_signal is not None
        while True:
            try:
                data = os.read(read_end, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                self._on_signal(signum)


def stop_this_process() -> None:
    """Stop as Ctrl-Z would, until continued (``fg``): after the terminal was handed back."""
    os.kill(os.getpid(), signal.SIGSTOP)


def let_go_of_a_closed_terminal() -> None:
    """Flush what is left for the terminal; if it was closed (SIGHUP), point standard output
    and error at /dev/null, so that exiting does not fail on the flush (Python would then exit
    with 120 instead of the status that says how masseur was stopped)."""
    import sys

    for descriptor, stream in ((1, sys.stdout), (2, sys.stderr)):
        try:
            stream.flush()
        except (OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, descriptor)
            os.close(null)
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
