"""Every Russian sentence masseur can speak, as espeak-ng really pronounces it.

espeak-ng reads a stand-alone «к» as the letter's name («ка») and puts the stress on the wrong
syllable of some common words. Stress marks do not help, so the cure is other words. This test
renders each sentence to phonemes (``espeak-ng -v ru -x -q``) and fails on the readings below,
so a new sentence cannot bring one back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from masseur.phrases import RUSSIAN
from masseur.routine import load_routine
from masseur.timeline import TimelineOptions, build_timeline

ROUTINES = Path(__file__).resolve().parents[1] / "routines"

# A phoneme pattern espeak-ng produces for a word, and what is wrong with that reading.
MISPRONOUNCED: dict[str, str] = {
    r"^k'A$": "the preposition «к» read as the letter «ка»; use «до» or reword",
    r"p;ir;'et": "«перед» stressed on the second syllable",
    r"^d;'ela#?$": "«дела» stressed on the first syllable",
    r"razm;'inVjt": "«разминайте» stressed on «ми»",
    r"pVk'AtS;Vjt": "«покачайте» stressed on «ка»",
    r"stVr'ony": "«стороны» stressed on «ро»",
    r"Vbxv'At;it": "«обхватите» stressed on «ха»",
    r"d;irZ'yvVjt": "«придерживайте» stressed on «жи»",
    r"^n'osk;I": "«носки» stressed on the first syllable",
    r"^stVp'u$": "«стопу» stressed on the ending",
    r"^st'opy$": "«стопы» (one foot's) stressed on the first syllable",
    r"gVl;in'ostVp": "«голеностопа» stressed on «но»",
    r"Vs;t;i'opVrVs": "«остеопороз» stressed on «о»",
    r"zlVk'AtS;": "«злокачественные» stressed on «ка»",
    r"^Stot'o$": "«что-то» read with the stress at the end",
    r"Vtp'us;t;it": "«отпустите» stressed on «пу»",
}

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


@cache
def phonemes(text: str) -> tuple[str, ...]:
    """The words of ``text`` as espeak-ng's Russian voice pronounces them."""
    result = subprocess.run(
        ["espeak-ng", "-v", "ru", "-x", "-q", text],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return tuple(result.stdout.split())


def problems(text: str) -> list[str]:
    found = []
    for word in phonemes(text):
        for pattern, why in MISPRONOUNCED.items():
            if re.search(pattern, word):
                found.append(f"{why} ({word})")
    return found


def russian_sentences() -> list[str]:
    """Everything masseur says in Russian: routine text in every kind of session, and its own
    phrases (both safety versions, countdowns, sides)."""
    texts: set[str] = set()
    for path in sorted(ROUTINES.glob("*.yaml")):
        routine = load_routine(path)
        if routine.language.split("-")[0] != "ru":
            continue
        for speak_warnings in (False, True):
            for given_to in ("self", "other"):
                options = TimelineOptions(
                    countdown=True, halfway=True, speak_warnings=speak_warnings
                )
                variant = replace(routine, given_to=given_to)
                texts.update(event.text for event in build_timeline(variant, options).spoken())
        texts.update(routine.contraindications)
    texts.update(
        value for value in vars(RUSSIAN).values() if isinstance(value, str) and "{" not in value
    )
    texts.update(RUSSIAN.side_first.format(side=side) for side in (RUSSIAN.left, RUSSIAN.right))
    texts.update(RUSSIAN.side_switch.format(side=side) for side in (RUSSIAN.left, RUSSIAN.right))
    texts.update(RUSSIAN.seconds_left(seconds) for seconds in range(1, 60))
    texts.update(RUSSIAN.seconds_left(seconds) for seconds in range(60, 3600, 60))
    return sorted(texts)


def test_no_russian_sentence_has_a_known_mispronunciation() -> None:
    sentences = russian_sentences()
    assert len(sentences) > 100  # routine text, safety words and countdowns all took part
    found = [
        f"{sentence[:70]!r}: {problem}" for sentence in sentences for problem in problems(sentence)
    ]
    assert not found, "\n".join(found)


def test_no_stand_alone_k_in_the_text() -> None:
    # Also checked on the text itself, in case a future espeak-ng spells it differently.
    found = [s for s in russian_sentences() if re.search(r"(?<![а-яё])к(?![а-яё])", s, re.I)]
    assert not found, found


@pytest.mark.parametrize(
    ("sentence", "why"),
    [
        ("Гладьте от пальцев к щиколотке.", "«к»"),
        ("Устройтесь поудобнее, все дела подождут.", "«дела»"),
        ("Наденьте тёплые носки.", "«носки»"),
        ("Слегка покачайте из стороны в сторону.", "«стороны»"),
    ],
)
def test_the_check_catches_each_kind_of_mistake(sentence: str, why: str) -> None:
    assert any(why in problem for problem in problems(sentence)), phonemes(sentence)
