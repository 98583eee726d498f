"""The few sentences masseur speaks itself, in each language a routine can use.

Numbers are written out as words here, with the right plural forms, because a voice reads
"10 s" badly and Russian number agreement is not something a template can guess.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrases:
    safety: str
    side_first: str  # "{side}" is replaced by the side's name
    side_switch: str
    again: str
    halfway: str
    ending: str
    left: str
    right: str
    # Spoken when no screen shows the contraindications: before the list, after it, and
    # instead of it when a routine lists none.
    warnings_before: str
    warnings_after: str
    no_warnings: str
    # The same three, and the screen's safety sentence, when the narration speaks to someone
    # who massages another person (a child, a partner): the warnings are about that person.
    safety_other: str
    warnings_before_other: str
    no_warnings_other: str
    side_first_other: str  # "Start with their {side}."
    side_switch_other: str
    get_ready: str  # said at the start of a --lead-in, before the count
    preparing_voice: str  # shown while the session waits for the voice to speak a warning
    voice_sample: str  # what `masseur voices --sample` says in each voice

    def seconds_left(self, seconds: int) -> str:
        raise NotImplementedError

    def count(self, n: int) -> str:
        """One number of a spoken count-down ("Three.")."""
        raise NotImplementedError


EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

_RU_ONES_MASC = [
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
]
_RU_TENS = ["_", "_", "двадцать", "тридцать", "сорок", "пятьдесят"]


def english_number(n: int) -> str:
    if not 0 <= n < 60:
        raise ValueError(f"number out of range: {n}")
    if n < 20:
        return EN_ONES[n]
    tens, ones = divmod(n, 10)
    return EN_TENS[tens] + (f"-{EN_ONES[ones]}" if ones else "")


def russian_number(n: int, *, feminine: bool = False) -> str:
    """Russian number words for 0..59; ``feminine`` for nouns like секунда, минута."""
    if not 0 <= n < 60:
        raise ValueError(f"number out of range: {n}")
    tens, ones = divmod(n, 10)
    if n < 20:
        words = [_RU_ONES_MASC[n]]
    else:
        words = [_RU_TENS[tens]] + ([_RU_ONES_MASC[ones]] if ones else [])
    if feminine and (n < 10 or n >= 20):
        last = words[-1]
        words[-1] = {"один": "одна", "два": "две"}.get(last, last)
    return " ".join(words)


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    """Pick the Russian noun form for ``n``: 1 секунда, 2 секунды, 5 секунд, 21 секунда."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


class EnglishPhrases(Phrases):
    def seconds_left(self, seconds: int) -> str:
        if seconds % 60 == 0:
            minutes = seconds // 60
            unit = "minute" if minutes == 1 else "minutes"
            return f"{english_number(minutes).capitalize()} {unit} left."
        unit = "second" if seconds == 1 else "seconds"
        return f"{english_number(seconds).capitalize()} {unit} left."

    def count(self, n: int) -> str:
        return english_number(n).capitalize() + "."


class RussianPhrases(Phrases):
    def seconds_left(self, seconds: int) -> str:
        if seconds % 60 == 0:
            n = seconds // 60
            noun = russian_plural(n, "минута", "минуты", "минут")
        else:
            n = seconds
            noun = russian_plural(n, "секунда", "секунды", "секунд")
        verb = "Осталась" if n % 10 == 1 and n % 100 != 11 else "Осталось"
        return f"{verb} {russian_number(n, feminine=True)} {noun}."

    def count(self, n: int) -> str:
        return russian_number(n).capitalize() + "."


ENGLISH = EnglishPhrases(
    safety=(
        "Before we begin: if any of the warnings on the screen applies to you, "
        "stop now and ask a doctor first."
    ),
    side_first="Start with your {side}.",
    side_switch="Now switch to your {side}.",
    again="Once more.",
    halfway="You are halfway through. Keep going.",
    ending="That is the end of the session.",
    left="left foot",
    right="right foot",
    warnings_before="Before we begin, check that none of these applies to you.",
    warnings_after="If one of them does, stop now and ask a doctor first.",
    no_warnings=(
        "Before we begin: if you are unwell, injured or pregnant, stop now and ask a doctor first."
    ),
    safety_other=(
        "Before we begin: if any of the warnings on the screen applies to the person you are "
        "massaging, stop now and ask a doctor first."
    ),
    warnings_before_other=(
        "Before we begin, check that none of these applies to the person you are massaging."
    ),
    no_warnings_other=(
        "Before we begin: if the person you are massaging is unwell, injured or pregnant, stop "
        "now and ask a doctor first."
    ),
    side_first_other="Start with their {side}.",
    side_switch_other="Now switch to their {side}.",
    get_ready="Get your hands ready.",
    preparing_voice="Preparing the voice…",
    voice_sample="Rub the sole of your foot slowly, from the heel to the toes.",
)

RUSSIAN = RussianPhrases(
    safety=(
        "Прежде чем начать: если хотя бы одно предупреждение на экране касается вас, "
        "остановитесь и сначала посоветуйтесь с врачом."
    ),
    side_first="Начнём: {side}.",
    side_switch="Теперь {side}.",
    again="Ещё раз.",
    halfway="Половина сеанса позади. Продолжайте.",
    ending="Сеанс окончен.",
    left="левая стопа",
    right="правая стопа",
    warnings_before="Прежде чем начать, проверьте, что у вас нет ничего из этого списка.",
    warnings_after=(
        "Если хотя бы один пункт подходит, не начинайте и сначала посоветуйтесь с врачом."
    ),
    no_warnings=(
        "Прежде чем начать: если вам нездоровится, у вас травма или вы ждёте ребёнка, "
        "остановитесь и сначала посоветуйтесь с врачом."
    ),
    safety_other=(
        "Прежде чем начать: если хотя бы одно предупреждение на экране касается того, кому вы "
        "делаете массаж, остановитесь и сначала посоветуйтесь с врачом."
    ),
    warnings_before_other=(
        "Прежде чем начать, проверьте, что ничего из этого списка не касается того, кому вы "
        "делаете массаж."
    ),
    no_warnings_other=(
        "Прежде чем начать: если тому, кому вы делаете массаж, нездоровится, у него травма или "
        "он ждёт ребёнка, остановитесь и сначала посоветуйтесь с врачом."
    ),
    side_first_other="Начнём: {side}.",
    side_switch_other="Теперь {side}.",
    get_ready="Приготовьте руки.",
    preparing_voice="Готовлю голос…",
    voice_sample="Медленно разотрите подошву, от пятки до пальцев.",
)

_BY_LANGUAGE: dict[str, Phrases] = {"en": ENGLISH, "ru": RUSSIAN}


def phrases_for(language: str) -> Phrases:
    """Phrases for a language code such as ``en``, ``en-gb`` or ``ru``; English otherwise."""
    return _BY_LANGUAGE.get(language.split("-")[0].lower(), ENGLISH)


def supported_languages() -> list[str]:
    return sorted(_BY_LANGUAGE)
