"""Talking to one ``_speech_worker.py`` process: JSON lines in, JSON lines out, killable."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import json
import os
import select
import signal
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


# The worker's file is loaded as a module, not run as a script: Python compiles a script
# afresh at every start (8 ms of each engine's start here), while a module comes from the
# bytecode cached beside it (compiled when masseur was installed, or on the first run).
_LOAD_WORKER = (
    "import importlib.util as u, sys; "
    "s = u.spec_from_file_location('_speech_worker', sys.argv[1]); "
    "m = u.module_from_spec(s); s.loader.exec_module(m); sys.exit(m.main(sys.argv[2:]))"
)


def default_worker_command() -> list[str]:
    # -P: no folder goes on sys.path before the standard ones (the current one could hold
    # modules that shadow them); the worker imports nothing from masseur.
    return [sys.executable, "-P", "-c", _LOAD_WORKER, str(WORKER_SCRIPT)]


# The worker asks the kernel to end it when masseur ends (PR_SET_PDEATHSIG, Linux), first
# thing; this says which process started it, so that it can tell if masseur ended before.
# Asked in the child between fork and exec instead, the request made every start a full
# fork of masseur (preexec_fn rules out vfork): 15-20 ms of masseur's time here, not 1.
PARENT_VARIABLE = "MASSEUR_WORKER_PARENT"


_starter: concurrent.futures.ThreadPoolExecutor | None = None
_starter_lock = threading.Lock()


def _popen(command: list[str], pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
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
            pass_fds=pass_fds,
            # Its own session: Ctrl-C in the terminal is for the session, not for the
            # engine, which we stop ourselves.
            start_new_session=True,
            # Never outlive masseur (kill -9 included), even in the middle of a sentence:
            # the kernel's signal comes when the *thread* that started the worker ends.
            env={**os.environ, PARENT_VARIABLE: str(os.getpid())},
        )

    return starter.submit(start).result()


class _Twin:
    """What :class:`Worker` needs of a process, for a twin: an engine the worker forked (see
    ``_speech_worker.py --twin``). It is not masseur's child, so it is known by the pid its
    ready message gives, and it ends when its worker ends."""

    def __init__(self, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.stdin: IO[bytes] | None = stdin
        self.stdout: IO[bytes] | None = stdout
        self.stderr = stderr
        self.pid: int | None = None  # from its ready message
        self.returncode: int | None = None
        self.gone = False  # its reply pipe was closed: it has ended

    def poll(self) -> int | None:
        if self.returncode is None and (self.gone or not self._exists()):
            self.returncode = -signal.SIGKILL if not self.gone else 0
        return self.returncode

    def _exists(self) -> bool:
        if self.pid is None:
            return True  # not ready yet; it cannot have been reaped before saying so
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.gone = True
        self.returncode = -signal.SIGKILL

    def wait(self, timeout: float | None = None) -> int:
        """Wait until it has ended: its pid is gone, or its reply pipe closes (what is still
        in it is dropped), which tells even where no one reaps it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            remaining = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if remaining <= 0:
                raise subprocess.TimeoutExpired("speech engine twin", timeout or 0.0)
            if self.stdout is None or self.stdout.closed:
                time.sleep(remaining)
                continue
            readable, _, _ = select.select([self.stdout.fileno()], [], [], remaining)
            if readable and not os.read(self.stdout.fileno(), 1 << 16):
                self.gone = True
        assert self.returncode is not None
        return self.returncode


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

    def __init__(
        self, command: Sequence[str], deadline: float | None = None, *, twin: bool = False
    ) -> None:
        """Start the process; with a ``deadline``, also wait until its engine is ready.

        Without one, the engine starts while the caller does other work, and the first
        request (or :meth:`wait_ready`) waits for it. With ``twin`` (espeak-ng only), the
        worker forks a second engine once it is ready, given as :attr:`twin` (see
        ``_speech_worker.py``); it ends with this one.
        """
        self.twin: Worker | None = None
        self.parent: Worker | None = None  # for a twin: the worker it was forked from
        twin_ends: list[int] = []
        arguments = list(command)
        if twin:
            request_read, request_write = os.pipe()
            reply_read, reply_write = os.pipe()
            twin_ends = [request_read, reply_write]
            arguments += ["--twin", f"{request_read},{reply_write}"]
        try:
            try:
                process = _popen(arguments, twin_ends)
            except OSError as error:
                raise SpeechUnavailable(f"cannot start the speech engine ({error})") from None
        except BaseException:
            if twin:
                for fd in (request_read, request_write, reply_read, reply_write):
                    os.close(fd)
            raise
        self._attach(process)
        if twin:
            for fd in twin_ends:  # the worker has them now
                os.close(fd)
            assert process.stderr is not None
            self.twin = Worker.__new__(Worker)
            self.twin.twin = None
            self.twin.parent = self
            self.twin._attach(
                _Twin(os.fdopen(request_write, "wb"), os.fdopen(reply_read, "rb"), process.stderr),
                drain_stderr=False,  # one stream for both, read by this worker
            )
        if deadline is not None:
            self.wait_ready(deadline)

    def _attach(
        self, process: subprocess.Popen[bytes] | _Twin, *, drain_stderr: bool = True
    ) -> None:
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._buffer = bytearray()
        self.hello: dict[str, Any] | None = None
        self.exit_detail = ""
        # Sent before they were asked for (ask_ahead), their replies not yet taken.
        self._ahead: collections.deque[dict[str, Any]] = collections.deque()
        self.process = process
        assert process.stdin and process.stdout and process.stderr
        self._stdin_fd = process.stdin.fileno()
        self._stdout_fd = process.stdout.fileno()
        os.set_blocking(self._stdin_fd, False)
        _widen_pipe(self._stdout_fd)
        if drain_stderr:
            threading.Thread(target=self._drain_stderr, args=(process.stderr,), daemon=True).start()

    def wait_ready(self, deadline: float) -> None:
        """Wait for the engine's first word: ready, or why it cannot work (raised)."""
        if self.hello is not None:
            return
        try:
            hello = self._receive_one(deadline)  # first, before any reply asked ahead
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
        if isinstance(self.process, _Twin) and isinstance(hello.get("pid"), int):
            self.process.pid = hello["pid"]
        self.hello = hello

    def ready_now(self) -> bool:
        """Whether the engine has said it is ready, without waiting for it to: its first
        word is taken if it has come (a failure to start is raised, as by wait_ready)."""
        if self.hello is not None:
            return True
        if b"\n" not in self._buffer:
            readable, _, _ = select.select([self._stdout_fd], [], [], 0)
            if not readable:
                return False
        # Its first line has begun to arrive (it is written at once): the rest follows.
        self.wait_ready(time.monotonic() + 5.0)
        return True

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        # Keep the last lines for error messages; never let a full pipe block the worker.
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self.stderr_tail.append(line.decode("utf-8", errors="replace").rstrip())

    def _died(self) -> SpeechFailed:
        if isinstance(self.process, _Twin):
            self.process.gone = True  # its end of the reply pipe is closed
        try:
            status: int | None = self.process.wait(timeout=2.0)
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

    def _readable(self, deadline: float) -> bool:
        """Wait until the worker's replies can be read (True) or a while has passed
        (False, to be asked again); Expired once the deadline is past."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Expired
        readable, _, _ = select.select([self._stdout_fd], [], [], remaining)
        return bool(readable)

    def _fill(self, deadline: float, enough: Callable[[], bool]) -> None:
        while not enough():
            if not self._readable(deadline):
                continue
            chunk = os.read(self._stdout_fd, 1 << 20)
            if not chunk:
                raise self._died()
            self._buffer += chunk  # a bytearray grows in place: no copy of what came before

    def ask_ahead(self, message: dict[str, Any], deadline: float) -> None:
        """Send ``message`` now, even before the engine is ready, and keep its reply for the
        :meth:`request` of the same message; any other request first skips that reply."""
        self.send(message, deadline)
        self._ahead.append(message)

    def receive(self, deadline: float) -> dict[str, Any]:
        """The next reply; a reply announcing ``pcm`` bytes gets them under ``pcm`` (a
        bytearray)."""
        while self._ahead:  # asked ahead and not wanted after all: their replies come first
            self._ahead.popleft()
            self._receive_one(deadline)
        return self._receive_one(deadline)

    def _receive_one(self, deadline: float) -> dict[str, Any]:
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
            message["pcm"] = self._read_exactly(max(0, size), deadline)
        return message

    def _read_exactly(self, size: int, deadline: float) -> bytearray:
        """The next ``size`` bytes, read straight into one buffer: a sentence's megabytes are
        not copied from piece to piece on their way."""
        data = bytearray(size)
        view = memoryview(data)
        taken = min(size, len(self._buffer))
        view[:taken] = self._buffer[:taken]
        del self._buffer[:taken]
        while taken < size:
            if not self._readable(deadline):
                continue
            count = os.readv(self._stdout_fd, [view[taken:]])
            if not count:
                raise self._died()
            taken += count
        return data

    def has_reply(self) -> bool:
        """Whether a reply has begun to arrive (read already, not yet taken)."""
        return bool(self._buffer)

    def fileno(self) -> int:
        """What to wait on (select) for the next reply."""
        return self._stdout_fd

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        self.wait_ready(deadline)
        if self._ahead and self._ahead[0] == message:
            self._ahead.popleft()  # sent already: its reply is the next one
            return self._receive_one(deadline)
        self.send(message, deadline)
        return self.receive(deadline)

    def alive(self) -> bool:
        # A twin ends with its worker (the kernel ends it), perhaps not yet seen as gone.
        return self.process.poll() is None and (self.parent is None or self.parent.alive())

    def kill(self) -> None:
        if self.twin is not None:  # not taken into use: it would end with this one anyway
            self.twin.kill()
            self.twin = None
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5.0)
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to leave (end of its input), kill it if it does not."""
        if self.twin is not None:
            self.twin.close()
            self.twin = None
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


def first_to_reply(workers: Sequence[Worker], deadlines: Sequence[float]) -> int:
    """Which of ``workers`` (each waiting for a reply by its deadline) to read next: one whose
    reply has begun to come, waiting for the first; when the nearest deadline passes first,
    that worker (reading it then reports the timeout)."""
    for number, worker in enumerate(workers):
        if worker.has_reply():
            return number
    nearest = min(range(len(workers)), key=lambda number: deadlines[number])
    remaining = deadlines[nearest] - time.monotonic()
    if remaining <= 0:
        return nearest
    readable, _, _ = select.select([worker.fileno() for worker in workers], [], [], remaining)
    if not readable:
        return nearest
    return next(number for number, worker in enumerate(workers) if worker.fileno() in readable)


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
