"""Start at a step, continue where the last session stopped, and count the lead-in."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC
from pathlib import Path

import pexpect
import pytest

from cli_helper import run_main
from masseur.errors import BadInput
from masseur.history import SessionRecord, summarize
from masseur.library import load
from masseur.resume import last_unfinished, part_of_step, with_lead_in
from masseur.timeline import Part, TimelineOptions, build_timeline
from pty_helper import spawn_masseur

ROUTINE = str(Path(__file__).parent / "data" / "routines" / "short-session.yaml")


def records(home: Path) -> list[dict[str, object]]:
    lines = (home / "data" / "history.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_from_takes_a_step_number_or_name() -> None:
    _, routine = load("foot-classic")
    timeline = build_timeline(routine, TimelineOptions())
    steps = [step for _, step in routine.iter_steps()]
    third = part_of_step(routine, timeline, "3")
    assert timeline.segments[third].step_index == 2
    assert part_of_step(routine, timeline, steps[2].heading.upper()) == third
    if steps[2].name:
        assert part_of_step(routine, timeline, steps[2].name) == third
    with pytest.raises(BadInput, match=f"has steps 1 to {len(steps)}"):
        part_of_step(routine, timeline, str(len(steps) + 1))
    with pytest.raises(BadInput, match="no step named 'tickle'"):
        part_of_step(routine, timeline, "tickle")


def test_lead_in_counts_down_before_the_step_and_moves_the_rest() -> None:
    _, routine = load("foot-classic")
    timeline = build_timeline(routine, TimelineOptions())
    led = with_lead_in(timeline, 5, 2)
    assert led.total_ms == timeline.total_ms + 5000
    assert led.segments[2].start_ms == timeline.segments[2].start_ms + 5000
    assert led.segments[1] == timeline.segments[1]
    said = [
        e.text
        for e in led.spoken()
        if e.segment is None and e.part is Part.OPENING and e.at_ms > 60_000
    ]
    assert said == ["Get your hands ready.", "Three.", "Two.", "One."]


def test_a_stopped_session_resumes_at_the_part_where_it_stopped(masseur_home: Path) -> None:
    child = spawn_masseur(masseur_home, "run", ROUTINE, "--text-only", "--yes")
    child.expect("Introduction")
    child.send("n")
    child.expect("part 1/3")
    child.send("n")
    child.expect("part 2/3: Rub the sole, right foot")
    child.send("q")
    child.expect("masseur run --resume")
    child.expect(pexpect.EOF)
    stopped = records(masseur_home)[-1]
    assert stopped["outcome"] == "quit" and stopped["stopped_at_part"] == 1

    child = spawn_masseur(masseur_home, "run", "--resume", "--text-only", "--yes")
    child.expect("part 2/3: Rub the sole, right foot")
    child.send("q")
    child.expect(pexpect.EOF)
    assert records(masseur_home)[-1]["stopped_at_part"] == 1

    child = spawn_masseur(
        masseur_home, "run", ROUTINE, "--from", "Stroke the foot", "--yes", "--text-only"
    )
    child.expect("part 3/3: Stroke the foot")
    child.send("n")  # skip it: on to the ending
    child.expect("every timed part skipped")
    child.expect(pexpect.EOF)
    last = records(masseur_home)[-1]
    # Every part it played was skipped: it reached the end, but nothing was done.
    assert last["outcome"] == "skipped" and last["stopped_at_part"] is None

    nothing = run_main(["run", "--resume", "--yes"])
    assert nothing.exit_code == 2
    assert "no unfinished session" in nothing.stderr  # the later run replaced the stopped one


def test_resume_with_an_empty_history_is_one_line(masseur_home: Path) -> None:
    result = run_main(["run", "--resume"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert run_main(["run"]).exit_code == 2


def record(day: str, done: int, outcome: str = "finished") -> SessionRecord:
    return SessionRecord(
        routine="toes",
        title="Toes",
        started_at=f"{day}T21:00:00+00:00",
        planned_ms=1000,
        actual_ms=1000,
        steps_done=done,
        steps_skipped=3 - done,
        steps_total=3,
        outcome=outcome,  # type: ignore[arg-type]
        options={},
        stopped_at_part=None if outcome in ("finished", "skipped") else 1,
    )


def test_a_session_with_every_part_skipped_keeps_no_streak() -> None:
    from datetime import date

    history = [record("2026-11-25", 3), record("2026-11-26", 0, "skipped")]
    summary = summarize(history, date(2026, 11, 26), UTC)
    assert summary.current_streak_days == 1  # the 25th only, still alive on the 26th
    assert summary.longest_streak_days == 1
    assert summary.total_sessions == 2


def test_the_newest_stopped_session_is_the_one_resumed() -> None:
    older = record("2026-11-20", 1, "quit")
    other = dataclasses.replace(older, routine="thighs")
    assert last_unfinished([older, other], None) is other
    assert last_unfinished([older, other], "toes") is older
    with pytest.raises(BadInput):
        last_unfinished([older, record("2026-11-21", 3)], "toes")
