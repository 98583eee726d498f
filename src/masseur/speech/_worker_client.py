"""Talking to one ``_speech_worker.py`` process: JSON lines in, JSON lines out, killable."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from masseur.speech.base import (
    INSTALL_ESPEAK,
    INSTALL_PIPER,
    INSTALL_PYTTSX3,
    SpeechFailed,
    SpeechTimeout,
    SpeechUnavailable,
)
from masseur.text import one_line

WORKER_SCRIPT = Path(__file__).with_name("_speech_worker.py")
WORKER_START_TIMEOUT_S = 10.0


def default_worker_command() -> list[str]:
    # -P: do not put the script's folder on sys.path (its module names could shadow others);
    # the worker imports nothing from masseur.
    return [sys.executable, "-P", str(WORKER_SCRIPT)]


def _die_with_parent() -> Callable[[], None] | None:
    """A function for the child, between fork and exec: the kernel kills it when masseur dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere the worker still leaves when its input
    pipe closes. libc is looked up here, in the parent, so that the child only makes one
    system call. The kernel's signal comes when the *thread* that started the worker ends,
    so workers are started on one thread that lives as long as masseur (:func:`_popen`).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        # The C library this process already has: ctypes.util.find_library would run
        # ldconfig, a process start of its own, before every worker.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # masseur died before the request took effect
            os._exit(1)

    return in_child


PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


_starter: concurrent.futures.ThreadPoolExecutor | None = None
_starter_lock = threading.Lock()


def _popen(command: list[str]) -> subprocess.Popen[bytes]:
    """Start a worker, on masseur's one process-starting thread, which never ends before
    masseur does: a worker started by a short-lived thread would die with that thread."""
    global _starter
    with _starter_lock:
        if _starter is None:
            _starter = concurrent.futures.ThreadPoolExecutor(1, "masseur-worker-start")
        starter = _starter

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=True,
            # Its own session: Ctrl-C in the terminal is for the session, not for the
            # engine, which we stop ourselves.
            start_new_session=True,
            # Never outlive masseur (kill -9 included), even in the middle of a sentence.
            preexec_fn=_die_with_parent(),
        )

    return starter.submit(start).result()


# A second of speech is 44 kB: through the default 64 kB pipe a long sentence went over in
# dozens of turns between the two processes, each waking the other.
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031  # from <fcntl.h> (Linux)


def _widen_pipe(fd: int) -> None:
    """Let the pipe hold a whole long sentence, where the system allows it (Linux)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", F_SETPIPE_SZ), PIPE_BYTES)


class Expired(Exception):
    """The deadline passed while waiting for the worker."""


class Worker:
    """One running ``_speech_worker.py``: JSON lines in, JSON lines out, killable."""

    def __init__(self, command: Sequence[str], deadline: float | None = None) -> None:
        """Start the process; with a ``deadline``, also wait until its engine is ready.

        Without one, the engine starts while the caller does other work, and the first
        request (or :meth:`wait_ready`) waits for it.
        """
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._buffer = bytearray()
        self.hello: dict[str, Any] | None = None
        try:
            self.process = _popen(list(command))
        except OSError as error:
            raise SpeechUnavailable(f"cannot start the speech engine ({error})") from None
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self._stdin_fd = self.process.stdin.fileno()
        self._stdout_fd = self.process.stdout.fileno()
        os.set_blocking(self._stdin_fd, False)
        _widen_pipe(self._stdout_fd)
        threading.Thread(
            target=self._drain_stderr, args=(self.process.stderr,), daemon=True
        ).start()
        self.exit_detail = ""
        if deadline is not None:
            self.wait_ready(deadline)

    def wait_ready(self, deadline: float) -> None:
        """Wait for the engine's first word: ready, or why it cannot work (raised)."""
        if self.hello is not None:
            return
        try:
            hello = self.receive(deadline)
        except Expired:
            self.kill()
            raise
        except SpeechFailed as error:
            # espeak-ng exits the process when its data is missing or damaged.
            detail = self.exit_detail or error.message
            raise SpeechUnavailable(
                f"speech needs espeak-ng, which is missing or broken (the engine {detail}); "
                f"{INSTALL_ESPEAK}"
            ) from None
        if hello.get("event") == "unavailable":
            self.kill()
            detail = one_line(str(hello.get("error", "")))
            if hello.get("missing") == "pyttsx3":
                raise SpeechUnavailable(f"speech needs pyttsx3 ({detail}); {INSTALL_PYTTSX3}")
            if hello.get("missing") == "piper-tts":
                raise SpeechUnavailable(f"Piper voices need piper-tts ({detail}); {INSTALL_PIPER}")
            if hello.get("missing") == "voice":
                raise SpeechUnavailable(f"the Piper voice cannot be used ({detail})")
            raise SpeechUnavailable(
                f"speech needs espeak-ng, which is missing or broken ({detail}); {INSTALL_ESPEAK}"
            )
        if hello.get("event") != "ready":
            self.kill()
            raise SpeechFailed(f"the speech engine said something unexpected: {hello!r:.200}")
        self.hello = hello

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        # Keep the last lines for error messages; never let a full pipe block the worker.
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self.stderr_tail.append(line.decode("utf-8", errors="replace").rstrip())

    def _died(self) -> SpeechFailed:
        try:
            status = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.kill()
            status = self.process.returncode
        time.sleep(0.01)  # let the stderr reader catch the last line
        last = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        self.exit_detail = f"exited with status {status}" + (f": {one_line(last)}" if last else "")
        return SpeechFailed(f"the speech engine stopped: it {self.exit_detail}")

    def send(self, message: dict[str, Any], deadline: float) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Expired
            _, writable, _ = select.select([], [self._stdin_fd], [], remaining)
            if not writable:
                continue
            try:
                written = os.write(self._stdin_fd, data)
            except BlockingIOError:
                continue
            except OSError:  # a broken pipe: the worker is gone
                raise self._died() from None
            data = data[written:]

    def _fill(self, deadline: float, enough: Callable[[], bool]) -> None:
        while not enough():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Expired
            readable, _, _ = select.select([self._stdout_fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._stdout_fd, 1 << 20)
            if not chunk:
                raise self._died()
            self._buffer += chunk  # a bytearray grows in place: no copy of what came before

    def receive(self, deadline: float) -> dict[str, Any]:
        """The next reply; a reply announcing ``pcm`` bytes gets them under ``pcm``."""
        self._fill(deadline, lambda: b"\n" in self._buffer)
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        try:
            message = json.loads(line)
        except ValueError:
            raise SpeechFailed(f"the speech engine sent garbage: {line[:200]!r}") from None
        if not isinstance(message, dict):
            raise SpeechFailed(f"the speech engine sent garbage: {line[:200]!r}")
        size = message.get("pcm")
        if isinstance(size, int):
            self._fill(deadline, lambda: len(self._buffer) >= size)
            message["pcm"] = bytes(self._buffer[:size])
            del self._buffer[:size]
        return message

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        self.wait_ready(deadline)
        self.send(message, deadline)
        return self.receive(deadline)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5.0)
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to leave (end of its input), kill it if it does not."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def ask_new_worker(command: Sequence[str], message: dict[str, Any], doing: str) -> dict[str, Any]:
    """Start a worker, send it one request, stop it; SpeechTimeout names what it was ``doing``."""
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    try:
        worker = Worker(command, deadline)
    except Expired:
        raise SpeechTimeout("the speech engine took too long to start") from None
    try:
        reply = worker.request(message, deadline)
    except Expired:
        worker.kill()
        raise SpeechTimeout(f"the speech engine took too long to {doing}") from None
    worker.close()
    return reply
