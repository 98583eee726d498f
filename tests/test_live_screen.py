"""The live screen shows every sentence when it falls due, also with no sound at all."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pexpect

from masseur.routine import load_routine
from masseur.timeline import EventKind, TimelineOptions, build_timeline
from pty_helper import plain, spawn_masseur

ROUTINE = Path(__file__).parent / "data" / "routines" / "short-session.yaml"
CLOCK = re.compile(r"(\d+):(\d\d) / \d+:\d\d")


def frames(output: str) -> list[str]:
    """Each redraw of the live panel (it starts at its top border)."""
    return ["╭" + frame for frame in plain(output).split("╭")[1:]]


def seconds(frame: str) -> int:
    found = CLOCK.search(frame)
    assert found, frame
    return int(found.group(1)) * 60 + int(found.group(2))


def test_cues_and_closing_words_appear_on_the_live_screen_when_due(masseur_home: Path) -> None:
    timeline = build_timeline(load_routine(ROUTINE), TimelineOptions())
    cue = next(event for event in timeline.events if event.kind is EventKind.CUE)
    child = spawn_masseur(masseur_home, "run", str(ROUTINE), "--text-only", "--yes", timeout=60)
    child.logfile_read = seen = io.StringIO()
    child.expect("Keep going")
    child.expect("That is the end of the session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = frames(seen.getvalue())
    with_cue = [frame for frame in shown if "Keep going" in frame]
    first = with_cue[0]
    # Shown when due, in its step, under the step's instruction, and not before its time.
    assert seconds(first) >= cue.at_ms // 1000
    assert "part 1/3: Rub the sole, left foot" in first
    assert "Rub the sole." in first
    assert re.search(r"Next at \d+:\d\d: Rub the sole, right foot", first)
    assert not any("Keep going" in frame for frame in shown[: shown.index(first)])
    last = shown[-1]
    assert "Closing" in last and "That is the end of the session" in last


def test_plain_lines_say_the_same_sentences(masseur_home: Path) -> None:
    timeline = build_timeline(load_routine(ROUTINE), TimelineOptions())
    child = pexpect.spawn(
        sys.executable,
        ["-m", "masseur", "run", str(ROUTINE), "--text-only", "--yes", "--plain"],
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb", **_home(masseur_home)},
        dimensions=(24, 200),
        timeout=60,
        encoding="utf-8",
    )
    child.expect(pexpect.EOF)
    output = " ".join(plain(child.before).split())
    for event in timeline.spoken():
        if event.kind is not EventKind.INTRO:  # (what the introduction says depends on --yes)
            assert " ".join(event.text.split()) in output


def _home(home: Path) -> dict[str, str]:
    from conftest import home_env

    return home_env(home)
