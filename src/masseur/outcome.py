"""How a session ended: the one type the runner returns, the summary prints and history keeps."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    FINISHED = "finished"
    SKIPPED = "skipped"  # reached the end with every timed part skipped: not a session done
    QUIT = "quit"  # the q key
    INTERRUPTED = "interrupted"  # Ctrl-C (SIGINT)
    TERMINATED = "terminated"  # SIGTERM: the system or another program asked masseur to stop
    HUNG_UP = "hung_up"  # SIGHUP: the terminal was closed
    SOUND_LOST = "sound_lost"  # the sound device went away and --require-audio was given


OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)

STOPPED_EARLY: frozenset[Outcome] = frozenset(
    {Outcome.QUIT, Outcome.INTERRUPTED, Outcome.TERMINATED, Outcome.HUNG_UP, Outcome.SOUND_LOST}
)
"""Outcomes of a session that stopped before its end: `run --resume` can continue it."""
