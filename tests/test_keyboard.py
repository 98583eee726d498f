"""The real program in a pseudo-terminal: the live screen, and keys that pause, skip and quit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
import pytest

from conftest import home_env
from masseur.keyboard import parse_keys
from masseur.runner import Command

ROUTINE = Path(__file__).parent / "data" / "routines" / "short-session.yaml"


def test_keys_map_to_commands() -> None:
    assert parse_keys(b" nbrq") == [
        Command.PAUSE,
        Command.NEXT,
        Command.BACK,
        Command.REPEAT,
        Command.QUIT,
    ]
    assert parse_keys(b"\x1b[C\x1b[D") == [Command.NEXT, Command.BACK]
    assert parse_keys(b"xN") == [Command.NEXT]


def spawn(masseur_home: Path, *args: str) -> pexpect.spawn:
    env = {
        "PATH": "/usr/bin:/bin",
        "TERM": "xterm-256color",
        **home_env(masseur_home),
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "masseur", "run", str(ROUTINE), *args],
        env=env,
        dimensions=(40, 110),
        timeout=20,
        encoding="utf-8",
    )


def test_safety_screen_then_pause_skip_and_quit_on_screen(masseur_home: Path) -> None:
    child = spawn(masseur_home, "--text-only")
    child.expect("Do not do this massage if")
    child.expect("Injuries of the feet")
    child.expect(r"Start the session\? \[Y/n\]")
    child.sendline("")
    child.expect("Introduction")
    child.expect("space pause/resume")  # the key footer

    child.send("n")  # skip the introduction: step one starts at once
    child.expect(r"part 1/3: Rub the sole, left foot")

    child.send(" ")
    child.expect("PAUSED")
    child.send(" ")
    child.expect(r"part 1/3: Rub the sole, left foot")

    child.send("n")
    child.expect(r"part 2/3: Rub the sole, right foot")
    child.send("q")
    child.expect("Session stopped")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    history = (masseur_home / "data" / "history.jsonl").read_text().splitlines()
    record = json.loads(history[-1])
    assert record["outcome"] == "quit"
    assert record["steps_skipped"] == 1  # the first side was skipped with n
    assert record["routine"] == "short-session"


def test_no_at_the_safety_screen_stops(masseur_home: Path) -> None:
    child = spawn(masseur_home, "--text-only")
    child.expect(r"Start the session\? \[Y/n\]")
    child.sendline("no")
    child.expect("Stopped before the session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not (masseur_home / "data" / "history.jsonl").exists()


@pytest.mark.parametrize("key", ["\x03"])
def test_ctrl_c_stops_at_once_with_exit_130(masseur_home: Path, key: str) -> None:
    child = spawn(masseur_home, "--text-only", "--yes")
    child.expect("Introduction")
    child.send(key)
    child.expect("Session interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    record = json.loads((masseur_home / "data" / "history.jsonl").read_text().splitlines()[-1])
    assert record["outcome"] == "interrupted"
