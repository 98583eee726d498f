"""Test doubles: a scripted clock, a speech source that needs no synthesizer, a fake synthesizer."""

from __future__ import annotations

import array
import math
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from masseur.audio import Playback, Sound
from masseur.runner import Command
from masseur.speech import SpeechTimeout, VoiceSettings
from masseur.speech.base import check_request
from masseur.speech.estimate import estimate_speech_ms
from masseur.speech.synthesizer import cache_key
from masseur.text import quote
from masseur.timeline import Event
from masseur.wav import SAMPLE_RATE, wav_frames, write_wav


class FakeClock:
    """Time that moves only when the runner waits; commands arrive at scripted times.

    ``jitter_s`` makes every wake-up late by a random amount, like a real scheduler.
    """

    def __init__(
        self,
        script: list[tuple[float, Command]] | None = None,
        *,
        jitter_s: float = 0.0,
        seed: int = 1,
    ) -> None:
        self.t = 1000.0  # any origin: the runner must not assume the clock starts at zero
        self.start = self.t
        self.script = sorted(script or [], key=lambda item: item[0])
        self.jitter_s = jitter_s
        self.random = random.Random(seed)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)

    def wait_until(self, deadline: float) -> Command | None:
        if self.script and self.start + self.script[0][0] <= deadline:
            at, command = self.script.pop(0)
            self.t = max(self.t, self.start + at)
            return command
        if math.isinf(deadline):
            raise AssertionError("the runner waits forever and no command is scripted")
        self.t = max(self.t, deadline) + self.random.uniform(0, self.jitter_s)
        return None

    def elapsed(self, moment: float) -> float:
        return moment - self.start


class FakeSpeech:
    """Returns silent speech of a given length per event and remembers which is which."""

    def __init__(
        self,
        length_ms: float | None = None,
        *,
        missing: set[str] | None = None,
        by_kind: dict[str, float] | None = None,
    ) -> None:
        self.length_ms = length_ms
        self.by_kind = by_kind or {}
        self.missing = missing or set()
        self.by_sound: dict[int, Event] = {}
        self.requests: list[Event] = []

    def get(self, event: Event) -> Sound | None:
        self.requests.append(event)
        if event.text in self.missing:
            return None
        length = self.by_kind.get(event.kind.value, self.length_ms)
        if length is None:
            length = event.estimated_ms
        sound = Sound.silence(length, 22050)
        self.by_sound[id(sound)] = event
        return sound


def _voice_language(voice: str | None) -> str:
    """A language for the estimator from a voice id or language code (gmw/en-us -> en-us)."""
    if not voice:
        return "en"
    return voice.rsplit("/", 1)[-1]


class FakeSynthesizer:
    """A quiet tone as long as estimate_speech_ms says, and a record of each call.

    ``delay_s`` makes every call take that long (a timeout shorter than it raises
    SpeechTimeout after the timeout), to test callers against a slow engine.
    """

    TONE_HZ = 220.0
    AMPLITUDE = 1000  # about -30 dBFS

    def __init__(self, out_dir: Path | None = None, *, delay_s: float = 0.0) -> None:
        self._own_dir = out_dir is None
        self.out_dir = out_dir or Path(tempfile.mkdtemp(prefix="masseur-fake-speech-"))
        self.delay_s = delay_s
        self.calls: list[tuple[str, VoiceSettings]] = []
        self._lock = threading.Lock()

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        check_request(text, settings)
        with self._lock:
            self.calls.append((text, settings))
        if self.delay_s > 0:
            if timeout is not None and timeout < self.delay_s:
                time.sleep(max(0.0, timeout))
                raise SpeechTimeout(f"speech for {quote(text)} was not ready in time")
            time.sleep(self.delay_s)
        key = cache_key("fake", settings.voice or "", settings.rate, text)
        path = self.out_dir / f"{key}.wav"
        if wav_frames(path) is None:
            length_ms = estimate_speech_ms(text, settings.rate, _voice_language(settings.voice))
            write_wav(path, self.tone(length_ms))
        return path

    @classmethod
    def tone(cls, length_ms: int) -> bytes:
        frames = max(1, round(length_ms * SAMPLE_RATE / 1000))
        step = 2 * math.pi * cls.TONE_HZ / SAMPLE_RATE
        samples = array.array(
            "h", (round(cls.AMPLITUDE * math.sin(step * i)) for i in range(frames))
        )
        if sys.byteorder == "big":
            samples.byteswap()
        return samples.tobytes()

    def close(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.out_dir, ignore_errors=True)


@dataclass
class RecordedPlay:
    """One ``play()`` seen by a RecordingPlayer."""

    started_at: float  # the player's clock when play() was called
    sound: Sound
    stopped_at: float | None = None  # the clock when it was stopped, if it was

    @property
    def ends_at(self) -> float:
        natural_end = self.started_at + self.sound.duration_ms / 1000.0
        if self.stopped_at is None:
            return natural_end
        return min(natural_end, self.stopped_at)


class _RecordedPlayback:
    def __init__(self, player: RecordingPlayer, record: RecordedPlay) -> None:
        self._player = player
        self.record = record

    def is_playing(self) -> bool:
        return self._player.clock() < self.record.ends_at

    def stop(self) -> None:
        now = self._player.clock()
        if now < self.record.ends_at:
            self.record.stopped_at = now
        self._player.stops.append((now, self.record.sound))

    def wait(self, timeout: float | None = None) -> bool:
        remaining = self.record.ends_at - self._player.clock()
        if remaining <= 0:
            return True
        self._player.sleep(remaining if timeout is None else min(remaining, max(0.0, timeout)))
        return not self.is_playing()


@dataclass
class RecordingPlayer:
    """A fake player for tests: plays nothing, but notes what would have played and when.

    ``clock`` gives the time in seconds (``time.monotonic`` or a test's fake clock);
    ``sleep`` is what ``Playback.wait`` uses to let time pass (a fake clock's own sleep
    advances it). A sound counts as playing from its ``play()`` until its length has passed
    on ``clock``, or until it is stopped.
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    history: list[RecordedPlay] = field(default_factory=list)
    # (time, sound) for every Playback.stop() call, and for every sound still playing when
    # stop_all() was called.
    stops: list[tuple[float, Sound]] = field(default_factory=list)
    stop_all_calls: list[float] = field(default_factory=list)

    @property
    def plays(self) -> list[tuple[float, Sound]]:
        """(start time, sound) for every play() so far, in order."""
        return [(record.started_at, record.sound) for record in self.history]

    def play(self, sound: Sound) -> Playback:
        record = RecordedPlay(self.clock(), sound)
        self.history.append(record)
        return _RecordedPlayback(self, record)

    def stop_all(self) -> None:
        now = self.clock()
        self.stop_all_calls.append(now)
        for record in self.history:
            if record.stopped_at is None and now < record.ends_at:
                record.stopped_at = now
                self.stops.append((now, record.sound))
