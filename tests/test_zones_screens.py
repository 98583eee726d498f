"""The zones in words: on `masseur show` and on the live screen of a real session in a pty."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from cli_helper import run_main
from conftest import home_env

FEET = Path(__file__).parent / "data" / "guide" / "feet.yaml"
LEGS = Path(__file__).parent / "data" / "guide" / "legs.yaml"


def test_show_names_each_steps_zones_in_the_routines_language() -> None:
    english = run_main(["show", str(FEET)])
    assert english.exit_code == 0
    assert "where" in english.stdout
    lines = english.stdout.splitlines()
    assert any("Knead the heel" in line and line.rstrip().endswith("heel") for line in lines)
    assert any("The toes" in line and "toes, bases of the toes" in line for line in lines)
    russian = run_main(["show", str(LEGS)])
    assert "икра, ахиллово сухожилие" in russian.stdout


def spawn(masseur_home: Path, routine: Path, *args: str) -> pexpect.spawn:
    """A real session of ROUTINE in a pseudo-terminal, silent, past the safety question."""
    return pexpect.spawn(
        sys.executable,
        ["-m", "masseur", "run", str(routine), "--text-only", "--yes", *args],
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", **home_env(masseur_home)},
        dimensions=(40, 110),
        timeout=20,
        encoding="utf-8",
    )


def test_the_live_screen_says_where_the_current_step_works(masseur_home: Path) -> None:
    child = spawn(masseur_home, FEET)
    child.expect("Introduction")
    child.send("n")
    child.expect(r"part 1/8: Warm your hands")
    child.send("n")
    child.expect(r"part 2/8: Stroke the foot, left")
    child.expect("Where: whole foot")
    child.send("n")
    child.send("n")
    child.expect(r"part 4/8: Knead the heel, left")
    child.expect("Where: heel")
    child.expect("▀")  # the small map of the sole beside the text, on this large terminal
    child.expect("Where: arch")  # the cue at 4 s moves the hands to the arch
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_plain_lines_say_where_too(masseur_home: Path) -> None:
    child = spawn(masseur_home, LEGS, "--plain")
    child.expect("Ноги для наглядного руководства")  # the introduction
    child.send("n")
    child.expect("Где: внутренняя лодыжка, внешняя лодыжка")
    child.send("n")
    child.expect(r"отрезок 2/4: Икры, ")
    child.expect("    Где: икра, ахиллово сухожилие")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_the_terminal_map_lights_the_zone_where_it_is_drawn() -> None:
    from masseur.guide.pictures import HIGHLIGHT
    from masseur.guide.terminal import map_lines

    def lit_rows(zones: list[str], **options: bool) -> list[int]:
        lines = map_lines("sole", zones, **options)
        return [row for row, line in enumerate(lines) if any(HIGHLIGHT in s for _, s in line)]

    def lit_columns(zones: list[str], **options: bool) -> set[int]:
        lines = map_lines("sole", zones, **options)
        return {col for line in lines for col, (_, s) in enumerate(line) if HIGHLIGHT in s}

    rows = len(map_lines("sole", []))
    assert lit_rows([]) == []
    assert min(lit_rows(["heel"])) > rows * 2 // 3  # the heel is at the bottom of the sole
    assert max(lit_rows(["big-toe"])) < rows // 4  # the toes at the top
    # the big toe is on the right of a right sole, and on the left of a left one
    right, left = lit_columns(["big-toe"]), lit_columns(["big-toe"], mirrored=True)
    assert min(right) > 16 // 2 > max(left)
