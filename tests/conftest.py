"""Shared fixtures. Helpers for capturing audio live in audio_capture.py beside this file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


@pytest.fixture
def masseur_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every masseur user folder into a fresh temporary home."""
    home = tmp_path / "home"
    for variable, folder in (
        ("MASSEUR_DATA_DIR", "data"),
        ("MASSEUR_ROUTINES_DIR", "data/routines"),
        ("MASSEUR_CONFIG_DIR", "config"),
        ("MASSEUR_CACHE_DIR", "cache"),
    ):
        monkeypatch.setenv(variable, str(home / folder))
    return home
