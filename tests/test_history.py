"""The session log: safe appends, forgiving reads, weekly/monthly totals and streaks."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helper import run_main
from masseur.cli import cli
from masseur.history import (
    SessionRecord,
    append_record,
    history_path,
    read_records,
    summarize,
)

UTC = UTC


def record(
    started_at: str | datetime,
    *,
    routine: str = "foot-classic",
    actual_ms: int = 600_000,
    outcome: str = "finished",
    options: dict[str, object] | None = None,
) -> SessionRecord:
    if isinstance(started_at, datetime):
        started_at = started_at.isoformat()
    return SessionRecord(
        routine=routine,
        title="Classic foot massage",
        started_at=started_at,
        planned_ms=666_000,
        actual_ms=actual_ms,
        steps_done=4,
        steps_skipped=0,
        steps_total=4,
        outcome=outcome,  # type: ignore[arg-type]
        options=options if options is not None else {"rate": 150},
    )


def on_days(*days: str, hour: int = 20) -> list[SessionRecord]:
    return [record(f"{day}T{hour:02d}:00:00+00:00") for day in days]


# --------------------------------------------------------------------------- file format


def test_records_survive_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.jsonl"
    written = [
        record("2025-01-30T21:05:00+03:00", options={"voice": "ru", "countdown": True}),
        record("2025-01-31T08:00:00-05:00", routine="стопы", outcome="quit", actual_ms=12_345),
    ]
    for item in written:
        append_record(item, path)
    records, warnings = read_records(path)
    assert records == written
    assert warnings == []
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["routine"] == "стопы"


def test_the_default_file_is_in_the_data_folder(masseur_home: Path) -> None:
    append_record(record("2025-01-30T21:05:00+00:00"))
    assert history_path() == masseur_home / "data" / "history.jsonl"
    assert len(read_records()[0]) == 1


def test_a_missing_file_is_an_empty_history(tmp_path: Path) -> None:
    assert read_records(tmp_path / "none.jsonl") == ([], [])


def test_a_record_needs_a_time_zone_and_a_known_outcome() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        record("2025-01-30T21:05:00")
    with pytest.raises(ValueError, match="outcome"):
        record("2025-01-30T21:05:00+00:00", outcome="crashed")
    with pytest.raises(ValueError, match="actual_ms"):
        record("2025-01-30T21:05:00+00:00", actual_ms=-1)


def test_damaged_lines_are_skipped_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    first, second, third = on_days("2025-02-01", "2025-02-02", "2025-02-03")
    append_record(first, path)
    with path.open("ab") as handle:
        handle.write(b"\x00\xffnot json at all\n")  # garbage in the middle: line 2
    append_record(second, path)
    with path.open("ab") as handle:
        handle.write(b'{"routine": "x", "title": "missing fields"}\n')  # line 4: incomplete
        handle.write(b'["a list"]\n')  # line 5: not an object
        whole = third.to_json().encode()
        handle.write(whole[: len(whole) // 2])  # line 6: the power went out mid-write

    records, warnings = read_records(path)
    assert records == [first, second]
    assert warnings == [
        "history.jsonl:2: skipped a damaged line",
        "history.jsonl:4: skipped a damaged line",
        "history.jsonl:5: skipped a damaged line",
        "history.jsonl:6: skipped a damaged line",
    ]

    # The next session must not be glued onto the torn line and lost with it.
    append_record(third, path)
    records, warnings = read_records(path)
    assert records == [first, second, third]
    assert len(warnings) == 4


WRITER = """
import os, sys, time
from masseur.history import SessionRecord, append_record
path, writer, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
while not os.path.exists(start):  # both writers begin together
    time.sleep(0.001)
for number in range(count):
    append_record(SessionRecord(
        routine=writer, title="x" * 300, started_at="2025-03-01T10:00:00+00:00",
        planned_ms=1, actual_ms=number, steps_done=0, steps_skipped=0, steps_total=1,
        outcome="finished", options={"pad": "y" * 2000}), path)
"""


def test_two_processes_appending_at_once_never_mix_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    start = tmp_path / "start"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "200", str(start)])
        for name in ("first", "second")
    ]
    time.sleep(0.5)  # let both processes import and wait for the start signal
    start.touch()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]

    records, warnings = read_records(path)
    assert warnings == []
    assert len(records) == 400
    assert len(path.read_bytes().splitlines()) == 400
    for name in ("first", "second"):
        # Each writer's records are all there, whole and in the order it wrote them.
        assert [r.actual_ms for r in records if r.routine == name] == list(range(200))
    # The writers did run at the same time: their lines alternate somewhere in the file.
    switches = sum(1 for a, b in itertools.pairwise(records) if a.routine != b.routine)
    assert switches > 1


# --------------------------------------------------------------------------- summary


def test_a_streak_runs_across_the_end_of_a_month_and_of_a_year() -> None:
    records = on_days("2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02")
    summary = summarize(records, date(2025, 1, 2), UTC)
    assert summary.current_streak_days == 4
    assert summary.longest_streak_days == 4

    records = on_days("2025-01-30", "2025-01-31", "2025-02-01")
    assert summarize(records, date(2025, 2, 1), UTC).current_streak_days == 3
    records = on_days("2024-02-28", "2024-02-29", "2024-03-01")  # a leap year
    assert summarize(records, date(2024, 3, 1), UTC).current_streak_days == 3
    records = on_days("2023-02-28", "2023-03-01")  # no 29th that year
    assert summarize(records, date(2023, 3, 1), UTC).current_streak_days == 2


def test_the_current_streak_lasts_until_the_day_after_the_last_session_ends() -> None:
    records = on_days("2025-01-30", "2025-01-31", "2025-02-01")
    assert summarize(records, date(2025, 2, 2), UTC).current_streak_days == 3  # yesterday
    assert summarize(records, date(2025, 2, 3), UTC).current_streak_days == 0  # a day missed
    assert summarize([], date(2025, 2, 3), UTC).current_streak_days == 0


def test_gaps_split_streaks_and_the_longest_is_kept() -> None:
    days = ["2025-01-10", "2025-01-11", "2025-01-12"]  # 3
    days += [f"2025-01-{day}" for day in range(20, 27)]  # 20..26: 7
    days += ["2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02"]  # 4
    summary = summarize(on_days(*days), date(2025, 2, 2), UTC)
    assert summary.current_streak_days == 4
    assert summary.longest_streak_days == 7
    assert summary.last_session_day == date(2025, 2, 2)


def test_several_sessions_on_one_day_count_once_for_the_streak() -> None:
    records = on_days("2025-05-01", "2025-05-01", "2025-05-02", "2025-05-02", "2025-05-02")
    summary = summarize(records, date(2025, 5, 2), UTC)
    assert summary.current_streak_days == 2
    assert summary.total_sessions == 5


def test_a_session_dated_after_today_does_not_make_a_streak_today() -> None:
    records = on_days("2025-05-10")
    summary = summarize(records, date(2025, 5, 1), UTC)
    assert summary.current_streak_days == 0
    assert summary.longest_streak_days == 1


def test_week_is_the_iso_week_from_monday_and_month_is_the_calendar_month() -> None:
    # Wednesday 1 January 2025: its ISO week starts on Monday 30 December 2024.
    records = [
        record("2024-12-29T20:00:00+00:00", actual_ms=1_000),  # Sunday of the week before
        record("2024-12-30T20:00:00+00:00", actual_ms=10_000),  # Monday: this week
        record("2024-12-31T20:00:00+00:00", actual_ms=100_000),  # this week, last month
        record("2025-01-01T20:00:00+00:00", actual_ms=1_000_000),  # today
        record("2025-01-05T20:00:00+00:00", actual_ms=10_000_000),  # Sunday: still this week
        record("2025-01-06T20:00:00+00:00", actual_ms=100_000_000),  # next Monday
    ]
    summary = summarize(records, date(2025, 1, 1), UTC)
    assert summary.week_start == date(2024, 12, 30)
    assert (summary.week_sessions, summary.week_ms) == (4, 11_110_000)
    assert (summary.month_sessions, summary.month_ms) == (3, 111_000_000)
    assert summary.total_ms == 111_111_000


def test_days_are_counted_in_the_local_time_zone() -> None:
    # 23:30 in London on Sunday is already Monday in Moscow.
    late = [record("2025-03-09T23:30:00+00:00")]
    moscow = timezone(timedelta(hours=3))
    assert summarize(late, date(2025, 3, 10), moscow).week_sessions == 1
    assert summarize(late, date(2025, 3, 10), UTC).week_sessions == 0
    assert late[0].local_day(moscow) == date(2025, 3, 10)


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_without_a_zone_the_system_time_zone_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    late = [record("2025-03-09T23:30:00+00:00")]
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert late[0].local_day() == date(2025, 3, 10)
        assert summarize(late, date(2025, 3, 10)).current_streak_days == 1
    finally:
        monkeypatch.undo()
        time.tzset()


# --------------------------------------------------------------------------- the command


def test_history_with_no_sessions_says_how_to_start(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 0
    assert "No sessions yet" in result.output


def test_history_shows_recent_sessions_totals_and_streak(masseur_home: Path) -> None:
    now = datetime.now().astimezone()
    for days_ago in (3, 2, 1):
        append_record(record(now - timedelta(days=days_ago), routine=f"r{days_ago}"))
    append_record(record(now - timedelta(minutes=30), routine="latest", outcome="quit"))

    result = CliRunner().invoke(cli, ["history", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "latest" in result.output and "r1" in result.output
    assert "r2" not in result.output
    assert "2 of 4 sessions" in result.output
    assert "Streak: 4 days" in result.output
    assert "This week" in result.output and "This month" in result.output

    result = CliRunner().invoke(cli, ["history", "--all"])
    assert all(name in result.output for name in ("r1", "r2", "r3", "latest"))


def test_history_json_has_stable_keys_and_newest_first(masseur_home: Path) -> None:
    now = datetime.now().astimezone()
    append_record(record(now - timedelta(days=1), routine="older"))
    append_record(record(now - timedelta(minutes=5), routine="newer"))
    result = CliRunner().invoke(cli, ["history", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"path", "sessions", "summary", "warnings"}
    assert [s["routine"] for s in document["sessions"]] == ["newer", "older"]
    assert set(document["sessions"][0]) == {
        "routine",
        "title",
        "started_at",
        "planned_ms",
        "actual_ms",
        "steps_done",
        "steps_skipped",
        "steps_total",
        "outcome",
        "options",
    }
    summary = document["summary"]
    assert summary["current_streak_days"] == 2
    assert summary["total_sessions"] == 2
    assert summary["today"] == date.today().isoformat()
    assert set(summary) >= {"week_sessions", "week_ms", "month_sessions", "month_ms"}


def test_history_warns_about_damaged_lines_on_stderr_and_still_shows_the_rest(
    masseur_home: Path,
) -> None:
    append_record(record(datetime.now().astimezone(), routine="kept"))
    with history_path().open("ab") as handle:
        handle.write(b'{"routine": "torn", "tit')
    result = run_main(["history"])
    assert result.exit_code == 0
    assert "kept" in result.stdout
    assert "history.jsonl:2: skipped a damaged line" in result.stderr
    assert os.path.getsize(history_path()) > 0
