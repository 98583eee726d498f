"""Shared fixtures. Helpers for capturing audio live in audio_capture.py beside this file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from masseur.timeline import Timeline

    from audio_capture import FileCapture, PulseCapture

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


def home_env(home: Path) -> dict[str, str]:
    """The environment variables that put every masseur user folder inside ``home``."""
    return {
        "MASSEUR_DATA_DIR": str(home / "data"),
        "MASSEUR_ROUTINES_DIR": str(home / "data" / "routines"),
        "MASSEUR_CONFIG_DIR": str(home / "config"),
        "MASSEUR_CACHE_DIR": str(home / "cache"),
    }


@pytest.fixture
def masseur_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every masseur user folder into a fresh temporary home."""
    home = tmp_path / "home"
    for variable, value in home_env(home).items():
        monkeypatch.setenv(variable, value)
    return home


def require_tools(*tools: str, debian: str = "pulseaudio pulseaudio-utils alsa-utils") -> None:
    """Skip the test when a command-line tool is missing, but fail on CI, which installs them."""
    import shutil

    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (Debian: {debian})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must install them")
    pytest.skip(reason)


@pytest.fixture
def alsa_capture(tmp_path: Path) -> FileCapture:
    """Recipe A: run a subprocess with ``alsa_capture.env()``; ``.sounds()`` is what it played."""
    from audio_capture import file_capture

    return file_capture(tmp_path / "alsa-capture")


@pytest.fixture
def pulse_recorder() -> Iterator[PulseCapture]:
    """Recipe B: a private PulseAudio null sink being recorded in real time.

    Run the program under test with ``pulse_recorder.env``; ``pulse_recorder.stop()`` returns
    the recording. The server is stopped after the test whatever happens.
    """
    from audio_capture import PULSE_TOOLS, start_pulse_capture

    require_tools(*PULSE_TOOLS)
    capture = start_pulse_capture()
    try:
        yield capture
    finally:
        capture.stop()


def audio_timeline(path: Path) -> Timeline:
    """The timeline an audio export of a routine file renders: it speaks the warnings itself."""
    from masseur.export import chime_lengths
    from masseur.routine import load_routine
    from masseur.timeline import TimelineOptions, build_timeline, with_chime_durations

    timeline = build_timeline(load_routine(path), TimelineOptions(speak_warnings=True))
    return with_chime_durations(timeline, chime_lengths(timeline))
