"""A live session's speech: made ahead in timeline order, a few sentences held in memory.

The prefetcher synthesizes (or finds in the cache) every sentence's WAV on one thread; a
second thread reads and scales the next few sentences into Sounds, so that when a sentence
falls due, playing it costs nothing but the call to play. Only those few are held in
memory, whatever the routine's length.

A sentence that is not ready when it falls due is skipped after a short grace, except one
that carries safety words (the introduction, which says to stop if a warning applies): the
session waits for those, a bounded time, and says that the voice is being prepared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from masseur.audio import Sound
from masseur.phrases import phrases_for
from masseur.speech.base import Synthesizer, VoiceSettings
from masseur.speech.prefetch import Prefetcher
from masseur.timeline import Event, EventKind, Timeline

SPEECH_GRACE_S = 0.25  # how long a due sentence may wait for its synthesis before it is skipped
SAFETY_WAIT_S = 20.0  # how long a sentence with safety words is waited for (a cold start: ~0.3 s)
NOTICE_AFTER_S = 0.3  # a wait longer than this is shown on screen
AHEAD = 3  # sentences held ready after the one due


def safety_sentences(timeline: Timeline) -> Callable[[Event], bool]:
    """Which events carry safety words: the introduction (with the spoken contraindications,
    when they are spoken), and any sentence with the safety reminder in it."""
    reminder = phrases_for(timeline.language).safety

    def carries_safety(event: Event) -> bool:
        return event.kind is EventKind.INTRO or reminder in event.text

    return carries_safety


class SessionSpeech:
    """Speech for each spoken event of a timeline, a few sentences ahead of need."""

    def __init__(
        self, timeline: Timeline, settings: VoiceSettings, volume: float, synthesizer: Synthesizer
    ) -> None:
        self.settings = settings
        self.volume = volume
        self.synthesizer = synthesizer
        self.carries_safety = safety_sentences(timeline)
        self.events = timeline.spoken()
        self._positions: dict[Event, int] = {}
        for position, event in enumerate(self.events):
            self._positions.setdefault(event, position)
        self.prefetcher = Prefetcher(synthesizer, [(event.text, settings) for event in self.events])
        self._sounds: dict[str, Sound] = {}
        self._failed: set[str] = set()
        self._position = 0
        self._closed = False
        self._changed = threading.Condition()
        self.prefetcher.start()
        self._loader = threading.Thread(target=self._load_ahead, name="speech-load", daemon=True)
        self._loader.start()

    # -- what the runner and the session call

    def get(self, event: Event) -> Sound | None:
        """The sound of ``event``, or None if it is not ready in time (it is then skipped)."""
        wait = SAFETY_WAIT_S if self.carries_safety(event) else SPEECH_GRACE_S
        with self._changed:
            position = self._positions.get(event)
            if position is not None and position != self._position:
                self._position = position
                self._changed.notify_all()
        if position is None:  # not in the plan: made here, and not kept
            path = self.prefetcher.get(event.text, self.settings, timeout=wait)
            return None if path is None else Sound.from_wav(path).scaled(self.volume)
        return self._wait_for(event.text, wait)

    def wait_for_safety(self, notice: Callable[[], None]) -> None:
        """Before the session's clock starts: wait until the first sentence is ready if it
        carries safety words, calling ``notice`` once if that takes more than a moment."""
        if not self.events or not self.carries_safety(self.events[0]):
            return
        text = self.events[0].text
        with self._changed:
            self._position = 0  # the clock has not started: the session is at its start
            self._changed.notify_all()
        if self._wait_for(text, NOTICE_AFTER_S) is None and not self._given_up(text):
            notice()
            self._wait_for(text, SAFETY_WAIT_S)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self.prefetcher.close()
        self._loader.join(timeout=1.0)
        self.synthesizer.close()

    @property
    def held(self) -> int:
        """How many sentences are in memory now."""
        with self._changed:
            return len(self._sounds)

    # -- inside

    def _given_up(self, text: str) -> bool:
        return self._closed or text in self._failed or self.prefetcher.unavailable is not None

    def _wait_for(self, text: str, timeout: float) -> Sound | None:
        with self._changed:
            self._changed.wait_for(
                lambda: text in self._sounds or self._given_up(text), timeout=timeout
            )
            return self._sounds.get(text)

    def _window(self) -> list[str]:
        """The texts to hold: the one due and the next few distinct ones."""
        texts: dict[str, None] = {}
        for event in self.events[self._position :]:
            texts.setdefault(event.text)
            if len(texts) > AHEAD:
                break
        return list(texts)

    def _next_missing(self) -> str | None:
        """The first text of the window not loaded yet, once the rest are let go; waits."""
        with self._changed:
            while not self._closed and self.prefetcher.unavailable is None:
                window = self._window()
                for text in [text for text in self._sounds if text not in window]:
                    del self._sounds[text]
                missing = [t for t in window if t not in self._sounds and t not in self._failed]
                if missing:
                    return missing[0]
                self._changed.wait()
            self._changed.notify_all()  # wake anyone waiting for a sentence that will not come
            return None

    def _load_ahead(self) -> None:
        while (text := self._next_missing()) is not None:
            path = self.prefetcher.get(text, self.settings, timeout=0.5)
            if path is None:
                if any(failed == text for failed, _ in self.prefetcher.errors):
                    with self._changed:
                        self._failed.add(text)
                        self._changed.notify_all()
                continue
            sound = Sound.from_wav(path).scaled(self.volume)
            with self._changed:
                if text in self._window():
                    self._sounds[text] = sound
                self._changed.notify_all()
