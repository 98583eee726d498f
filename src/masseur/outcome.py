"""How a session ended: the one type the runner returns, the summary prints and history keeps."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    FINISHED = "finished"
    QUIT = "quit"
    INTERRUPTED = "interrupted"


OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)
