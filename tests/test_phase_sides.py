"""A phase worked on one side, then the other; and the spoken contraindications."""

from __future__ import annotations

from dataclasses import replace

import pytest

from masseur.errors import BadInput
from masseur.routine import json_schema, parse_routine
from masseur.timeline import EventKind, TimelineOptions, build_timeline
from test_timeline import estimate

ROUTINE = parse_routine(
    """\
name: demo
title: Demo
description: Test.
contraindications: [Varicose veins., A fever. Wait until it has gone.]
phases:
  - name: ready
    title: Getting ready
    steps:
      - {title: Hands, say: Warm your hands., duration: 30s}
  - name: foot
    title: One foot at a time
    sides: [left, right]
    steps:
      - {title: Rub, say: Rub the sole., duration: 1m, cues: [{at: 30s, say: Keep going.}]}
      - {title: Heart, say: Press the heart zone., duration: 40s, sides: [left]}
      - {title: Toes, say: Circle each toe., duration: 40s, repeat: 2}
      - {title: Liver, say: Press the liver zone., duration: 20s, sides: [right]}
"""
)


def plan(**options: object):
    return build_timeline(ROUTINE, TimelineOptions(estimate=estimate, **options))


def test_whole_phase_runs_on_one_side_then_the_other() -> None:
    segments = [(s.heading, s.side, s.repetition) for s in plan().segments]
    assert segments == [
        ("Hands", None, 1),
        ("Rub", "left", 1),
        ("Heart", "left", 1),
        ("Toes", "left", 1),
        ("Toes", "left", 2),
        ("Rub", "right", 1),
        ("Toes", "right", 1),
        ("Toes", "right", 2),
        ("Liver", "right", 1),
    ]


def test_the_switch_is_spoken_once_between_the_passes() -> None:
    timeline = plan()
    steps = [e.text for e in timeline.events if e.kind is EventKind.STEP]
    assert steps == [
        "Getting ready. Warm your hands.",
        "One foot at a time. Start with your left foot. Rub the sole.",
        "Press the heart zone.",
        "Circle each toe.",
        "Once more. Circle each toe.",
        "Now switch to your right foot. Rub the sole.",
        "Circle each toe.",
        "Once more. Circle each toe.",
        "Press the liver zone.",
    ]
    chimes = [e.sound for e in timeline.events if e.kind is EventKind.CHIME]
    assert chimes == ["step", "phase", *["step"] * 3, "side", *["step"] * 3, "end"]


def test_step_times_count_only_the_passes_a_step_is_in() -> None:
    foot = ROUTINE.all_phases[1]
    assert [foot.step_ms(step) for step in foot.steps] == [120_000, 40_000, 160_000, 20_000]
    assert ROUTINE.steps_ms == 30_000 + 120_000 + 40_000 + 160_000 + 20_000
    assert sum(s.duration_ms for s in plan().segments) == ROUTINE.steps_ms


@pytest.mark.parametrize(
    ("phase_sides", "step_sides", "where", "words"),
    [
        ("[left]", "[right]", "x.yaml:8:51", "not one of its phase's sides"),
        ("[left, left]", "null", "x.yaml:6:12", "each side may appear only once"),
    ],
)
def test_phase_sides_are_checked(phase_sides: str, step_sides: str, where: str, words: str) -> None:
    text = f"""\
name: demo
title: Demo
description: Test.
phases:
  - name: foot
    sides: {phase_sides}
    steps:
      - {{say: Rub the sole., duration: 1m, sides: {step_sides}}}
"""
    with pytest.raises(BadInput) as caught:
        parse_routine(text, "x.yaml")
    assert caught.value.location == where
    assert words in caught.value.message


def test_schema_documents_phase_sides() -> None:
    phase = json_schema()["$defs"]["Phase"]["properties"]
    assert "sides" in phase
    assert "one spoken switch" in phase["sides"]["description"]


def test_without_a_screen_the_contraindications_are_spoken_first() -> None:
    intro = plan(speak_warnings=True).events[0]
    assert intro.kind is EventKind.INTRO
    assert intro.text == (
        "Demo. Before we begin, check that none of these applies to you. Varicose veins. "
        "A fever. If one of them does, stop now and ask a doctor first."
    )
    assert "on the screen" in plan().events[0].text


def test_spoken_warnings_speak_of_the_person_massaged_when_given_to_another() -> None:
    other = replace(ROUTINE, given_to="other")
    timeline = build_timeline(other, TimelineOptions(estimate=estimate, speak_warnings=True))
    assert "applies to the person you are massaging" in timeline.events[0].text
    screen = build_timeline(other, TimelineOptions(estimate=estimate)).events[0].text
    assert "applies to the person you are massaging" in screen
    steps = [e.text for e in timeline.events if e.kind is EventKind.STEP]
    assert "Start with their left foot." in steps[1]
    assert steps[5].startswith("Now switch to their right foot.")
    bare = replace(ROUTINE, contraindications=[])
    spoken = build_timeline(bare, TimelineOptions(estimate=estimate, speak_warnings=True))
    assert "unwell, injured or pregnant" in spoken.events[0].text
