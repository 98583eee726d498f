"""How a session ended: the one type the runner returns, the summary prints and history keeps."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    FINISHED = "finished"
    SKIPPED = "skipped"  # reached the end with every timed part skipped: not a session done
    QUIT = "quit"
    INTERRUPTED = "interrupted"


OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)
