"""The sound server goes away in the middle of a session: the session goes on with text only
and one warning (or, with --require-audio, stops cleanly), and is logged either way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import home_env

from audio_capture import PulseCapture

ROUTINE = """\
name: short-sound
title: Short with sound
description: Steps of a few seconds, each starting with a chime.
steps:
  - title: Warm
    say: Warm the foot.
    duration: 4s
  - title: Rub
    say: Rub the sole.
    duration: 4s
  - title: Press
    say: Press the heel.
    duration: 4s
"""


def session_with_the_server_killed(
    home: Path, capture: PulseCapture, *options: str
) -> tuple[int, str, str]:
    """Run the routine in plain mode; stop the sound server once the first step is shown."""
    routine = home / "short.yaml"
    home.mkdir(parents=True, exist_ok=True)
    routine.write_text(ROUTINE, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "masseur", "run", str(routine), "--yes", "--plain", *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **capture.env, **home_env(home)},
        text=True,
    ) as session:
        assert session.stdout is not None
        shown = []
        for line in session.stdout:
            shown.append(line)
            if "Warm" in line:
                break
        recording = capture.stop()  # the sound server goes away mid-session
        rest, errors = session.communicate(timeout=120)
    assert max(map(abs, recording.samples()), default=0) > 1000, "no sound before the loss"
    return session.returncode, "".join(shown) + rest, errors


def last_record(home: Path) -> dict[str, object]:
    lines = (home / "data" / "history.jsonl").read_text(encoding="utf-8").splitlines()
    record: dict[str, object] = json.loads(lines[-1])
    return record


@pytest.mark.audio
def test_the_session_goes_on_text_only_with_one_warning(
    tmp_path: Path, pulse_recorder: PulseCapture
) -> None:
    status, shown, errors = session_with_the_server_killed(tmp_path / "home", pulse_recorder)
    assert status == 0, errors
    assert "Traceback" not in errors
    assert errors.count("going on with text on screen only") == 1, errors
    assert "Press the heel." in shown  # the steps after the loss are still shown
    assert "Session finished" in errors  # the summary
    assert last_record(tmp_path / "home")["outcome"] == "finished"


@pytest.mark.audio
def test_require_audio_stops_cleanly_and_logs_the_session(
    tmp_path: Path, pulse_recorder: PulseCapture
) -> None:
    status, shown, errors = session_with_the_server_killed(
        tmp_path / "home", pulse_recorder, "--require-audio"
    )
    assert status == 1, errors
    assert "Traceback" not in errors
    assert "Session stopped" in errors and "the sound device went away" in errors  # summary
    assert "Press the heel." not in shown
    lines = errors.strip().splitlines()
    assert lines[-1].startswith("masseur: ") and "--text-only" in lines[-1]  # what to do
    assert last_record(tmp_path / "home")["outcome"] == "sound_lost"
