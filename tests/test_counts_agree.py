"""One total and one count of steps and timed parts, whichever command shows them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_helper import run_main
from masseur.durations import format_duration
from masseur.library import available_routines

BUILTIN = sorted(entry.name for entry in available_routines() if entry.origin == "built-in")

# (settings from the environment, which every command reads; options given on the command line)
OPTIONS = [
    ({}, []),
    ({"MASSEUR_RATE": "120", "MASSEUR_COUNTDOWN": "1"}, []),
    ({"MASSEUR_CHIMES": "0", "MASSEUR_HALFWAY": "1"}, []),
    ({}, ["--minutes", "15"]),
    ({"MASSEUR_RATE": "200"}, ["--minutes", "24.5", "--countdown"]),
]
TOTALS = re.compile(r"(\S+), (\d+) (?:steps?|шаг\w*), (\d+) (?:timed parts?|отрез\w*)")


def totals_in(text: str) -> tuple[str, int, int]:
    found = TOTALS.search(" ".join(text.split()))
    assert found, text
    return found.group(1), int(found.group(2)), int(found.group(3))


@pytest.mark.parametrize(("env", "args"), OPTIONS)
def test_list_show_dry_run_and_exports_agree(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    listed = {row["name"]: row for row in json.loads(run_main(["list", "--json"]).stdout)}
    for name in BUILTIN:
        document = json.loads(run_main(["export", name, "-f", "json", *args]).stdout)
        totals = document["totals"]
        expected = (format_duration(totals["total_ms"]), totals["steps"], totals["segments"])
        assert totals["total_ms"] % 1000 == 0, "a total is whole seconds"
        assert expected[2] == len(document["segments"])

        shown = run_main(["show", name, *args])
        dry_run = run_main(["run", name, "--dry-run", *args])
        txt = run_main(["export", name, "-f", "txt", *args])
        for result in (shown, dry_run, txt):
            assert result.exit_code == 0, result.output
        assert totals_in(shown.stdout) == expected, name
        assert totals_in(dry_run.stdout.split("Total", 1)[1]) == expected, name
        assert totals_in(txt.stdout.splitlines()[1]) == expected, name
        if not args:
            row = listed[name]
            assert (row["total_ms"], row["steps"], row["parts"]) == (
                totals["total_ms"],
                totals["steps"],
                totals["segments"],
            ), name


def test_one_of_a_kind_is_singular(masseur_home: Path, tmp_path: Path) -> None:
    routine = tmp_path / "one.yaml"
    routine.write_text(
        "name: one\ntitle: One\ndescription: A single step.\n"
        "steps:\n  - {title: Rub, say: Rub the sole., duration: 30s}\n"
    )
    shown = run_main(["show", str(routine)])
    assert "1 step, 1 timed part" in shown.stdout
    assert "1 steps" not in shown.stdout and "1 timed parts" not in shown.stdout
    validated = run_main(["validate", str(routine)])
    assert "1 step)" in validated.output
