"""The first commands a new user types: help, a bare export, validate by name, bad voices."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli_helper import run_main


def test_masseur_alone_prints_help_to_stdout_and_exits_0() -> None:
    result = run_main([])
    assert result.exit_code == 0
    assert "Usage: masseur" in result.stdout and "Commands" in result.stdout
    assert result.stderr == ""


def test_export_without_output_writes_the_narration_to_stdout(masseur_home: Path) -> None:
    result = run_main(["export", "foot-classic"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Classic foot massage (foot-classic)\n")
    md = run_main(["export", "foot-classic", "-f", "md"])
    assert md.stdout.startswith("# Classic foot massage")


def test_validate_takes_routine_names(masseur_home: Path) -> None:
    result = run_main(["validate", "foot-classic", "stopy-pered-snom"])
    assert result.exit_code == 0, result.output
    assert re.search(r"foot-classic\.yaml: ok \(foot-classic, \d+ steps\)", result.stderr)
    wrong = run_main(["validate", "foot-clasic"])
    assert wrong.exit_code == 2
    assert wrong.stderr.strip().splitlines() == [
        "masseur: no routine named 'foot-clasic'; did you mean 'foot-classic' or "
        "'foot-self-massage'?"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "foot-classic", "--voice", "klingon"],
        ["run", "foot-classic", "--voice", "klingon", "--dry-run"],
        ["run", "foot-classic", "--voice", "klingon", "--text-only"],
        ["export", "foot-classic", "-f", "txt", "--voice", "klingon"],
        ["export", "foot-classic", "-f", "md", "--voice", "klingon"],
    ],
)
def test_an_unknown_voice_is_one_line_before_anything_else(
    masseur_home: Path, args: list[str]
) -> None:
    result = run_main(args, input="\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "masseur: no installed voice speaks 'klingon'; see `masseur voices`"
    ]


def test_config_set_voice_checks_the_installed_voices(masseur_home: Path) -> None:
    refused = run_main(["config", "set", "voice", "klingon"])
    assert refused.exit_code == 2
    assert "klingon" in refused.stderr
    assert not (masseur_home / "config" / "config.toml").exists()
    accepted = run_main(["config", "set", "voice", "ru"])
    assert accepted.exit_code == 0, accepted.output


def test_config_unset_removes_a_misspelt_key(masseur_home: Path) -> None:
    path = masseur_home / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("# mine\nrat = 140\nvolume = 0.5\n")
    blocked = run_main(["list"])
    assert blocked.exit_code == 2 and "did you mean 'rate'" in blocked.stderr
    result = run_main(["config", "unset", "rat"])
    assert result.exit_code == 0, result.output
    assert "not a masseur setting" in result.stderr
    assert path.read_text() == "# mine\nvolume = 0.5\n"
    assert run_main(["list"]).exit_code == 0
    again = run_main(["config", "unset", "rat"])
    assert again.exit_code == 2
