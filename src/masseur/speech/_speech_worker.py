"""The child process that runs pyttsx3; masseur.speech._worker_client starts it and talks to it.

pyttsx3's espeak driver can print to stdout, hang in ``runAndWait`` and keeps one engine per
process, so it lives here, in a process the session can kill and restart at will.

Protocol: one JSON object per line. Requests arrive on stdin; replies go to the file
descriptor that was stdout when the process started. Everything else that writes to fd 1
(pyttsx3's ``Audio saved to ...``, C code) lands in /dev/null.

This file imports nothing from masseur, so it is started by path with ``python -P`` and does
not pay for (or depend on) importing the package.

Requests and replies:
  (at start)                                    -> {"event": "ready", "espeak": "1.51", ...}
                                                   or {"event": "unavailable", "missing": ...}
  {"op": "voices"}                              -> {"ok": true, "voices": [...], "default": id}
  {"op": "synth", "text", "voice", "rate", "path", "limit"}
                                                -> {"ok": true, "frames": n} or {"ok": false, ...}
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import tempfile
import threading
import time
import wave
from typing import IO, Any

# How long a property change may take to reach espeak's command queue before we give up.
SETTLE_LIMIT_S = 2.0
# About one utterance in a thousand came out as an empty WAV (never twice in a row); say it again.
EMPTY_RETRIES = 2


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, ensure_ascii=False) + "\n")
    channel.flush()


def _wait_until(condition: Any, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


class Engine:
    """One pyttsx3 espeak engine, driven one utterance at a time."""

    def __init__(self) -> None:
        import pyttsx3

        self.engine = pyttsx3.init("espeak")
        from pyttsx3.drivers import _espeak

        self.espeak = _espeak
        info = _espeak.Info()
        self.espeak_version = info.decode() if isinstance(info, bytes) else str(info)
        self.default_voice = str(self.engine.getProperty("voice"))
        self.finished = threading.Event()
        self.engine.connect("finished-utterance", self._on_finished)
        self._warm_up()

    def _warm_up(self) -> None:
        # A new pyttsx3 engine counts as busy until its first runAndWait, so property changes
        # made before then wait in pyttsx3's queue and cannot be confirmed. One tiny utterance
        # gets it out of that state (and proves that espeak can really synthesize).
        handle, path = tempfile.mkstemp(prefix="masseur-warmup-", suffix=".wav")
        os.close(handle)
        try:
            self._speak_to(path, "ok", limit=10.0)
        finally:
            os.unlink(path)

    def _on_finished(self, name: object, completed: bool) -> None:
        self.finished.set()

    def voices(self) -> list[dict[str, Any]]:
        listed = []
        for voice in self.espeak.ListVoices(None):
            identifier = voice.identifier.decode("utf-8").lower()
            listed.append(
                {
                    "id": identifier,
                    "name": voice.name.decode("utf-8", errors="replace"),
                    "languages": self._languages(voice),
                }
            )
        return listed

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

    def synthesize(self, text: str, voice: str | None, rate: int, path: str, limit: float) -> int:
        engine = self.engine
        voice = voice or self.default_voice
        # pyttsx3 queues property changes and espeak applies them on its own thread; a
        # change made right after an utterance sometimes landed after the next one started
        # (the old rate was used). Wait until espeak reports the new value before speaking.
        if engine.getProperty("voice") != voice:
            engine.setProperty("voice", voice)
            if not _wait_until(lambda: engine.getProperty("voice") == voice, SETTLE_LIMIT_S):
                raise RuntimeError(f"espeak did not switch to voice {voice!r}")
        if engine.getProperty("rate") != rate:
            engine.setProperty("rate", rate)
            if not _wait_until(lambda: engine.getProperty("rate") == rate, SETTLE_LIMIT_S):
                raise RuntimeError(f"espeak did not switch to rate {rate}")
        frames = 0
        for _attempt in range(EMPTY_RETRIES + 1):
            frames = self._speak_to(path, text, limit)
            if frames > 0:
                break
        return frames

    def _speak_to(self, path: str, text: str, limit: float) -> int:
        engine = self.engine
        self.finished.clear()
        # One save_to_file per runAndWait: with several, only the last file is written.
        engine.save_to_file(text, path)
        # runAndWait has been seen to return before the file was written (when the previous
        # utterance's callback had not quite finished); the event is the signal to trust.
        engine.runAndWait()
        if not self.finished.wait(limit):
            # The parent gives up on us at about the same moment; do not linger as an orphan.
            os._exit(4)
        # The event fires from inside espeak's callback, which still has bookkeeping to do;
        # starting the next utterance before it returns can lose that utterance.
        _wait_until(lambda: not self.espeak.IsPlaying(), SETTLE_LIMIT_S)
        with wave.open(path, "rb") as written:
            return written.getnframes()


def _describe(error: BaseException) -> str:
    # One line; this process imports nothing from masseur, so not masseur.text.one_line.
    return " ".join(f"{type(error).__name__}: {error}".split())


def handle(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request; an exception here becomes an error reply, not a dead worker."""
    op = request.get("op")
    if op == "voices":
        return {"ok": True, "voices": engine.voices(), "default": engine.default_voice}
    if op == "synth":
        frames = engine.synthesize(
            str(request["text"]),
            request.get("voice"),
            int(request["rate"]),
            str(request["path"]),
            float(request.get("limit", 30.0)),
        )
        return {"ok": True, "frames": frames}
    return {"ok": False, "error": f"unknown request {op!r}"}


def serve(requests: IO[str], replies: IO[str], engine: Engine) -> None:
    for line in requests:
        if not line.strip():
            continue
        try:
            reply = handle(engine, json.loads(line))
        except Exception as error:
            reply = {"ok": False, "error": _describe(error)}
        _send(replies, reply)


def start_engine(replies: IO[str]) -> Engine | None:
    """Start pyttsx3 and say whether it worked: a ready or an unavailable message."""
    try:
        import pyttsx3  # noqa: F401
    except Exception as error:
        _send(replies, {"event": "unavailable", "missing": "pyttsx3", "error": _describe(error)})
        return None
    try:
        engine = Engine()
    except Exception as error:
        _send(replies, {"event": "unavailable", "missing": "espeak-ng", "error": _describe(error)})
        return None
    _send(
        replies,
        {
            "event": "ready",
            "espeak": engine.espeak_version,
            "default_voice": engine.default_voice,
            "pid": os.getpid(),
        },
    )
    return engine


def claim_stdout() -> IO[str]:
    """Keep the real stdout for replies and point fd 1 (and sys.stdout) at /dev/null."""
    sys.stdout.flush()
    reply_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return os.fdopen(reply_fd, "w", encoding="utf-8", buffering=1)


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


def main() -> int:
    replies = claim_stdout()
    requests = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)  # noqa: SIM115
    leave_with_parent(sys.stdin.fileno())
    engine = start_engine(replies)
    if engine is None:
        return 3
    serve(requests, replies, engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
