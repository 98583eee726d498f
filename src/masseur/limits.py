"""How big a session may get, checked from the routine before any timeline is built.

A routine file is small, but ``repeat`` and ``sides`` multiply its steps: without a bound a
170 KB file can plan over a million events and take gigabytes before anything is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from masseur.durations import format_duration

if TYPE_CHECKING:
    from masseur.routine import Routine

MAX_SESSION_MS = 24 * 3600 * 1000
"""The steps of one session may last a day at most."""
MAX_TIMED_PARTS = 5_000
"""Timed parts (one side of one repetition of a step) in one session."""
MAX_EVENTS = 20_000
"""Planned events (sentences, reminders, chimes) in one session."""

# Events outside the steps: introduction, halfway, end chime, ending words, end.
_EVENTS_AROUND_STEPS = 5
# Events one timed part can have besides its cues: chime, instruction, two countdowns.
_EVENTS_PER_PART = 4


def session_size_problem(routine: Routine) -> str | None:
    """Why ``routine`` makes too big a session, or None; counts without expanding it."""
    parts = events = steps_ms = 0
    for phase, step in routine.iter_steps():
        runs = len(phase.step_sides(step) or [None]) * step.repeat
        parts += runs
        events += runs * (_EVENTS_PER_PART + len(step.cues))
        steps_ms += runs * step.duration
    events += _EVENTS_AROUND_STEPS
    if steps_ms > MAX_SESSION_MS:
        return (
            f"the steps add up to {format_duration(steps_ms)} (sides and repeats included); "
            f"a session may last at most {format_duration(MAX_SESSION_MS)}: lower 'repeat' "
            "or 'duration', or split the routine"
        )
    if parts > MAX_TIMED_PARTS:
        return (
            f"the routine has {parts} timed parts (sides and repeats included); a session may "
            f"have at most {MAX_TIMED_PARTS}: lower 'repeat', or split the routine"
        )
    if events > MAX_EVENTS:
        return (
            f"the routine plans up to {events} spoken lines and chimes (cues, sides and repeats "
            f"included); a session may have at most {MAX_EVENTS}: use fewer cues or repeats, or "
            "split the routine"
        )
    return None
