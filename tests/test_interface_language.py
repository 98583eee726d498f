"""masseur's own words follow the routine's language: Russian routines get a Russian interface."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pexpect

from cli_helper import run_main
from masseur.words import ENGLISH, RUSSIAN, words_for
from pty_helper import plain, spawn_masseur

NAME = "stopy-pered-snom"


def english_words() -> set[str]:
    """Every English word of masseur's own interface (key names it shares with Russian aside)."""
    found = set()
    for text in ENGLISH.values():
        found |= {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)}
    for text in RUSSIAN.values():
        found -= {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)}
    found |= {"left", "right", "foot", "step", "steps", "part", "parts", "next", "total"}
    return found


def english_in(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z]{3,}", text)} & english_words()


def test_the_word_list_is_not_empty() -> None:
    assert {"paused", "ready", "session", "step", "left"} <= english_words()


def test_every_english_word_has_a_russian_one() -> None:
    assert set(RUSSIAN) == set(ENGLISH)
    words = words_for("ru")
    assert words.count(1, "step") == "1 шаг"
    assert words.count(3, "step") == "3 шага"
    assert words.count(11, "part") == "11 отрезков"
    assert words_for("de")("paused") == ENGLISH["paused"]  # other languages: English


def test_russian_safety_screen_live_screen_and_summary(masseur_home: Path) -> None:
    child = spawn_masseur(masseur_home, "run", NAME, "--text-only", rows=24, columns=80)
    child.logfile_read = seen = io.StringIO()
    child.expect(r"Начать сеанс\? \[Д/н\]")
    safety = plain(child.before + child.after)
    assert "Приготовьте" in safety
    child.sendline("д")
    child.expect("Вступление")
    child.send("n")  # on to the first step
    child.expect("осталось")
    child.expect("Дальше в")
    for _ in range(8):  # on to a step done on each foot: its side comes from side_names
        child.send("n")
        if child.expect(["левая стопа", pexpect.TIMEOUT], timeout=2) == 0:
            break
    child.send(" ")
    child.expect("ПАУЗА")
    screen = plain(seen.getvalue()).split("Вступление", 1)[1]
    child.send("q")
    child.expect("Сеанс остановлен")
    child.expect(pexpect.EOF)
    summary = plain(child.before)
    child.close()
    assert child.exitstatus == 0
    assert "левая стопа" in screen
    for shown in (safety, screen, summary):
        assert not english_in(shown), shown


def test_russian_guide_has_russian_headings(masseur_home: Path) -> None:
    guide = run_main(["export", NAME, "-f", "md"]).stdout
    assert "## Не делайте этот массаж, если" in guide
    assert "## Приготовьте" in guide
    assert not english_in(guide), english_in(guide)
    txt = run_main(["export", NAME, "-f", "txt"]).stdout
    assert "ЗАВЕРШЕНИЕ" in txt and not english_in(txt), english_in(txt)
