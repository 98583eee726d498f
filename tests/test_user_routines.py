"""Routines of your own: `masseur new`, `masseur edit` and where `masseur list` finds them."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_helper import run_main
from masseur.cli import cli
from masseur.paths import builtin_routines_dir, user_routines_dir
from masseur.routine import load_routine

BUILTIN = "foot-classic"


def make_editor(folder: Path, *versions: str) -> Path:
    """An EDITOR that writes ``versions[n]`` into the file on its n-th run (then leaves it).

    Each run is logged to ``calls.log`` beside it, one edited path per line.
    """
    folder.mkdir(parents=True, exist_ok=True)
    versions_file = folder / "versions.json"
    versions_file.write_text(json.dumps(list(versions)), encoding="utf-8")
    script = folder / "editor"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "here = pathlib.Path(__file__).parent\n"
        "log = here / 'calls.log'\n"
        "calls = log.read_text().splitlines() if log.exists() else []\n"
        "versions = json.loads((here / 'versions.json').read_text())\n"
        "if len(calls) < len(versions):\n"
        "    pathlib.Path(sys.argv[-1]).write_text(versions[len(calls)], encoding='utf-8')\n"
        "log.write_text(''.join(c + '\\n' for c in [*calls, sys.argv[-1]]))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def editor_calls(script: Path) -> list[str]:
    log = script.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def use_editor(monkeypatch: pytest.MonkeyPatch, script: Path) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))


def answer_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let `edit` ask on CliRunner's stdin, which is not a terminal."""
    monkeypatch.setattr("masseur.commands.edit.stdin_is_interactive", lambda: True)


# --------------------------------------------------------------------------- new


def test_new_writes_a_commented_starter_that_loads(masseur_home: Path) -> None:
    result = run_main(["new", "evening-feet"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == user_routines_dir() / "evening-feet.yaml"
    routine = load_routine(path)
    assert routine.name == "evening-feet"
    assert routine.step_count >= 2
    text = path.read_text(encoding="utf-8")
    # Every top-level key is explained by a comment just above it.
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith((" ", "#", "-")):
            assert lines[number - 1].startswith("#"), f"no comment above: {line}"
    # The optional step keys are shown too, so people discover them.
    for key in ("sides:", "repeat:", "cues:", "chime:", "title:"):
        assert key in text


def test_new_refuses_to_overwrite_without_force(masseur_home: Path) -> None:
    path = Path(run_main(["new", "mine"]).stdout.strip())
    path.write_text(path.read_text(encoding="utf-8") + "# my change\n", encoding="utf-8")

    result = run_main(["new", "mine"])
    assert result.exit_code == 2
    assert "already have a routine named 'mine'" in result.stderr
    assert "masseur edit mine" in result.stderr and "--force" in result.stderr
    assert path.read_text(encoding="utf-8").endswith("# my change\n")

    result = run_main(["new", "mine", "--force"])
    assert result.exit_code == 0
    assert "# my change" not in path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["mine.yaml"]  # no temp files left


def test_new_from_a_builtin_keeps_its_text_and_changes_only_the_name(masseur_home: Path) -> None:
    result = run_main(["new", "my-classic", "--from", BUILTIN])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    original = (builtin_routines_dir() / f"{BUILTIN}.yaml").read_text(encoding="utf-8")
    copied = path.read_text(encoding="utf-8")
    changed = [
        (a, b) for a, b in zip(original.splitlines(), copied.splitlines(), strict=True) if a != b
    ]
    assert changed == [(f"name: {BUILTIN}", "name: my-classic")]
    copy = asdict(load_routine(path))
    builtin = asdict(load_routine(builtin_routines_dir() / f"{BUILTIN}.yaml"))
    assert copy.pop("name") == "my-classic"
    builtin.pop("name")
    assert copy == builtin


def test_a_copy_with_a_builtin_name_replaces_it_and_list_says_so(masseur_home: Path) -> None:
    result = run_main(["new", BUILTIN, "--from", BUILTIN])
    assert result.exit_code == 0
    assert f"replaces the built-in '{BUILTIN}'" in result.stderr

    listing = CliRunner().invoke(cli, ["list", "--json"])
    rows = {row["name"]: row for row in json.loads(listing.output)}
    assert rows[BUILTIN]["origin"] == "user"
    assert rows[BUILTIN]["shadows_builtin"] is True
    assert rows["toes"]["origin"] == "built-in"

    table = CliRunner().invoke(cli, ["list"], env={"COLUMNS": "200"}).output
    line = next(line for line in table.splitlines() if line.startswith(BUILTIN))
    assert "user (replaces built-in)" in line
    assert "is used instead of the built-in routine of the same name" in table


def test_new_rejects_names_that_cannot_be_routine_names(masseur_home: Path) -> None:
    for name in ("My Feet", "feet_2", "x--y", "Ноги"):
        result = run_main(["new", name])
        assert result.exit_code == 2, name
        assert "lowercase letters, digits and dashes" in result.stderr
    assert not user_routines_dir().exists()


def test_new_from_an_unknown_routine_suggests_close_names(masseur_home: Path) -> None:
    result = run_main(["new", "x", "--from", "foot-clasic"])
    assert result.exit_code == 2
    assert "did you mean 'foot-classic'" in result.stderr


def test_new_from_one_of_your_own_routines(masseur_home: Path) -> None:
    run_main(["new", "first"])
    result = run_main(["new", "second", "--from", "first"])
    assert result.exit_code == 0
    assert load_routine(Path(result.stdout.strip())).name == "second"


# --------------------------------------------------------------------------- edit


def starter(name: str) -> str:
    return (user_routines_dir() / f"{name}.yaml").read_text(encoding="utf-8")


def test_edit_reopens_the_file_until_it_is_valid(
    masseur_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_main(["new", "mine"])
    good = starter("mine").replace("title: My foot massage", "title: Evening feet")
    broken = good.replace("duration: 45s", "duration: soon")
    editor = make_editor(tmp_path / "ed", broken, good)
    use_editor(monkeypatch, editor)
    answer_questions(monkeypatch)

    result = run_main(["edit", "mine"], input="y\n")
    assert result.exit_code == 0, result.output
    path = user_routines_dir() / "mine.yaml"
    assert editor_calls(editor) == [str(path), str(path)]
    line = broken.splitlines().index("    duration: soon") + 1
    assert f"{path}:{line}:15: duration: cannot read 'soon'" in result.stderr
    assert "Reopen the file to fix it?" in result.stderr
    assert result.stdout.strip() == f"{path}: ok (3 steps)"
    assert load_routine(path).title == "Evening feet"


def test_edit_stops_when_the_user_declines_to_reopen(
    masseur_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_main(["new", "mine"])
    broken = starter("mine").replace("name: mine", "name: Mine!")
    editor = make_editor(tmp_path / "ed", broken)
    use_editor(monkeypatch, editor)
    answer_questions(monkeypatch)

    result = run_main(["edit", "mine"], input="n\n")
    assert result.exit_code == 2
    assert len(editor_calls(editor)) == 1
    assert "saved with the mistake" in result.stderr


def test_edit_without_a_terminal_reports_and_exits_2(
    masseur_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_main(["new", "mine"])
    editor = make_editor(tmp_path / "ed", "name: mine\ntitle: [unclosed\n")
    use_editor(monkeypatch, editor)

    result = run_main(["edit", "mine"], input="y\n")  # stdin is not a terminal here
    assert result.exit_code == 2
    assert len(editor_calls(editor)) == 1
    assert "mine.yaml:3:1: YAML syntax error" in result.stderr
    assert "Reopen" not in result.output


def test_edit_reports_an_editor_that_fails(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_main(["new", "mine"])
    monkeypatch.setenv("VISUAL", "false")  # VISUAL wins over EDITOR
    monkeypatch.setenv("EDITOR", "true")
    result = run_main(["edit", "mine"])
    assert result.exit_code == 1
    assert "exited with status 1" in result.stderr


def test_editing_a_builtin_offers_a_copy_first(
    masseur_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = make_editor(tmp_path / "ed")  # opens the file and changes nothing
    use_editor(monkeypatch, editor)

    result = run_main(["edit", BUILTIN])  # no terminal: explain, do not copy
    assert result.exit_code == 2
    assert f"masseur new {BUILTIN} --from {BUILTIN}" in result.stderr
    assert editor_calls(editor) == []

    answer_questions(monkeypatch)
    result = run_main(["edit", BUILTIN], input="n\n")
    assert result.exit_code == 2
    assert not (user_routines_dir() / f"{BUILTIN}.yaml").exists()

    result = run_main(["edit", BUILTIN], input="y\n")
    assert result.exit_code == 0, result.output
    copy = user_routines_dir() / f"{BUILTIN}.yaml"
    assert editor_calls(editor) == [str(copy)]  # the copy is edited, never the built-in
    assert copy.read_text(encoding="utf-8") == (
        builtin_routines_dir() / f"{BUILTIN}.yaml"
    ).read_text(encoding="utf-8")


def test_edit_of_a_routine_that_does_not_exist_says_how_to_create_it(
    masseur_home: Path,
) -> None:
    result = run_main(["edit", "nothing-here"])
    assert result.exit_code == 2
    assert "masseur new nothing-here" in result.stderr


def test_edit_in_a_real_terminal_asks_and_reopens(
    masseur_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same loop end to end, in a pseudo-terminal, with nothing replaced."""
    pexpect = pytest.importorskip("pexpect")
    run_main(["new", "mine"])
    good = starter("mine")
    broken = good.replace("steps:", "stepz:")
    editor = make_editor(tmp_path / "ed", broken, broken, good)
    environment = {**os.environ, "EDITOR": str(editor)}
    environment.pop("VISUAL", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "masseur", "edit", "mine"],
        env=environment,
        encoding="utf-8",
        timeout=20,
    )
    child.expect("unknown key 'stepz'; did you mean 'steps'")
    child.expect(r"Reopen the file to fix it\? \[Y/n\]")
    child.sendline("")  # the default is yes
    child.expect(r"Reopen the file to fix it\? \[Y/n\]")
    child.sendline("y")
    child.expect(r"mine\.yaml: ok \(3 steps\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(editor_calls(editor)) == 3
