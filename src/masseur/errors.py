"""Exit codes and the one error type that every masseur module raises."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Every exit code masseur uses, in one place."""

    OK = 0
    FAILURE = 1  # something went wrong at run time (audio died, disk full, ...)
    BAD_INPUT = 2  # usage errors and invalid routine files
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class MasseurError(Exception):
    """A failure to report to the user as one line, without a traceback.

    ``location`` is where the problem is (``path:line:col`` or just a path);
    ``status`` is the exit code the CLI uses for it.
    """

    def __init__(
        self,
        message: str,
        *,
        location: str | None = None,
        status: ExitStatus = ExitStatus.FAILURE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.status = status

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class BadInput(MasseurError):
    """The user gave us something we cannot use: exit code 2."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message, location=location, status=ExitStatus.BAD_INPUT)
