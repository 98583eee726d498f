"""How long espeak-ng takes to say a text, worked out from the text alone (pure, no engine)."""

from __future__ import annotations

import re

from masseur.phrases import EN_ONES, EN_TENS
from masseur.speech.base import MAX_RATE, MIN_RATE, normalize_language

# Fitted to real espeak-ng 1.51 output by ``benchmarks/bench_speech.py --fit`` (least squares
# on relative error, 30 English and 12 Russian sentences at 100-220 wpm). The model is
#     ms = (letters * a + clause pauses * b + sentence ends * c) * 150 / rate + d
# Letters (numbers spelled out first) stood in for phonemes as well as any syllable or
# phoneme guess tried; the pauses espeak makes shrink with the rate too. Above ~250 wpm
# espeak shortens pauses much more than this and the estimate runs long.
# Keys: primary language subtag; other languages use English.
_ESTIMATE_MODELS: dict[str, tuple[float, float, float, float]] = {
    "en": (66.9, 382.1, 606.5, -110.0),
    "ru": (65.4, 346.0, 480.4, -27.5),
}

_LETTER = re.compile(r"[^\W\d_]")
_NUMBER = re.compile(r"\d+")
_CLAUSE_PAUSE = re.compile(r"[,;:\u2013\u2014]|\s-\s")
_SENTENCE_END = re.compile(r"[.!?\u2026]+(?=\s|$)")


def _number_words(number: int) -> str:
    """English words for a number, as espeak reads it (close enough to count letters)."""
    if number < 20:
        return EN_ONES[number]
    if number < 100:
        return EN_TENS[number // 10] + ("" if number % 10 == 0 else " " + EN_ONES[number % 10])
    if number < 1000:
        rest = "" if number % 100 == 0 else " and " + _number_words(number % 100)
        return EN_ONES[number // 100] + " hundred" + rest
    if number < 1_000_000:
        rest = "" if number % 1000 == 0 else " " + _number_words(number % 1000)
        return _number_words(number // 1000) + " thousand" + rest
    return " ".join(EN_ONES[int(digit)] for digit in str(number))


def speech_features(text: str) -> tuple[int, int, int]:
    """(letters, clause pauses, sentence ends) of ``text``: what the estimate is made from."""
    spelled = _NUMBER.sub(lambda match: _number_words(int(match.group())), text)
    letters = len(_LETTER.findall(spelled))
    pauses = len(_CLAUSE_PAUSE.findall(spelled))
    ends = max(1, len(_SENTENCE_END.findall(spelled.strip())))
    return letters, pauses, ends


def _estimate_family(language: str) -> str:
    # Accept "en", "en-GB", "ru_RU" and voice ids such as "zle/ru".
    return normalize_language(language or "en").rsplit("/", 1)[-1].split("-")[0]


def estimate_speech_ms(text: str, rate: int, language: str = "en") -> int:
    """How long espeak-ng takes to say ``text`` at ``rate`` words per minute, in ms.

    Includes the silence espeak leaves at the end. Measured error at 120-180 wpm: see
    ``benchmarks/bench_speech.py`` (about 5 % on average, under 20 % for any sentence tried).
    """
    if not text.strip():
        return 0
    per_letter, per_pause, per_end, fixed = _ESTIMATE_MODELS.get(
        _estimate_family(language), _ESTIMATE_MODELS["en"]
    )
    letters, pauses, ends = speech_features(text)
    scale = 150 / max(MIN_RATE, min(MAX_RATE, rate))
    spoken = per_letter * letters + per_pause * pauses + per_end * ends
    return max(1, round(spoken * scale + fixed))
