"""Settings: config.toml, MASSEUR_* variables and the command line, and `masseur config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helper import run_main
from masseur.cli import cli
from masseur.config import SETTINGS, config_path, load_config, resolve, set_setting
from masseur.errors import BadInput


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_file_environment_or_options_every_setting_is_its_default(
    masseur_home: Path,
) -> None:
    resolved = resolve({})
    assert resolved.values == {name: setting.default for name, setting in SETTINGS.items()}
    assert set(resolved.sources.values()) == {"default"}
    assert resolved.values["rate"] is None  # the routine's own rate applies
    assert resolved.values["volume"] == 1.0
    assert resolved.values["chime_volume"] == 0.8
    assert resolved.values["chimes"] is True


def test_precedence_default_then_file_then_environment_then_command_line(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config("rate = 120\nvolume = 0.5\ncountdown = true\n")
    monkeypatch.setenv("MASSEUR_RATE", "130")
    monkeypatch.setenv("MASSEUR_COUNTDOWN", "no")

    resolved = resolve({"rate": 140, "volume": None})
    assert (resolved.values["rate"], resolved.sources["rate"]) == (140, "command line")
    assert (resolved.values["volume"], resolved.sources["volume"]) == (0.5, "config file")
    assert (resolved.values["countdown"], resolved.sources["countdown"]) == (False, "environment")
    assert (resolved.values["halfway"], resolved.sources["halfway"]) == (False, "default")

    assert resolve({"rate": None}).values["rate"] == 130
    monkeypatch.delenv("MASSEUR_RATE")
    assert resolve({}).sources["rate"] == "config file"
    assert resolve({}).values["rate"] == 120


@pytest.mark.parametrize(
    ("variable", "text", "name", "value"),
    [
        ("MASSEUR_PLAIN", "1", "plain", True),
        ("MASSEUR_CHIMES", "off", "chimes", False),
        ("MASSEUR_REQUIRE_AUDIO", "Yes", "require_audio", True),
        ("MASSEUR_VOICE", " ru ", "voice", "ru"),
        ("MASSEUR_CHIME_VOLUME", "0.25", "chime_volume", 0.25),
        ("MASSEUR_VOLUME", "1", "volume", 1.0),
    ],
)
def test_environment_variables_are_read_as_the_setting_type(
    masseur_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    text: str,
    name: str,
    value: object,
) -> None:
    monkeypatch.setenv(variable, text)
    resolved = resolve({})
    assert resolved.values[name] == value
    assert type(resolved.values[name]) is type(value)
    assert resolved.sources[name] == "environment"


def test_an_empty_environment_variable_counts_as_not_set(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config('voice = "de"\n')
    monkeypatch.setenv("MASSEUR_VOICE", "")
    assert resolve({}).sources["voice"] == "config file"


def test_a_bad_environment_value_names_the_variable(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSEUR_RATE", "fast")
    with pytest.raises(BadInput, match=r"MASSEUR_RATE: 'rate' must be a whole number"):
        resolve({})


def test_command_line_values_are_checked_and_unknown_names_are_a_programming_error(
    masseur_home: Path,
) -> None:
    with pytest.raises(BadInput, match=r"'volume' must be from 0 to 1, got 1\.5"):
        resolve({"volume": 1.5})
    with pytest.raises(ValueError, match="did you mean 'chime_volume'"):
        resolve({"chime-volume": 0.5})


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('rate = 140\nvoice = "ru\n', ":2:", "not valid TOML"),
        ("rate = 140\n\nvolume = \n", ":3:", "not valid TOML"),
        ("rate = 1\nrate = 2\n", ":2:", "given twice"),
        (
            "# mine\nrate = 140\nvolum = 0.5\n",
            ":3:1:",
            "unknown setting 'volum'; did you mean 'volume'?",
        ),
        ("rate = 140\n  speed = 3\n", ":2:3:", "unknown setting 'speed'; known settings: rate,"),
        ('rate = "fast"\n', ":1:1:", "'rate' must be a whole number, got 'fast'"),
        ("rate = true\n", ":1:1:", "'rate' must be a whole number, got true or false"),
        ("chimes = 1\n", ":1:1:", "'chimes' must be a true or false, got 1"),
        ("\nvolume = 1.5\n", ":2:1:", "'volume' must be from 0 to 1, got 1.5"),
        ("rate = 20\n", ":1:1:", "'rate' must be from 80 to 400, got 20"),
        ('voice = "  "\n', ":1:1:", "'voice' must not be empty"),
        ("[voice]\nid = 3\n", ":1:", "tables such as [voice] are not used"),
    ],
)
def test_a_broken_file_is_reported_with_its_line_and_column(
    masseur_home: Path, text: str, where: str, message: str
) -> None:
    path = write_config(text)
    with pytest.raises(BadInput) as caught:
        load_config()
    report = str(caught.value)
    assert report.startswith(f"{path}{where}"), report
    assert message in report


def test_integer_numbers_are_accepted_for_volumes(masseur_home: Path) -> None:
    write_config("volume = 1\nchime_volume = 0\n")
    assert load_config() == {"volume": 1.0, "chime_volume": 0.0}


def test_masseur_config_shows_each_value_and_where_it_came_from(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config("rate = 120\n")
    monkeypatch.setenv("MASSEUR_VOICE", "ru")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "120" in lines["rate"] and "config file" in lines["rate"]
    assert '"ru"' in lines["voice"] and "environment (MASSEUR_VOICE)" in lines["voice"]
    assert "0.8" in lines["chime_volume"] and "default" in lines["chime_volume"]
    assert str(config_path()) in result.output


def test_masseur_config_json_has_stable_keys(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSEUR_HALFWAY", "true")
    result = CliRunner().invoke(cli, ["config", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"path", "settings"}
    assert list(document["settings"]) == list(SETTINGS)
    assert document["settings"]["halfway"] == {
        "value": True,
        "source": "environment",
        "default": False,
        "env": "MASSEUR_HALFWAY",
    }
    assert document["settings"]["rate"]["value"] is None


def test_masseur_config_with_a_broken_file_exits_2_with_the_location(masseur_home: Path) -> None:
    path = write_config("rate = 140\nvoice = [\n")
    result = run_main(["config"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:2:")


def test_config_path_prints_the_file_path(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "path"])
    assert result.exit_code == 0
    assert result.output.strip() == str(masseur_home / "config" / "config.toml")


def test_config_set_creates_the_file_and_keeps_comments_and_other_keys(
    masseur_home: Path,
) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["config", "set", "rate", "140"])
    assert result.exit_code == 0, result.output
    assert load_config() == {"rate": 140}

    path = config_path()
    path.write_text("# my settings\nrate = 140  # a bit slow\nplain = true\n", encoding="utf-8")
    assert runner.invoke(cli, ["config", "set", "rate", "170"]).exit_code == 0
    assert runner.invoke(cli, ["config", "set", "voice", "ru"]).exit_code == 0
    assert runner.invoke(cli, ["config", "set", "countdown", "yes"]).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my settings\n")
    assert load_config() == {"rate": 170, "plain": True, "voice": "ru", "countdown": True}
    # Nothing left behind by the atomic replace.
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "config.toml",
        "config.toml.lock",
    ]  # no .part left

    result = runner.invoke(cli, ["config", "unset", "rate"])
    assert result.exit_code == 0
    assert load_config() == {"plain": True, "voice": "ru", "countdown": True}
    assert "# my settings" in path.read_text(encoding="utf-8")
    result = runner.invoke(cli, ["config", "unset", "rate"])
    assert result.exit_code == 0 and "was not set" in result.output


def test_config_set_refuses_bad_values_and_leaves_the_file_alone(masseur_home: Path) -> None:
    path = write_config("rate = 140\n")
    for arguments, message in (
        (["config", "set", "volume", "2"], "'volume' must be from 0 to 1"),
        (["config", "set", "rate", "fast"], "'rate' must be a whole number"),
        (["config", "set", "vioce", "ru"], "did you mean 'voice'?"),
        (["config", "unset", "vioce"], "did you mean 'voice'?"),
    ):
        result = run_main(arguments)
        assert result.exit_code == 2, arguments
        assert message in result.stderr
    assert path.read_text(encoding="utf-8") == "rate = 140\n"


def test_config_set_refuses_to_edit_a_file_it_cannot_read(masseur_home: Path) -> None:
    path = write_config("rate = 140\nbroken =\n")
    with pytest.raises(BadInput, match=r":2:"):
        set_setting("voice", "ru")
    assert path.read_text(encoding="utf-8") == "rate = 140\nbroken =\n"


def test_values_with_quotes_and_backslashes_survive_a_round_trip(masseur_home: Path) -> None:
    tricky = 'my "best" voice \\ ünïcode'
    set_setting("voice", tricky)
    assert load_config() == {"voice": tricky}


def test_a_value_spread_over_lines_is_still_replaced_correctly(masseur_home: Path) -> None:
    write_config('# voice below\nvoice = """\nru"""\nrate = 100\n')
    assert load_config()["voice"] == "ru"
    set_setting("voice", "de")
    assert load_config() == {"voice": "de", "rate": 100}


def test_config_set_from_several_processes_at_once_keeps_every_key(tmp_path: Path) -> None:
    """Each process reads, changes and writes the file; the lock beside it makes them take
    turns, so no change is lost to another written from an older copy."""
    import os
    import subprocess
    import sys

    from conftest import home_env

    changes = [
        ("rate", "140"),
        ("countdown", "true"),
        ("halfway", "true"),
        ("volume", "0.5"),
        ("chime_volume", "0.4"),
        ("chimes", "false"),
    ]
    env = {**os.environ, **home_env(tmp_path)}
    for trial in range(5):
        (tmp_path / "config").mkdir(exist_ok=True)
        (tmp_path / "config" / "config.toml").unlink(missing_ok=True)
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "masseur", "config", "set", key, value],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for key, value in changes
        ]
        for process in processes:
            _, errors = process.communicate(timeout=60)
            assert process.returncode == 0, errors
        written = (tmp_path / "config" / "config.toml").read_text(encoding="utf-8")
        for key, value in changes:
            assert f"{key} = {value}" in written, (trial, written)
