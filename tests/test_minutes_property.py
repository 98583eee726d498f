"""--minutes never plans one sentence on top of another, and --dry-run says when a plan would."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helper import run_main
from masseur.errors import BadInput
from masseur.library import available_routines
from masseur.routine import load_routine
from masseur.spacing import speech_overlaps
from masseur.speech import estimate_speech_ms
from masseur.timeline import TimelineOptions, build_timeline

ROUTINES = {entry.name: entry.load() for entry in available_routines()}


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(ROUTINES)),
    minutes=st.floats(min_value=0.5, max_value=90, allow_nan=False),
    rate=st.integers(min_value=80, max_value=400),
    countdown=st.booleans(),
    halfway=st.booleans(),
    chimes=st.booleans(),
    known=st.sampled_from([None, 0.7, 1.3, 1.6]),
)
def test_accepted_minutes_never_overlap_speech(
    name: str,
    minutes: float,
    rate: int,
    countdown: bool,
    halfway: bool,
    chimes: bool,
    known: float | None,
) -> None:
    # ``known``: speech already synthesized that is shorter or longer than the estimate.
    length = None
    if known is not None:
        factor = known

        def length(text: str, rate: int, language: str) -> int:
            return round(estimate_speech_ms(text, rate, language) * factor)

    options = TimelineOptions(
        rate=rate,
        minutes=minutes,
        countdown=countdown,
        halfway=halfway,
        chimes=chimes,
        speech_length=length,
    )
    try:
        timeline = build_timeline(ROUTINES[name], options)
    except BadInput:
        return  # refused: the narration does not fit, and masseur said how long it needs
    assert speech_overlaps(timeline) == []
    assert timeline.total_ms == round(minutes * 60) * 1000


def test_the_smallest_accepted_size_still_has_room(masseur_home: Path) -> None:
    # foot-classic once "needed 2.1 minutes" yet overlapped eight sentences at 2.2.
    result = run_main(["run", "foot-classic", "--minutes", "2.2", "--dry-run"])
    assert result.exit_code == 2
    needed = float(result.stderr.split("at least ")[1].split(" minutes")[0])
    fitted = run_main(["run", "foot-classic", "--minutes", str(needed), "--dry-run"])
    assert fitted.exit_code == 0, fitted.output
    assert "would run into the next one" not in fitted.stderr


def test_dry_run_reports_a_planned_overlap(masseur_home: Path, tmp_path: Path) -> None:
    # A routine's own timing can be too tight: a cue due before the instruction is said.
    path = tmp_path / "tight.yaml"
    path.write_text(
        "name: tight\ntitle: Tight\ndescription: Too much to say.\nsteps:\n"
        "  - title: Rub\n    say: Rub the whole sole slowly and firmly with the heel of the hand."
        "\n    duration: 6s\n    cues:\n"
        "      - {at: 1s, say: Keep the pressure firm and even all the way along.}\n"
        "      - {at: 2s, say: Now a little slower and breathe out.}\n"
    )
    timeline = build_timeline(load_routine(path), TimelineOptions())
    assert speech_overlaps(timeline)
    result = run_main(["run", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert "would run into the next one" in result.stderr
