"""Play a timeline against a monotonic clock.

Every event has an absolute deadline, ``origin + at``. The runner sleeps until that
deadline, never for "the length of a step", so small delays never add up: the last chime
of a two-hour session is as punctual as the first. Pausing moves ``origin`` forward by
exactly the paused time; skipping and going back move it to the start of another segment.

Speech policy (documented in the README):
- a chime plays at its time even if a sentence is still being spoken (they overlap);
- a sentence that falls due while another is being spoken waits for it to end, but the
  clock keeps running, so later events stay on time;
- when a new segment starts, sentences still waiting from the previous one are dropped;
- speech that is not synthesized when it falls due is skipped (the step is still shown
  and chimed) and reported once.
"""

from __future__ import annotations

import enum
import math
import queue
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from masseur.audio import AudioUnavailable, Playback, Player, Sound
from masseur.outcome import Outcome
from masseur.timeline import Event, EventKind, Part, Segment, Timeline

BACK_GRACE_MS = 3000  # "back" within this long of a segment's start goes to the one before
POLL_S = 0.05  # how often to look at the speech queue while a sentence is waiting


class Command(enum.Enum):
    PAUSE = "pause"  # toggles pause and resume
    NEXT = "next"
    BACK = "back"
    REPEAT = "repeat"
    QUIT = "quit"
    INTERRUPT = "interrupt"  # Ctrl-C (SIGINT)
    TERMINATE = "terminate"  # SIGTERM
    HANG_UP = "hang-up"  # SIGHUP: the terminal was closed
    SUSPEND = "suspend"  # Ctrl-Z (SIGTSTP): hand the terminal back and stop until `fg`


STOPS: dict[Command, Outcome] = {
    Command.QUIT: Outcome.QUIT,
    Command.INTERRUPT: Outcome.INTERRUPTED,
    Command.TERMINATE: Outcome.TERMINATED,
    Command.HANG_UP: Outcome.HUNG_UP,
}
"""The commands that end a session, and the outcome each gives."""


class Clock(Protocol):
    """Monotonic time, and a way to sleep that a key press can cut short."""

    def now(self) -> float: ...

    def wait_until(self, deadline: float) -> Command | None:
        """Sleep until ``deadline`` (seconds on ``now``'s scale) or the next command."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` and an inbox the keyboard thread posts to."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[Command] = queue.Queue()

    def now(self) -> float:
        return time.monotonic()

    def wait_until(self, deadline: float) -> Command | None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return self.inbox.get(timeout=min(remaining, 3600.0))
            except queue.Empty:
                continue


class SpeechSource(Protocol):
    def get(self, event: Event) -> Sound | None:
        """The synthesized speech for ``event``, or None if it is not ready in time."""
        ...


class Display(Protocol):
    tick_s: float | None  # how often the display wants to be redrawn (None: only on events)

    def update(self, status: Status) -> None: ...

    def event(self, event: Event, status: Status) -> None: ...


@dataclass
class Status:
    """What the display needs to draw the session at one moment."""

    timeline: Timeline
    position_ms: int = 0
    part: Part = Part.OPENING
    segment: int | None = None  # index into timeline.segments while part is STEPS
    paused: bool = False
    speaking: str = ""

    @property
    def current(self) -> Segment | None:
        return self.timeline.segments[self.segment] if self.segment is not None else None

    @property
    def next_index(self) -> int:
        """The segment after this place; len(segments) means the closing."""
        if self.part is Part.OPENING:
            return 0
        if self.segment is None:
            return len(self.timeline.segments)
        return self.segment + 1

    @property
    def upcoming(self) -> Segment | None:
        following = self.next_index
        if following < len(self.timeline.segments):
            return self.timeline.segments[following]
        return None


@dataclass
class SessionResult:
    outcome: Outcome
    elapsed_ms: int  # wall time from start to end, pauses included
    position_ms: int  # where in the timeline the session ended
    segments_done: int
    segments_skipped: int
    segments_total: int
    missed_speech: int = 0
    late_ms: list[float] = field(default_factory=list)  # how late each event fired
    stopped_at: int | None = None  # the timed part in progress when stopped (for --resume)


class SpeechChannel:
    """One voice: sentences play one after another, never on top of each other."""

    def __init__(self, player: Player) -> None:
        self._player = player
        self._current: Playback | None = None
        self._current_event: Event | None = None
        self._waiting: deque[tuple[Event, Sound]] = deque()

    @property
    def busy(self) -> bool:
        return self._current is not None and self._current.is_playing()

    @property
    def has_waiting(self) -> bool:
        return bool(self._waiting)

    @property
    def speaking(self) -> Event | None:
        return self._current_event if self.busy else None

    def say(self, event: Event, sound: Sound) -> None:
        if self.busy:
            self._waiting.append((event, sound))
        else:
            self._start(event, sound)

    def poll(self) -> Event | None:
        """Start the next waiting sentence if the voice is free; return its event."""
        if self._waiting and not self.busy:
            event, sound = self._waiting.popleft()
            self._start(event, sound)
            return event
        return None

    def drop_waiting(self) -> None:
        self._waiting.clear()

    def stop(self) -> None:
        self._waiting.clear()
        if self._current is not None:
            self._current.stop()
        self._current = None
        self._current_event = None

    def _start(self, event: Event, sound: Sound) -> None:
        self._current = self._player.play(sound)
        self._current_event = event


class Runner:
    """Executes one timeline; ``run()`` returns when the session ends or is stopped."""

    def __init__(
        self,
        timeline: Timeline,
        *,
        clock: Clock,
        player: Player,
        speech: SpeechSource | None,
        chimes: Callable[[str], Sound | None],
        display: Display | None = None,
        on_missed_speech: Callable[[Event], None] | None = None,
        start_ms: int = 0,
        on_suspend: Callable[[], None] | None = None,
    ) -> None:
        self.timeline = timeline
        self.clock = clock
        self.player = player
        self.speech = speech
        self.chimes = chimes
        self.display = display
        self.on_missed_speech = on_missed_speech
        self.voice = SpeechChannel(player)
        self.status = Status(timeline)
        self._events = list(timeline.events)
        self._jumped = False  # the next event enters its place even if it looks the same
        self._next = 0
        self._origin = 0.0
        self._started = 0.0
        self._visited: set[int] = set()
        self._skipped: set[int] = set()
        self._missed = 0
        self._late: list[float] = []
        self._start_ms = start_ms  # where in the timeline to begin (--from, --resume)
        # Hands the terminal back, stops the process until it is continued, takes it again.
        self.on_suspend = on_suspend
        self.sound_lost: AudioUnavailable | None = None  # why the session stopped, if it did

    # ------------------------------------------------------------------ public

    def run(self) -> SessionResult:
        self._started = self.clock.now()
        self._origin = self._started - self._start_ms / 1000
        self._next = next(
            (i for i, event in enumerate(self._events) if event.at_ms >= self._start_ms),
            len(self._events),
        )
        outcome = Outcome.FINISHED
        try:
            outcome = self._loop()
        except KeyboardInterrupt:
            outcome = Outcome.INTERRUPTED
        except AudioUnavailable as error:  # the player gives up only when sound is required
            self.sound_lost = error
            outcome = Outcome.SOUND_LOST
        finally:
            self.voice.stop()
            self.player.stop_all()
        return self._result(outcome)

    # ------------------------------------------------------------------ loop

    def _position_ms(self) -> int:
        return round((self.clock.now() - self._origin) * 1000)

    def _loop(self) -> Outcome:
        while self._next < len(self._events):
            event = self._events[self._next]
            deadline = self._origin + event.at_ms / 1000
            wake = deadline
            if self.voice.has_waiting:
                wake = min(wake, self.clock.now() + POLL_S)
            if self.display is not None and self.display.tick_s:
                wake = min(wake, self.clock.now() + self.display.tick_s)
            command = self.clock.wait_until(wake)
            if command is not None:
                stopped = self._handle(command)
                if stopped is not None:
                    return stopped
                continue
            started = self.voice.poll()
            if started is not None:
                self.status.speaking = started.text
            if self.clock.now() >= deadline:
                self._late.append((self.clock.now() - deadline) * 1000)
                self._fire(event)
                self._next += 1
            self._refresh()
        return Outcome.FINISHED

    def _refresh(self) -> None:
        self.status.position_ms = self._position_ms()
        speaking = self.voice.speaking
        self.status.speaking = speaking.text if speaking else ""
        if self.display is not None:
            self.display.update(self.status)

    def _fire(self, event: Event) -> None:
        if self._jumped or (event.part, event.segment) != (self.status.part, self.status.segment):
            self._enter(event)
        if event.kind is EventKind.CHIME:
            sound = self.chimes(event.sound or "step")
            if sound is not None:
                self.player.play(sound)
        elif event.kind.spoken:
            if event.kind is EventKind.STEP:
                self.voice.drop_waiting()
            self._say(event)
        if self.display is not None:
            self.status.position_ms = event.at_ms
            self.display.event(event, self.status)

    def _say(self, event: Event) -> None:
        if self.speech is None:
            return  # text-only session: nothing to say, nothing missed
        sound = self.speech.get(event)
        if sound is None:
            self._missed += 1
            if self.on_missed_speech is not None:
                self.on_missed_speech(event)
            return
        self.voice.say(event, sound)

    def _enter(self, event: Event) -> None:
        self._jumped = False
        self.status.part, self.status.segment = event.part, event.segment
        if event.segment is not None:
            self._visited.add(event.segment)

    # ------------------------------------------------------------------ commands

    def _handle(self, command: Command) -> Outcome | None:
        if command in STOPS:
            return STOPS[command]
        if command is Command.PAUSE:
            return self._pause()
        if command is Command.SUSPEND:
            self._suspend()
            return None
        if command is Command.NEXT:
            self._jump_to_segment(self.status.next_index, skipping=True)
        elif command is Command.BACK:
            current = self.status.current
            if current is None:
                if self.status.part is Part.OPENING:
                    return None  # nothing comes before the introduction
                target = len(self.timeline.segments) - 1  # from the ending, to the last step
            elif self._position_ms() - current.start_ms < BACK_GRACE_MS:
                target = max(0, current.index - 1)
            else:
                target = current.index
            self._jump_to_segment(target, skipping=False)
        elif command is Command.REPEAT:
            self._repeat_instruction()
        return None

    def _pause(self) -> Outcome | None:
        paused_at = self.clock.now()
        interrupted = self.voice.speaking
        self.voice.stop()
        self.player.stop_all()
        self.status.paused = True
        self._refresh()
        while True:
            command = self.clock.wait_until(math.inf)
            if command in STOPS:
                return STOPS[command]
            if command is Command.SUSPEND and self.on_suspend is not None:
                self.on_suspend()  # stays paused when continued; the pause holds the clock
            if command is Command.PAUSE:
                break
        self._origin += self.clock.now() - paused_at
        self.status.paused = False
        if interrupted is not None:
            self._say(interrupted)  # the sentence cut off by the pause is said again
        self._refresh()
        return None

    def _suspend(self) -> None:
        """Ctrl-Z: silence, hand the terminal back and stop; the clock waits until ``fg``."""
        if self.on_suspend is None:
            return
        stopped_at = self.clock.now()
        interrupted = self.voice.speaking
        self.voice.stop()
        self.player.stop_all()
        self.on_suspend()
        self._origin += self.clock.now() - stopped_at
        if interrupted is not None:
            self._say(interrupted)  # the sentence cut off by the stop is said again
        self._refresh()

    def _jump_to_segment(self, target: int, *, skipping: bool) -> None:
        segments = self.timeline.segments
        if skipping and self.status.segment is not None:
            self._skipped.add(self.status.segment)
        if target >= len(segments):
            # Past the last step: go to the ending (end chime and closing words).
            start_ms = segments[-1].end_ms if segments else 0
        else:
            start_ms = segments[max(0, target)].start_ms
            self._skipped.discard(max(0, target))
        self.voice.stop()
        self._origin = self.clock.now() - start_ms / 1000
        self._next = next(
            (i for i, event in enumerate(self._events) if event.at_ms >= start_ms),
            len(self._events),
        )
        self._jumped = True
        self._refresh()

    def _repeat_instruction(self) -> None:
        place = (self.status.part, self.status.segment)
        for event in self._events:
            if (event.part, event.segment) == place and event.kind in (
                EventKind.STEP,
                EventKind.INTRO,
            ):
                self.voice.stop()
                self._say(event)
                return

    def _result(self, outcome: Outcome) -> SessionResult:
        total = len(self.timeline.segments)
        position = min(self._position_ms(), self.timeline.total_ms)
        if outcome is Outcome.FINISHED:
            done = len(self._visited - self._skipped)
        else:
            # The segment being played when the session stopped was not finished.
            finished = {i for i in self._visited if self.timeline.segments[i].end_ms <= position}
            done = len(finished - self._skipped)
        stopped_at = None
        if outcome is not Outcome.FINISHED and total:
            # Stopped in the introduction: resume at the first part; in the ending: nothing left.
            stopped_at = self.status.segment
            if self.status.part is Part.OPENING:
                stopped_at = next(
                    (s.index for s in self.timeline.segments if s.end_ms > position), 0
                )
        if outcome is Outcome.FINISHED and total and done == 0:
            outcome = Outcome.SKIPPED
        return SessionResult(
            outcome=outcome,
            elapsed_ms=round((self.clock.now() - self._started) * 1000),
            position_ms=position,
            segments_done=done,
            segments_skipped=len(self._skipped),
            segments_total=total,
            missed_speech=self._missed,
            late_ms=self._late,
            stopped_at=stopped_at,
        )
