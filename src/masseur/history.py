"""The session log: one JSON line per session in ``<data dir>/history.jsonl``.

Writing is one ``os.write`` of one whole line to a file opened with ``O_APPEND``, so two
sessions that end at the same moment never mix their lines. Reading forgives: a damaged or
half-written line (the machine lost power mid-write) is skipped with a warning, never fatal.

The log is read as a stream, one line at a time, keeping only the sessions that are shown
and the totals: a log of hundreds of megabytes costs time, not memory.

Days, weeks and months are counted in the user's local time zone: a session at 00:30 on
Tuesday belongs to Tuesday wherever the record was written.
"""

from __future__ import annotations

import heapq
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cached_property
from pathlib import Path

from masseur import paths
from masseur.errors import BadInput, MasseurError
from masseur.files import open_regular_file
from masseur.outcome import OUTCOMES, Outcome

HISTORY_FILE_NAME = "history.jsonl"
MAX_LINE_BYTES = 64 * 1024
"""A longer line is not a session masseur wrote; it is skipped as damaged."""
MAX_WARNINGS = 20
"""Damaged lines reported one by one; the rest are counted."""


# Fields whose type __post_init__ does not check itself.
_CONTAINER_TYPES: dict[str, type] = {
    "routine": str,
    "title": str,
    "started_at": str,
    "options": dict,
}


def history_path() -> Path:
    return paths.data_dir() / HISTORY_FILE_NAME


def _aware(timestamp: str) -> datetime:
    """Parse an ISO 8601 time; ValueError unless it carries a time zone."""
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time {timestamp!r} has no time zone")
    return moment


@dataclass(frozen=True)
class SessionRecord:
    """What happened in one session. Times are milliseconds; ``started_at`` is ISO 8601 with
    a time zone (``datetime.now().astimezone().isoformat()``)."""

    routine: str
    title: str
    started_at: str
    planned_ms: int
    actual_ms: int
    steps_done: int
    steps_skipped: int
    steps_total: int
    outcome: Outcome
    options: dict[str, object]
    # The timed part (0-based) in progress when the session stopped; `run --resume` starts
    # there. None when it finished, or stopped in the closing words.
    stopped_at_part: int | None = None

    def __post_init__(self) -> None:
        moment = self.started
        try:  # 0001-01-01T00:00:00+14:00 parses, but has no place on the local calendar
            moment.astimezone(UTC)
            moment.astimezone()
        except (OverflowError, OSError):
            raise ValueError(f"time {self.started_at!r} is out of range") from None
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")
        object.__setattr__(self, "outcome", Outcome(self.outcome))  # JSON gives a plain str
        for name in ("planned_ms", "actual_ms", "steps_done", "steps_skipped", "steps_total"):
            number = getattr(self, name)
            if type(number) is not int or number < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {number!r}")
        part = self.stopped_at_part
        if part is not None and (type(part) is not int or part < 0):
            raise ValueError(f"stopped_at_part must be a whole number or null, got {part!r}")

    @cached_property  # read for every record of a long history: parse once
    def started(self) -> datetime:
        return _aware(self.started_at)

    def local_day(self, zone: tzinfo | None = None) -> date:
        """The day the session started on, in ``zone`` (default: the local time zone)."""
        return self.started.astimezone(zone).date()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), default=str)

    @classmethod
    def from_dict(cls, data: object) -> SessionRecord:
        """A record from parsed JSON; ValueError/TypeError if it is not a complete record.

        Keys this version does not know are ignored, so older masseurs can read newer logs.
        """
        if not isinstance(data, dict):
            raise TypeError("a record is a JSON object")
        values: dict[str, object] = {}
        for item in fields(cls):
            if item.name not in data and item.default is None:
                continue  # a field added later: older lines do not have it
            value = data[item.name]
            expected = _CONTAINER_TYPES.get(item.name)
            if expected is not None and not isinstance(value, expected):
                raise TypeError(f"{item.name} has the wrong type")
            values[item.name] = value
        return cls(**values)  # type: ignore[arg-type]  # checked in __post_init__


def _lock(descriptor: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(descriptor, fcntl.LOCK_EX)


def _unlock(descriptor: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(descriptor, fcntl.LOCK_UN)


def append_record(record: SessionRecord, path: Path | None = None) -> None:
    """Add one session to the log: one write of one line with O_APPEND, then fsync.

    Raises MasseurError if the line cannot be written whole.
    """
    path = Path(path) if path is not None else history_path()
    line = record.to_json().encode("utf-8") + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise MasseurError(
            f"cannot open the history file: {error.strerror}", location=str(path)
        ) from None
    try:
        # A line cut short by a crash has no newline; start ours on a fresh line so that only
        # the damaged one is lost. The lock keeps another session's write, still in progress,
        # from looking like such a line. O_APPEND alone already keeps whole lines apart.
        _lock(descriptor)
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            line = b"\n" + line
        written = os.write(descriptor, line)
        _unlock(descriptor)
        if written != len(line):
            raise MasseurError(
                f"only {written} of {len(line)} bytes of the session were saved (disk full?)",
                location=str(path),
            )
        os.fsync(descriptor)
    except OSError as error:
        raise MasseurError(
            f"cannot save the session to history: {error.strerror}", location=str(path)
        ) from None
    finally:
        os.close(descriptor)


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Each line of the file with its number; None for a line too long to be a record."""
    with open_regular_file(path) as handle:
        number = 0
        while True:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of it
                    line = handle.readline(MAX_LINE_BYTES)
                yield number, None
                continue
            yield number, line


@dataclass
class ReadProblems:
    """What went wrong while reading: the first MAX_WARNINGS messages, and how many."""

    warnings: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def messages(self) -> list[str]:
        hidden = self.count - len(self.warnings)
        return self.warnings + ([f"... and {hidden} more damaged lines"] if hidden else [])


def iter_records(path: Path, problems: ReadProblems) -> Iterator[SessionRecord]:
    """Every readable record in file order; each skipped line is noted in ``problems``.

    A missing file is an empty history.
    """
    try:
        for number, line in _lines(path):
            if line is None:
                problems.add(f"{path.name}:{number}: skipped a damaged line (far too long)")
                continue
            if not line.strip():
                continue
            try:
                yield SessionRecord.from_dict(json.loads(line.decode("utf-8")))
            except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
                problems.add(f"{path.name}:{number}: skipped a damaged line")
    except FileNotFoundError:
        return
    except BadInput as error:
        problems.add(f"{error}; move it away to start a new history")
    except OSError as error:
        problems.add(f"{path}: cannot read the history: {error.strerror}")


def read_records(path: Path | None = None) -> tuple[list[SessionRecord], list[str]]:
    """Every readable record in file order, and a warning for each line that was skipped."""
    problems = ReadProblems()
    records = list(iter_records(Path(path) if path is not None else history_path(), problems))
    return records, problems.messages()


@dataclass(frozen=True)
class HistoryScan:
    """One pass over the log: the newest sessions to show, the count and the summary."""

    newest: list[SessionRecord]  # newest first
    total_sessions: int
    summary: Summary
    warnings: list[str]
    damaged_lines: int


def scan_history(
    path: Path, today: date, keep: int | None, zone: tzinfo | None = None
) -> HistoryScan:
    """Read the log once, keeping only the ``keep`` newest sessions (all if None)."""
    problems = ReadProblems()
    tally = _Tally(today, zone)
    newest: list[tuple[float, int, SessionRecord]] = []  # a min-heap on start time
    for order, record in enumerate(iter_records(path, problems)):
        tally.add(record)
        entry = (record.started.timestamp(), order, record)
        if keep is None:
            newest.append(entry)
        elif len(newest) < keep:
            heapq.heappush(newest, entry)
        elif keep:
            heapq.heappushpop(newest, entry)
    shown = [record for _, _, record in sorted(newest, reverse=True)]
    return HistoryScan(shown, tally.sessions, tally.summary(), problems.messages(), problems.count)


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Summary:
    """Totals for the week and month around ``today``, and the streaks of days with a session."""

    today: date
    week_start: date  # the Monday of today's ISO week
    week_sessions: int
    week_ms: int
    month_sessions: int
    month_ms: int
    total_sessions: int
    total_ms: int
    current_streak_days: int
    longest_streak_days: int
    last_session_day: date | None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, date):
                data[key] = value.isoformat()
        return data


def _runs_of_days(days: Iterable[date]) -> list[tuple[date, int]]:
    """Runs of consecutive days as (last day, length), in order."""
    runs: list[tuple[date, int]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][0] == timedelta(days=1):
            runs[-1] = (day, runs[-1][1] + 1)
        else:
            runs.append((day, 1))
    return runs


class _Tally:
    """Adds sessions up one at a time, for :func:`summarize` and :func:`scan_history`."""

    def __init__(self, today: date, zone: tzinfo | None) -> None:
        self.today = today
        self.zone = zone
        self.week_start = today - timedelta(days=today.weekday())
        self.week_end = self.week_start + timedelta(days=7)
        self.sessions = self.week_sessions = self.month_sessions = 0
        self.week_ms = self.month_ms = self.total_ms = 0
        self.days: set[date] = set()

    def add(self, record: SessionRecord) -> None:
        day = record.local_day(self.zone)
        if record.steps_done > 0:  # a session with every part skipped keeps no streak alive
            self.days.add(day)
        self.sessions += 1
        self.total_ms += record.actual_ms
        if self.week_start <= day < self.week_end:
            self.week_sessions += 1
            self.week_ms += record.actual_ms
        if (day.year, day.month) == (self.today.year, self.today.month):
            self.month_sessions += 1
            self.month_ms += record.actual_ms

    def summary(self) -> Summary:
        today = self.today
        # Days after today (a clock that was wrong) cannot extend today's streak.
        runs = _runs_of_days(day for day in self.days if day <= today)
        current = 0
        if runs and today - runs[-1][0] <= timedelta(days=1):
            current = runs[-1][1]
        return Summary(
            today=today,
            week_start=self.week_start,
            week_sessions=self.week_sessions,
            week_ms=self.week_ms,
            month_sessions=self.month_sessions,
            month_ms=self.month_ms,
            total_sessions=self.sessions,
            total_ms=self.total_ms,
            current_streak_days=current,
            longest_streak_days=max((length for _, length in _runs_of_days(self.days)), default=0),
            last_session_day=max(self.days, default=None),
        )


def summarize(records: Sequence[SessionRecord], today: date, zone: tzinfo | None = None) -> Summary:
    """Sessions and time this ISO week (Monday to Sunday) and this month, plus streaks.

    Every session counts in the totals, whatever its outcome; only a session in which at least
    one timed part was done counts for the streaks. The current streak is the run of
    consecutive days with a session that ends today or yesterday (a streak is not broken
    before the day is over); it is 0 otherwise. Days are in ``zone`` (default: local time).
    """
    tally = _Tally(today, zone)
    for record in records:
        tally.add(record)
    return tally.summary()
