"""Fakes for the runner: a scripted clock and a speech source that needs no synthesizer."""

from __future__ import annotations

import math
import random

from masseur.audio import Sound
from masseur.runner import Command
from masseur.timeline import Event


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
