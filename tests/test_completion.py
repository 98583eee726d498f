"""Shell completion: routine names, voices and settings, through click's protocol and real bash."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from masseur.cli import cli
from masseur.completion import complete_routine, complete_voice

CONTEXT = click.Context(click.Command("test"))
PARAMETER = click.Argument(["routine"])


def complete(words: str, shell: str = "bash") -> list[str]:
    """What ``masseur`` answers a shell that asks to complete ``words`` (the last is partial)."""
    parts = words.split(" ")
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="masseur",
        env={
            "_MASSEUR_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        },
    )
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.output.splitlines() if line]


def test_routine_names_complete_from_built_ins_and_your_own(masseur_home: Path) -> None:
    assert complete("masseur show foot-") == ["foot-classic", "foot-self-massage"]
    folder = masseur_home / "data" / "routines"
    folder.mkdir(parents=True)
    (folder / "foot-mine.yaml").write_text("name: foot-mine\ntitle: Mine\n", encoding="utf-8")
    assert complete("masseur run foot-m") == ["foot-mine"]
    assert complete("masseur edit foot-m") == ["foot-mine"]
    assert complete("masseur new x --from foot-m") == ["foot-mine"]

    items = {item.value: item for item in complete_routine(CONTEXT, PARAMETER, "foot-")}
    assert items["foot-mine"].help == "Mine (yours)"
    assert items["foot-classic"].help == "Classic foot massage (built-in)"


def test_something_like_a_path_is_left_to_the_shell(masseur_home: Path) -> None:
    for partial in ("./my", "~/r", "/tmp/x", "sub/dir"):
        items = complete_routine(CONTEXT, PARAMETER, partial)
        assert [(item.value, item.type) for item in items] == [(partial, "file")]


def test_routine_completion_never_raises(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[object]:
        raise OSError("disk on fire")

    monkeypatch.setattr("masseur.library.available_routines", broken)
    assert complete_routine(CONTEXT, PARAMETER, "f") == []


def test_voices_complete_as_language_codes_then_voice_ids(masseur_home: Path) -> None:
    values = [item.value for item in complete_voice(CONTEXT, PARAMETER, "ru")]
    assert values[0] == "ru"
    assert all(value.lower().startswith("ru") for value in values)
    ids = [item.value for item in complete_voice(CONTEXT, PARAMETER, "zle/r")]
    assert "zle/ru" in ids
    assert "ru" in complete("masseur run toes --voice r")


def test_setting_names_and_values_complete(masseur_home: Path) -> None:
    assert complete("masseur config set cou") == ["countdown"]
    assert complete("masseur config unset chime") == ["chime_volume", "chimes"]
    assert complete("masseur config set countdown ") == ["true", "false"]
    assert complete("masseur config set rate ") == []


def test_command_names_complete_without_importing_the_commands(masseur_home: Path) -> None:
    assert complete("masseur hi") == ["history"]
    assert "doctor" in complete("masseur ")
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "masseur"],
        env={
            **os.environ,
            "_MASSEUR_COMPLETE": "bash_complete",
            "COMP_WORDS": "masseur ",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert "history" in finished.stdout
    assert "masseur.commands" not in finished.stderr  # the import-time report


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_masseur_completion_prints_the_script_for_each_shell(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert f"_MASSEUR_COMPLETE={shell}_complete" in result.output.replace('"', "").replace("'", "")


def test_without_a_shell_name_the_login_shell_is_used() -> None:
    result = CliRunner().invoke(cli, ["completion"], env={"SHELL": "/usr/bin/zsh"})
    assert result.exit_code == 0
    assert "#compdef masseur" in result.output
    result = CliRunner().invoke(cli, ["completion"], env={"SHELL": "/bin/tcsh"})
    assert result.exit_code == 2
    assert "cannot tell your shell" in result.output


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.skipif(shutil.which("masseur") is None, reason="needs the masseur command")
def test_bash_completes_routine_names_with_the_printed_script(masseur_home: Path) -> None:
    script = CliRunner().invoke(cli, ["completion", "bash"]).output
    probe = (
        f"{script}\n"
        "COMP_WORDS=(masseur show foot-c); COMP_CWORD=2\n"
        "_masseur_completion masseur\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    finished = subprocess.run(
        ["bash", "--norc", "--noprofile"],
        input=probe,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert finished.stdout.split() == ["foot-classic"]
