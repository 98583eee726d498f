"""Speech made ahead of need on a background thread, so a session never waits for the engine."""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path

from masseur.errors import MasseurError
from masseur.speech.base import SpeechFailed, SpeechUnavailable, Synthesizer, VoiceSettings

_Item = tuple[str, VoiceSettings]


class Prefetcher:
    """Synthesizes an ordered list of (text, settings) on a background thread, ahead of need.

    get() never waits longer than it is told; an item asked for before its turn jumps the
    queue. A sentence that failed (timeout, engine error) gives None; so does everything once
    speech turns out to be unavailable. ``errors`` keeps what went wrong, for a warning.
    """

    def __init__(
        self,
        synthesizer: Synthesizer,
        items: Sequence[tuple[str, VoiceSettings]],
        *,
        synthesis_timeout: float | None = None,
    ) -> None:
        self.synthesizer = synthesizer
        self.synthesis_timeout = synthesis_timeout
        self._queue: collections.deque[_Item] = collections.deque(dict.fromkeys(items))
        self._results: dict[_Item, Path | None] = {}
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._gave_up: MasseurError | None = None
        self.errors: list[tuple[str, MasseurError]] = []

    def start(self) -> None:
        with self._condition:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, name="masseur-speech-prefetch", daemon=True
            )
            self._thread.start()

    def get(self, text: str, settings: VoiceSettings, timeout: float) -> Path | None:
        item = (text, settings)
        self.start()
        with self._condition:
            if item not in self._results and not self._closed and self._gave_up is None:
                # Not made yet: put it first (a skip ahead, or a sentence not in the plan).
                with contextlib.suppress(ValueError):
                    self._queue.remove(item)
                self._queue.appendleft(item)
                self._condition.notify_all()
            self._condition.wait_for(
                lambda: item in self._results or self._closed or self._gave_up is not None,
                timeout=max(0.0, timeout),
            )
            return self._results.get(item)

    def ready(self, text: str, settings: VoiceSettings) -> bool:
        with self._condition:
            return self._results.get((text, settings)) is not None

    @property
    def unavailable(self) -> MasseurError | None:
        """Why speech stopped altogether, or None."""
        return self._gave_up

    def close(self) -> None:
        """Stop after the sentence in hand (the synthesizer is the caller's to close)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)

    def __enter__(self) -> Prefetcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _next_item(self) -> _Item | None:
        with self._condition:
            while True:
                if self._closed or self._gave_up is not None:
                    return None
                while self._queue:
                    item = self._queue.popleft()
                    if item not in self._results:
                        return item
                self._condition.wait()

    def _run(self) -> None:
        while (item := self._next_item()) is not None:
            text, settings = item
            path: Path | None = None
            try:
                path = self.synthesizer.synthesize(text, settings, self.synthesis_timeout)
            except SpeechUnavailable as error:
                with self._condition:
                    self.errors.append((text, error))
                    self._gave_up = error
                    self._condition.notify_all()
                return
            except MasseurError as error:
                self.errors.append((text, error))
            except Exception as error:  # a bug must not kill the thread silently mid-session
                self.errors.append((text, SpeechFailed(f"{type(error).__name__}: {error}")))
            with self._condition:
                self._results[item] = path
                self._condition.notify_all()
