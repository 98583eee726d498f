"""`masseur run` as a user meets it: options, dry run, and what happens when things are missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import home_env
from masseur.cli import cli

DATA = Path(__file__).parent / "data" / "routines"
TINY = DATA / "tiny.yaml"


def run(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        **home_env(home),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "masseur", "run", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dry_run_prints_the_timeline_and_exits(masseur_home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "foot-classic", "--dry-run", "--minutes", "12", "--countdown"]
    )
    assert result.exit_code == 0, result.output
    assert "Ten seconds left." in result.output
    assert "Total 12m" in result.output


def test_impossible_minutes_is_one_line_and_exit_2(masseur_home: Path) -> None:
    result = run(masseur_home, "foot-self-massage", "--minutes", "1", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "cannot fit into 1 minutes" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_routine_suggests_a_name(masseur_home: Path) -> None:
    result = run(masseur_home, "foot-clasic", "--yes")
    assert result.returncode == 2
    assert "did you mean 'foot-classic'" in result.stderr


def test_no_terminal_and_no_yes_refuses_with_exit_2(masseur_home: Path) -> None:
    result = run(masseur_home, str(TINY))
    assert result.returncode == 2
    assert "Fever" in result.stderr  # the contraindications were shown first
    assert "--yes" in result.stderr


def test_a_language_with_no_voice_is_bad_input(masseur_home: Path, tmp_path: Path) -> None:
    routine = tmp_path / "klingon.yaml"
    routine.write_text(TINY.read_text().replace("name: tiny", "name: klingon") + "language: tlh\n")
    result = run(masseur_home, str(routine), "--yes")
    assert result.returncode == 2
    assert "no installed voice speaks 'tlh'" in result.stderr


def test_missing_espeak_goes_on_without_the_voice(masseur_home: Path, tmp_path: Path) -> None:
    # A damaged libespeak-ng first on the loader's path: speech cannot start.
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libespeak-ng.so.1").write_bytes(b"not a library")
    result = run(
        masseur_home,
        str(TINY),
        "--yes",
        "--plain",
        "--rate",
        "400",
        env={"LD_LIBRARY_PATH": str(broken)},
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "espeak-ng" in line]
    assert len(warnings) == 1
    assert "sudo apt-get install espeak-ng" in warnings[0]
    assert "going on without the voice" in warnings[0]
    assert "Session finished" in result.stderr
    assert "Rest." in result.stdout  # the text is still shown
    assert "Traceback" not in result.stderr


def test_require_audio_stops_when_no_sound_can_play(masseur_home: Path, tmp_path: Path) -> None:
    conf = tmp_path / "asound.conf"
    conf.write_text("pcm.!default { type hw card 99 }\n")  # a sound card that is not there
    result = run(
        masseur_home,
        str(TINY),
        "--yes",
        "--plain",
        "--require-audio",
        env={"ALSA_CONFIG_PATH": str(conf), "PULSE_SERVER": "/nonexistent"},
    )
    assert result.returncode == 1
    assert "audio" in result.stderr.lower()
    assert "ALSA lib" not in result.stderr and "Traceback" not in result.stderr
    assert "Do not do this massage" not in result.stderr  # said before the safety screen
    assert not (masseur_home / "data" / "history.jsonl").exists()


def test_a_finished_session_is_in_the_history(masseur_home: Path) -> None:
    result = run(masseur_home, str(TINY), "--yes", "--plain", "--text-only")
    assert result.returncode == 0, result.stderr
    record = json.loads((masseur_home / "data" / "history.jsonl").read_text())
    assert record["outcome"] == "finished"
    assert record["steps_done"] == record["steps_total"] == 1
    assert "Session finished" in result.stderr
