"""The pure timeline: order, sides and repeats, options, and --minutes fitting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masseur.errors import BadInput
from masseur.routine import parse_routine
from masseur.timeline import (
    CHIME_LEAD_MS,
    EventKind,
    TimelineOptions,
    build_timeline,
    fit_durations,
)


def estimate(text: str, rate: int, language: str) -> int:
    return round(len(text.split()) * 60_000 / rate)


ROUTINE = parse_routine(
    """\
name: demo
title: Demo
description: Test.
language: en
phases:
  - name: warm-up
    title: Warm-up
    steps:
      - {title: Rub, say: Rub the sole., duration: 1m, sides: [left, right],
         cues: [{at: 30s, say: Keep going.}]}
  - name: toes
    steps:
      - {title: Toes, say: Circle each toe., duration: 40s, repeat: 2}
"""
)


def timeline(**options: object):
    return build_timeline(ROUTINE, TimelineOptions(estimate=estimate, **options))


def test_sides_and_repeats_expand_into_segments_with_spoken_switches() -> None:
    plan = timeline()
    assert [(s.heading, s.side, s.repetition) for s in plan.segments] == [
        ("Rub", "left", 1),
        ("Rub", "right", 1),
        ("Toes", None, 1),
        ("Toes", None, 2),
    ]
    steps = [e.text for e in plan.events if e.kind is EventKind.STEP]
    assert steps == [
        "Warm-up. Start with your left foot. Rub the sole.",
        "Now switch to your right foot. Rub the sole.",
        "Toes. Circle each toe.",
        "Once more. Circle each toe.",
    ]
    chimes = [e.sound for e in plan.events if e.kind is EventKind.CHIME]
    assert chimes == ["step", "side", "phase", "step", "end"]


def test_events_are_ordered_and_segments_are_contiguous() -> None:
    plan = timeline(countdown=True, halfway=True)
    times = [e.at_ms for e in plan.events]
    assert times == sorted(times)
    for before, after in zip(plan.segments, plan.segments[1:], strict=False):
        assert before.end_ms == after.start_ms
    assert plan.events[0].kind is EventKind.INTRO and plan.events[0].at_ms == 0
    assert plan.events[-1].kind is EventKind.END and plan.events[-1].at_ms == plan.total_ms
    for event in plan.events:
        if event.kind is EventKind.STEP:
            assert event.at_ms == plan.segments[event.segment].start_ms + CHIME_LEAD_MS
    cue = next(e for e in plan.events if e.kind is EventKind.CUE)
    assert cue.at_ms == plan.segments[0].start_ms + 30_000


def test_intro_names_the_routine_and_the_safety_screen() -> None:
    intro = timeline().events[0].text
    assert intro.startswith("Demo.")
    assert "warnings" in intro and "doctor" in intro


def test_countdown_and_halfway_cues() -> None:
    plan = timeline(countdown=True, halfway=True)
    countdowns = [e for e in plan.events if e.kind is EventKind.COUNTDOWN]
    assert {e.text for e in countdowns} == {"Ten seconds left."}
    for event in countdowns:
        assert event.at_ms == plan.segments[event.segment].end_ms - 10_000
    halfway = [e for e in plan.events if e.kind is EventKind.HALFWAY]
    assert len(halfway) == 1
    middle = (plan.segments[0].start_ms + plan.segments[-1].end_ms) // 2
    assert halfway[0].at_ms == middle


def test_no_chimes_removes_chimes_and_the_lead() -> None:
    plan = timeline(chimes=False)
    assert not [e for e in plan.events if e.kind is EventKind.CHIME]
    first_step = next(e for e in plan.events if e.kind is EventKind.STEP)
    assert first_step.at_ms == plan.segments[0].start_ms


def test_russian_routine_gets_russian_phrases() -> None:
    routine = parse_routine(
        "name: ru\ntitle: Стопы\ndescription: Тест.\nlanguage: ru\nsteps:\n"
        "  - {say: Разотрите стопу., duration: 1m, sides: [left, right]}\n"
    )
    plan = build_timeline(routine, TimelineOptions(estimate=estimate, countdown=True))
    texts = [e.text for e in plan.events if e.kind.spoken]
    assert "Теперь правая стопа. Разотрите стопу." in texts
    assert "Осталось десять секунд." in texts


@pytest.mark.parametrize("minutes", [3, 5, 10, 60])
def test_minutes_fits_the_whole_session_exactly(minutes: int) -> None:
    plan = timeline(minutes=minutes)
    assert plan.total_ms == minutes * 60_000


def test_minutes_keeps_proportions_when_nothing_is_held_up() -> None:
    plan = timeline(minutes=10)
    rub, _, toes, _ = plan.segments
    assert rub.duration_ms / toes.duration_ms == pytest.approx(60 / 40, rel=1e-3)


def test_impossible_minutes_is_a_clear_error() -> None:
    with pytest.raises(BadInput, match=r"cannot fit into 0\.2 minutes"):
        timeline(minutes=0.2)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1_000, 600_000), st.integers(500, 60_000)), min_size=1, max_size=40
    ),
    st.floats(0.05, 20),
)
def test_fit_durations_properties(pairs: list[tuple[int, int]], factor: float) -> None:
    natural = [n for n, _ in pairs]
    minimum = [m for _, m in pairs]
    target = round(sum(natural) * factor)
    if sum(minimum) > target:
        with pytest.raises(ValueError):
            fit_durations(natural, minimum, target)
        return
    fitted = fit_durations(natural, minimum, target)
    assert sum(fitted) == target
    assert all(f >= m for f, m in zip(fitted, minimum, strict=True))
    # Steps that are not held up by their minimum keep their proportions (to rounding).
    free = [(f, n) for f, n, m in zip(fitted, natural, minimum, strict=True) if f > m + 2]
    if len(free) >= 2:
        ratios = [f / n for f, n in free]
        assert max(ratios) - min(ratios) <= 3 * len(pairs) / min(n for _, n in free) + 1e-9
