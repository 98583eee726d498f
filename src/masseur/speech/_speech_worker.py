"""The child process that runs a speech engine; masseur.speech._worker_client starts it.

espeak-ng calls ``exit()`` when its data is missing, a C library can hang or crash, and the
Piper engine is a separately licensed program that masseur itself never imports: so each
engine lives here, in a process the session can kill and restart at will.

Protocol: requests arrive on stdin, one JSON object per line. Replies go to the file
descriptor that was stdout when the process started: one JSON line each, and for ``synth``
the line ``{"ok": true, "pcm": n}`` is followed by exactly n bytes of 16-bit little-endian
mono PCM. Anything else that writes to fd 1 (C code) lands in /dev/null.

This file imports nothing from masseur, so it is loaded by path (see
``_worker_client.default_worker_command``) and does not pay for (or depend on) importing the
package. Its ``main`` takes the arguments that follow the file's path.

Requests and replies:
  (at start)                            -> {"event": "ready", "espeak": "1.51", "data": path, ...}
                                           or {"event": "unavailable", "missing": ...}
  {"op": "voices"}                      -> {"ok": true, "voices": [...], "default": id}
  {"op": "synth", "text", "voice", "rate", "limit"}
                                        -> {"ok": true, "pcm": n} + n bytes, or {"ok": false, ...}
  {"op": "synth", ..., "into": path, "at": offset}
                                        -> {"ok": true, "wrote": n}: the n bytes of samples
                                           written into that existing file at that offset

Started as ``_speech_worker.py piper MODEL.onnx`` it speaks with that Piper voice instead.
Started as ``_speech_worker.py --twin IN,OUT`` (IN and OUT inherited descriptors of two more
pipes) it forks once its espeak-ng engine is ready: the twin, an engine in the very state of a
fresh one, answers over IN and OUT with the same protocol. A second engine for an export then
costs a fork, not another start of Python, pyttsx3 and espeak-ng (about 65 ms of a core).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading

# Names for type checkers only: importing typing would cost each engine's start 6 ms here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

# About one utterance in a thousand came out empty with espeak's asynchronous mode (never
# twice in a row); the synchronous one has not done so, but saying it again costs nothing.
EMPTY_RETRIES = 2
SAMPLE_RATE = 22050  # what masseur's cache, mixer and players expect
# Piper's length scale for a rate of r words per minute: SCALE_AT_1_WPM / r + SCALE_OFFSET.
# Fitted on routine sentences (with the pauses below) so that Piper takes as long as
# espeak-ng at the same rate: against the timeline's speech estimate (fitted to espeak-ng)
# the mean error was within 2 % and the mean absolute error 3 % from 120 to 200 wpm, as for
# espeak-ng itself. So --rate means the same pace on both engines.
SCALE_AT_1_WPM = 239.1
SCALE_OFFSET = -0.349
MIN_SCALE = 0.3  # faster than this Piper garbles words
# The pause espeak-ng makes after a sentence, in ms, at r words per minute is about
# PAUSE_MS_AT_150 * 150 / r + PAUSE_OFFSET_MS (411 ms at 150, 260 at 200: measured).
PAUSE_MS_AT_150 = 610.0
PAUSE_OFFSET_MS = -210.0
LEAD_MS = 20  # silence before the first word, as espeak-ng leaves
EDGE_MS = 10  # quiet kept at each end of Piper's sentences, so no word is cut hard
# Quieter than -40 dBFS (RMS over 2 ms) at a sentence's ends is breath and decay, not words.
QUIET_RMS = 328
RMS_WINDOW_MS = 2


def _send(channel: IO[bytes], message: dict[str, Any], payload: bytes = b"") -> None:
    # Two writes, not one of the line and the samples joined: that would copy the samples.
    channel.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
    if payload:
        channel.write(payload)
    channel.flush()


class Watchdog:
    """Ends the process if one piece of work outlasts its limit, so that it cannot linger
    once the parent (which gives up at about the same moment) has moved on.

    The process's interval timer, not a timer thread: SIGALRM's default action ends the
    process even while it is inside espeak-ng's C code, and arming it costs two system
    calls, where starting and cancelling a thread for each sentence took 0.16 ms of the
    engine's time. A forked twin has a timer of its own (timers are not inherited).
    """

    def __init__(self, limit: float) -> None:
        self._limit = max(limit, 0.001)  # 0 would disarm the timer, not fire it at once

    def __enter__(self) -> Watchdog:
        if hasattr(signal, "setitimer"):  # not on Windows: there masseur's own timeout is all
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, self._limit)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)


def _espeak_binding() -> Any:
    """pyttsx3's ctypes binding of espeak-ng, ``pyttsx3.drivers._espeak``.

    Loaded from its file, without running the ``pyttsx3`` package's own ``__init__``: that
    imports pyttsx3's engine and driver machinery (traceback, weakref, its driver proxy),
    none of which is used here, and took 14 ms of each engine's start. The binding itself
    imports only ctypes and time. Imported the usual way if the file is not where pyttsx3
    keeps it.
    """
    import importlib.util

    package = importlib.util.find_spec("pyttsx3")
    locations = list(package.submodule_search_locations or []) if package else []
    path = os.path.join(locations[0], "drivers", "_espeak.py") if locations else ""
    if not os.path.isfile(path):
        from pyttsx3.drivers import _espeak

        return _espeak
    spec = importlib.util.spec_from_file_location("pyttsx3.drivers._espeak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class EspeakEngine:
    """espeak-ng through pyttsx3's ctypes binding, driven synchronously: each call to Synth
    returns when the sentence is complete, its samples collected in memory by the callback.

    pyttsx3's own driver runs espeak on a thread of its own and polls it every 10 ms; the
    rate set before an utterance then sometimes reached espeak only after it had started.
    Here nothing runs concurrently, so the same text, voice and rate give the same bytes.
    """

    def __init__(self) -> None:
        _espeak = _espeak_binding()
        self.espeak = _espeak
        if _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
            raise RuntimeError("could not initialize espeak-ng")
        # espeak_Info also says where the engine's data is, which pyttsx3's binding drops.
        info_of = _espeak.dll.espeak_Info
        info_of.restype = ctypes.c_char_p
        data_path = ctypes.c_char_p()
        info = info_of(ctypes.byref(data_path))
        self.espeak_version = info.decode() if isinstance(info, bytes) else str(info)
        self.data_path: str | None = (data_path.value or b"").decode("utf-8", errors="replace")
        current = _espeak.GetCurrentVoice()
        named = current.contents.name.decode("utf-8") if current and current.contents.name else ""
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._collect)
        # The state pyttsx3's driver starts espeak in (its default voice, 200 wpm, full
        # volume) and a first utterance, as before: the audio masseur has always cached.
        self._set_voice(named or "gmw/en")
        self.default_voice = self._current_voice()
        _espeak.SetParameter(_espeak.RATE, 200, 0)
        _espeak.SetParameter(_espeak.VOLUME, 100, 0)
        self.synthesize("ok", None, 200)

    def _collect(self, wav: Any, samples: int, events: Any) -> int:
        if samples > 0:
            self._chunks.append(ctypes.string_at(wav, samples * 2))
        return 0

    def _set_voice(self, voice: str) -> None:
        if self.espeak.SetVoiceByName(voice.encode("utf-8")) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")

    def voices(self) -> list[dict[str, Any]]:
        return [
            {
                "id": voice.identifier.decode("utf-8").lower(),
                "name": voice.name.decode("utf-8", errors="replace"),
                "languages": self._languages(voice),
            }
            for voice in self.espeak.ListVoices(None)
        ]

    def _languages(self, voice: Any) -> list[str]:
        # espeak packs several languages as <priority byte><name>\0 ... \0; pyttsx3 declares the
        # field as a C string and so only sees the first. Read the raw bytes to get them all.
        address = ctypes.c_void_p.from_address(
            ctypes.addressof(voice) + type(voice).languages.offset
        ).value
        languages: list[str] = []
        if not address:
            return languages
        offset = 0
        while len(languages) < 16:
            priority = ctypes.c_ubyte.from_address(address + offset).value
            if priority == 0:
                break
            name = ctypes.string_at(address + offset + 1)
            if not name:
                break
            languages.append(name.decode("utf-8", errors="replace"))
            offset += len(name) + 2
        return languages

    def _current_voice(self) -> str:
        current = self.espeak.GetCurrentVoice()
        if not current or not current.contents.identifier:
            return ""
        return str(current.contents.identifier.decode("utf-8").lower())

    def synthesize(self, text: str, voice: str | None, rate: int) -> bytes:
        espeak = self.espeak
        if voice and self._current_voice() != voice:
            self._set_voice(voice)
        espeak.SetParameter(espeak.RATE, rate, 0)
        if espeak.GetParameter(espeak.RATE) != rate:
            raise ValueError(f"espeak-ng did not take the rate {rate}")
        pcm = b""
        for _attempt in range(EMPTY_RETRIES + 1):
            self._chunks = []
            espeak.Synth(text.encode("utf-8"), flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
            pcm = b"".join(self._chunks)
            if pcm:
                break
        return pcm


class PiperEngine:
    """One Piper voice (an ``.onnx`` model beside its ``.onnx.json``), at espeak-ng's pace:
    the same words per minute, and the same pauses between sentences."""

    def __init__(self, model: str) -> None:
        from piper import PiperVoice, SynthesisConfig

        self.voice = PiperVoice.load(model)
        self._config = SynthesisConfig
        self.espeak_version = "piper"
        self.data_path = None
        self.default_voice = model
        rate = int(self.voice.config.sample_rate)
        if rate != SAMPLE_RATE:
            raise ValueError(f"the voice speaks at {rate} Hz; masseur needs {SAMPLE_RATE} Hz")

    def voices(self) -> list[dict[str, Any]]:
        return []

    def synthesize(self, text: str, voice: str | None, rate: int) -> bytes:
        import numpy as np

        # Full volume without Piper's per-sentence normalisation: levels like espeak-ng's.
        scale = max(MIN_SCALE, SCALE_AT_1_WPM / rate + SCALE_OFFSET)
        config = self._config(length_scale=scale, normalize_audio=False, volume=1.0)
        pause_ms = max(100.0, PAUSE_MS_AT_150 * 150 / rate + PAUSE_OFFSET_MS)
        edge = SAMPLE_RATE * EDGE_MS // 1000
        pause = np.zeros(round(SAMPLE_RATE * pause_ms / 1000) - 2 * edge, dtype="<i2")
        parts = [np.zeros(SAMPLE_RATE * LEAD_MS // 1000 - edge, dtype="<i2")]
        for chunk in self.voice.synthesize(text, config):
            spoken = _trimmed(np.frombuffer(chunk.audio_int16_bytes, dtype="<i2"), edge)
            if spoken.size:
                parts += [spoken, pause]
        return b"".join(part.tobytes() for part in parts) if len(parts) > 1 else b""


def _trimmed(samples: Any, edge: int) -> Any:
    """A sentence from its first to its last sound above QUIET_RMS, faded in and out over
    ``edge`` samples: Piper ends sentences with a long quiet decay, which would keep the
    subtitle of a sentence on screen a tenth of a second after it is heard."""
    import numpy as np

    window = SAMPLE_RATE * RMS_WINDOW_MS // 1000
    whole = len(samples) // window * window
    power = np.mean(np.square(samples[:whole].reshape(-1, window).astype(np.float64)), axis=1)
    loud = np.flatnonzero(power >= QUIET_RMS**2)
    if not loud.size:
        return samples[:0]
    start = max(0, int(loud[0]) * window - edge)
    end = min(len(samples), (int(loud[-1]) + 1) * window + edge)
    part = samples[start:end].astype(np.float64)
    ramp = np.linspace(0.0, 1.0, min(edge, len(part) // 2))
    part[: len(ramp)] *= ramp
    part[len(part) - len(ramp) :] *= ramp[::-1]
    return np.rint(part).astype("<i2")


def _describe(error: BaseException) -> str:
    # One line; this process imports nothing from masseur, so not masseur.text.one_line.
    return " ".join(f"{type(error).__name__}: {error}".split())


Engine = EspeakEngine | PiperEngine


def handle(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request; an exception here becomes an error reply, not a dead worker.

    A ``synth`` reply carries its samples under ``pcm``, sent after the JSON line."""
    op = request.get("op")
    if op == "voices":
        return {"ok": True, "voices": engine.voices(), "default": engine.default_voice}
    if op == "synth":
        with Watchdog(float(request.get("limit", 30.0))):
            pcm = engine.synthesize(
                str(request["text"]), request.get("voice"), int(request["rate"])
            )
            into = request.get("into")
            if into is not None:
                write_into(str(into), int(request.get("at", 0)), pcm)
                return {"ok": True, "wrote": len(pcm)}
        return {"ok": True, "pcm": pcm}
    return {"ok": False, "error": f"unknown request {op!r}"}


def write_into(path: str, offset: int, pcm: bytes) -> None:
    """Write the samples into an existing file at ``offset``: a cache entry that masseur
    created and completes. Through a file, not the reply pipe, the samples are copied once
    on their way to the cache, and masseur reads them back in one call instead of in the
    pipe's many turns."""
    descriptor = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        view = memoryview(pcm)
        while view:  # a write may take less than it is given
            written = os.pwrite(descriptor, view, offset)
            view, offset = view[written:], offset + written
    finally:
        os.close(descriptor)


def serve(requests: IO[str], replies: IO[bytes], engine: Engine) -> None:
    for line in requests:
        if not line.strip():
            continue
        try:
            reply = handle(engine, json.loads(line))
        except Exception as error:
            reply = {"ok": False, "error": _describe(error)}
        pcm = reply.pop("pcm", None)
        if isinstance(pcm, bytes):
            reply["pcm"] = len(pcm)
            _send(replies, reply, pcm)
        else:
            _send(replies, reply)


def start_engine(replies: IO[bytes], make: Callable[[], Engine], needs: str) -> Engine | None:
    """Start the engine and say whether it worked: a ready or an unavailable message."""
    try:
        engine = make()
    except ImportError as error:
        _send(replies, {"event": "unavailable", "missing": needs, "error": _describe(error)})
        return None
    except Exception as error:
        missing = "espeak-ng" if needs == "pyttsx3" else "voice"
        _send(replies, {"event": "unavailable", "missing": missing, "error": _describe(error)})
        return None
    say_ready(replies, engine)
    return engine


def say_ready(replies: IO[bytes], engine: Engine) -> None:
    _send(
        replies,
        {
            "event": "ready",
            "espeak": engine.espeak_version,
            "data": engine.data_path,
            "default_voice": engine.default_voice,
            "pid": os.getpid(),
        },
    )


def claim_stdout() -> IO[bytes]:
    """Keep the real stdout for replies and point fd 1 (and sys.stdout) at /dev/null."""
    sys.stdout.flush()
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return os.fdopen(reply_fd, "wb")


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel end this process when its parent does (Linux; elsewhere the watch on
    the input pipe, :func:`leave_with_parent`, still ends it). ``parent``: the pid of the
    process that started this one, if known; if the parent is another by now, it has ended."""
    if not sys.platform.startswith("linux"):
        return
    if parent is None:
        parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(0)


PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
SIGKILL = 9


def fork_twin(engine: Engine, request_fd: int, reply_fd: int, replies: IO[bytes]) -> None:
    """Fork an engine that answers over ``request_fd`` and ``reply_fd``. This process returns
    at once; in the twin the call never returns (it serves, then exits).

    The twin lives as long as this process: the kernel ends it when this one ends, and this
    one never waits for it (SIGCHLD ignored, so the system reaps it).
    """
    import warnings

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    with warnings.catch_warnings():
        # Python 3.12+ warns of a fork with other threads running. The one other thread
        # here is espeak-ng's queue for its asynchronous mode, started by Initialize and
        # idle in the synchronous mode used here; the twin never calls into it.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            forked = os.fork()
        except OSError:  # no twin then: masseur sees its pipes close and starts another
            forked = -1
    if forked:
        os.close(request_fd)
        os.close(reply_fd)
        return
    try:  # the twin: nothing of the parent's conversation stays open here
        die_with_parent()
        replies.close()
        os.dup2(request_fd, sys.stdin.fileno())
        os.close(request_fd)
        twin_replies = os.fdopen(reply_fd, "wb")
        leave_with_parent(sys.stdin.fileno())
        say_ready(twin_replies, engine)
        with open(sys.stdin.fileno(), encoding="utf-8", closefd=False) as requests:
            serve(requests, twin_replies, engine)
    finally:
        os._exit(0)


def leave_with_parent(fd: int) -> None:
    """Exit at once when masseur closes its end of our input (it left, or was killed), even
    in the middle of an utterance: a thread waits for the pipe to hang up."""

    def watch() -> None:
        import select

        poller = select.poll()
        poller.register(fd, 0)  # hang-up and errors are always reported; data is not asked for
        while True:
            for _, happened in poller.poll():
                if happened & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def started_by() -> int | None:
    """The pid of the masseur that started this worker (``MASSEUR_WORKER_PARENT``), if said."""
    try:
        return int(os.environ["MASSEUR_WORKER_PARENT"])
    except (KeyError, ValueError):
        return None


def main(arguments: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if arguments is None else arguments
    die_with_parent(started_by())
    twin: tuple[int, int] | None = None
    if arguments[:1] == ["--twin"] and len(arguments) == 2:
        request_fd, reply_fd = arguments[1].split(",")
        twin = (int(request_fd), int(reply_fd))
    replies = claim_stdout()
    requests = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)  # noqa: SIM115
    if twin is None:
        leave_with_parent(sys.stdin.fileno())
    if arguments[:1] == ["piper"] and len(arguments) == 2:
        model = arguments[1]
        engine = start_engine(replies, lambda: PiperEngine(model), "piper-tts")
    else:
        engine = start_engine(replies, EspeakEngine, "pyttsx3")
    if engine is None:
        return 3
    if twin is not None:
        # Forked before any thread starts here (a fork copies only the calling thread);
        # until now the kernel ends this process if masseur ends (die_with_parent).
        fork_twin(engine, *twin, replies)
        leave_with_parent(sys.stdin.fileno())
    serve(requests, replies, engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
