"""The safety screen in a real terminal: it fits, wraps between words, and takes y/n answers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pexpect
import pytest

from masseur.library import load
from masseur.terminal import START_ANSWERS, STOP_ANSWERS, confirm, safety_lines
from masseur.words import words_for
from pty_helper import plain, spawn_masseur

LONGEST = "anti-cellulite-legs"  # the built-in routine with the most warnings
PROMPT = r"Start the session\? \[Y/n\] "
SHORT = str(Path(__file__).parent / "data" / "routines" / "short-session.yaml")


def screen_before_prompt(child: pexpect.spawn) -> list[str]:
    child.expect(PROMPT)
    return plain(child.before + child.after).split("\n")


def test_the_longest_safety_screen_fits_80x24_with_its_prompt(masseur_home: Path) -> None:
    child = spawn_masseur(masseur_home, "run", LONGEST, "--text-only", rows=24, columns=80)
    lines = screen_before_prompt(child)
    child.sendline("n")
    child.expect(pexpect.EOF)
    _, routine = load(LONGEST)
    assert len(lines) <= 24, "the title would scroll away before the prompt"
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert routine.title in text
    assert "Do not do this massage if" in text
    assert "Varicose veins" in text
    assert lines[-1].startswith("Start the session?")


@pytest.mark.parametrize("columns", [40, 60, 100])
def test_words_are_never_broken_at_any_width(masseur_home: Path, columns: int) -> None:
    child = spawn_masseur(masseur_home, "run", LONGEST, "--text-only", rows=60, columns=columns)
    lines = screen_before_prompt(child)
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert all(len(line) < columns for line in lines), lines
    _, routine = load(LONGEST)
    shown = set(" ".join(lines).replace("\u00a0", " ").split())
    for item in routine.contraindications + routine.preparation:
        missing = [word for word in item.split() if word not in shown]
        assert not missing, f"broken across lines: {missing}"


def test_a_screen_too_small_for_the_list_is_paged(masseur_home: Path) -> None:
    child = spawn_masseur(masseur_home, "run", LONGEST, "--text-only", rows=10, columns=50)
    child.expect("Enter: more")
    first_page = plain(child.before).split("\n")
    assert "Vigorous leg massage for cellulite" in "\n".join(first_page)
    assert len(first_page) <= 10
    child.sendline("")
    while child.expect(["Enter: more", PROMPT]) == 0:
        child.sendline("")
    child.sendline("n")
    child.expect("Stopped before the session")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("answer", ["y", "yes", "Y", ""])
def test_enter_y_and_yes_start(masseur_home: Path, answer: str) -> None:
    child = spawn_masseur(masseur_home, "run", SHORT, "--text-only")
    child.expect(PROMPT)
    child.sendline(answer)
    child.expect("Introduction")
    child.send("q")
    child.expect("Session stopped")
    child.expect(pexpect.EOF)
    record = json.loads((masseur_home / "data" / "history.jsonl").read_text().splitlines()[-1])
    assert record["outcome"] == "quit"


@pytest.mark.parametrize("answer", ["n", "no", "q"])
def test_n_no_and_q_stop(masseur_home: Path, answer: str) -> None:
    child = spawn_masseur(masseur_home, "run", SHORT, "--text-only")
    child.expect(PROMPT)
    child.sendline(answer)
    child.expect("Stopped before the session")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not (masseur_home / "data" / "history.jsonl").exists()


def test_another_answer_asks_again() -> None:
    answers = iter(["maybe\n", "yes\n"])
    written: list[str] = []

    class Stream:
        def write(self, text: str) -> None:
            written.append(text)

        def flush(self) -> None:
            pass

        def isatty(self) -> bool:
            return False

    assert confirm(words_for("en"), Stream(), lambda: next(answers))  # type: ignore[arg-type]
    assert "Please answer y (start) or n (stop)" in "".join(written)
    assert not confirm(words_for("en"), Stream(), lambda: "")  # type: ignore[arg-type]
    assert {"", "y", "yes"} <= START_ANSWERS and {"n", "no", "q"} <= STOP_ANSWERS


def test_compact_layout_runs_the_list_together() -> None:
    items = ["Fever.", "Heart disease."]
    full = safety_lines("T", items, [], words_for("en"), 80, compact=False)
    compact = safety_lines("T", items, [], words_for("en"), 80, compact=True)
    assert len(compact) < len(full)
    assert re.search(r"•\u00a0Fever\.\s+•\u00a0Heart", compact[-1].text)


def test_an_error_line_wraps_between_words_on_a_narrow_terminal(masseur_home: Path) -> None:
    child = spawn_masseur(masseur_home, "run", "foot-clasic", rows=24, columns=40)
    child.expect(pexpect.EOF)
    lines = [line for line in plain(child.before).split("\n") if line.strip()]
    assert len(lines) > 1 and all(len(line) < 40 for line in lines), lines
    expected = (
        "masseur: no routine named 'foot-clasic'; did you mean 'foot-classic' or "
        "'foot-self-massage'?"
    )
    assert " ".join(" ".join(lines).split()) == expected
