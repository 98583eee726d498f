"""The words masseur speaks itself: numbers and plural forms in each language."""

from __future__ import annotations

import pytest

from masseur.phrases import ENGLISH, RUSSIAN, phrases_for, russian_number, russian_plural


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (10, "Ten seconds left.", "Осталось десять секунд."),
        (30, "Thirty seconds left.", "Осталось тридцать секунд."),
        (1, "One second left.", "Осталась одна секунда."),
        (2, "Two seconds left.", "Осталось две секунды."),
        (21, "Twenty-one seconds left.", "Осталась двадцать одна секунда."),
        (22, "Twenty-two seconds left.", "Осталось двадцать две секунды."),
        (45, "Forty-five seconds left.", "Осталось сорок пять секунд."),
        (60, "One minute left.", "Осталась одна минута."),
        (120, "Two minutes left.", "Осталось две минуты."),
    ],
)
def test_seconds_left(seconds: int, english: str, russian: str) -> None:
    assert ENGLISH.seconds_left(seconds) == english
    assert RUSSIAN.seconds_left(seconds) == russian


def test_russian_plural_forms_follow_the_last_digits() -> None:
    forms = ("секунда", "секунды", "секунд")
    assert [russian_plural(n, *forms) for n in (1, 2, 5, 11, 12, 14, 21, 23, 25)] == [
        "секунда",
        "секунды",
        "секунд",
        "секунд",
        "секунд",
        "секунд",
        "секунда",
        "секунды",
        "секунд",
    ]
    assert russian_number(12) == "двенадцать"
    assert russian_number(31, feminine=True) == "тридцать одна"


def test_language_codes_pick_their_phrases() -> None:
    assert phrases_for("ru") is RUSSIAN
    assert phrases_for("en-GB") is ENGLISH
    assert phrases_for("de") is ENGLISH  # no German phrases yet: English rather than nothing
