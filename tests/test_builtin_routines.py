"""The built-in routine library: every file loads, fits its time budget and reads well aloud.

The routines are written from a machine-translated article on foot, shin and thigh massage.
The facts carry over; the sentences must not. ``test_narration_is_not_copied_from_article``
guards that, and the duration table below ties each routine to what the article says.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from masseur.phrases import phrases_for
from masseur.routine import Routine, load_routine
from masseur.timeline import EventKind, TimelineOptions, build_timeline

REPO = Path(__file__).resolve().parents[1]
ROUTINES_DIR = REPO / "routines"
ROUTINE_FILES = sorted(ROUTINES_DIR.glob("*.yaml"))
DEFAULT_ARTICLE = REPO.parent / "shared" / "seed" / "foot-massage-article.txt"

MINUTE_MS = 60_000

# Allowed total step time per routine, in minutes (low, high), with the article's reason.
DURATION_RANGES_MIN: dict[str, tuple[float, float]] = {
    # "if you do it yourself, it may take about half an hour"
    "foot-self-massage": (25, 35),
    # Classical: "Within three minutes ... alternate stroking and rubbing ... kneading ...
    # again replaced by stroking. It will take approximately 5 minutes." Five per foot.
    "foot-classic": (8, 12),
    # Relaxing: "Within 15-20 minutes, they should be well kneaded, stroked and squeezed".
    "bedtime-relax": (15, 20),
    # "Even a short impact of one or two minutes on the painful point"; ten zones, eight of
    # them on both feet and two on one foot, plus a warm-up and closing strokes.
    "reflex-points": (18, 30),
    # "We give each toe a minute": ten toes, plus warming up, the big toe joint, the spaces
    # between the toes and closing strokes.
    "toes": (12, 20),
    # Shins: seven passes per lower leg, rubbing, kneading, shaking the calf, the knee. The
    # article gives no time; a few minutes per technique and leg gives ten to twenty.
    "shins-and-calves": (10, 20),
    # Thighs: front and back, kneading, stroking, squeezing, vibration. No time in the
    # article; about eight minutes per leg, like the shins.
    "thighs": (10, 20),
    # Tools: ball, rolling pin, spiked mat, box of beans or pebbles, foot on foot and the
    # article's foot exercises. No time given; a couple of minutes per tool.
    "tools-self-massage": (10, 20),
    # "It is extremely useful to massage the legs of children before going to bed": a short
    # bedtime ritual, kept brief for a child.
    "child-bedtime": (5, 10),
    # Vigorous leg work from ankle to hip with five techniques per leg; the article gives no
    # time, and it is longer than the thigh routine because it covers the calf too.
    "anti-cellulite-legs": (12, 25),
    # The relaxing evening massage again ("15-20 minutes"), in a shorter evening version.
    "stopy-pered-snom": (12, 20),
    # "By properly massaging the feet for a few minutes every day": a short daily session of
    # about five minutes, the first one for a beginner.
    "daily-feet": (4, 6),
    # Someone else's feet ("you can do it to a friend, partner"): the relaxing massage takes
    # "15-20 minutes"; nine techniques per foot give twelve to twenty.
    "partner-feet": (12, 20),
    # Sitting all day brings "blood stasis" in the legs; "a few minutes every day" at the desk,
    # a little longer than the daily routine because the calves are worked too.
    "desk-feet": (6, 10),
}

# How many times the person moves from one foot (or leg) to the other in a session. Moving the
# foot and the towel costs time and calm, and the article works one leg at a time with the
# other covered, so each side gets its whole sequence: one switch, unless noted.
SIDE_SWITCH_CEILING: dict[str, int] = {
    "foot-self-massage": 1,
    "foot-classic": 1,
    "bedtime-relax": 1,
    # The heart zone is worked on the left foot only and the liver zone on the right only;
    # both fit inside the one pass of their foot.
    "reflex-points": 1,
    "toes": 1,
    "shins-and-calves": 1,
    "thighs": 1,
    # Tools: the ball is rolled under one foot, then the other (1); after the standing work,
    # foot on foot starts with the foot that rolled last (2).
    "tools-self-massage": 2,
    "child-bedtime": 1,
    "anti-cellulite-legs": 1,
    "stopy-pered-snom": 1,
    "daily-feet": 1,
    "partner-feet": 1,
    # Both feet pedal and circle together first; then one foot at a time.
    "desk-feet": 1,
}

# Speaking time is estimated from the word count at the routine's rate in words per minute.
# espeak-ng at 150 wpm took 11.6 s for 34 English words (estimate 13.6 s) but 9.5 s for
# 20 Russian words (estimate 8.0 s): Russian words are longer, so they count extra.
WORD_WEIGHT = {"en": 1.0, "ru": 1.4}
DEFAULT_RATE_WPM = 150

SAY_WORDS = (6, 80)
CUE_MAX_WORDS = 16
# A reminder at least every minute: "every 30-60 s a short reminder of technique".
MAX_SILENCE_MS = 60_000
# The longest run of words the narration may share with the article.
MAX_SHARED_RUN = 7

# Things espeak-ng reads badly or that do not belong in plain spoken sentences.
FORBIDDEN_CHARACTERS = set("0123456789()[]{}/\\&%#*_<>@|~^=+\u2014\u2013\u2026")
ABBREVIATIONS = re.compile(
    r"\b(e\.\s?g|i\.\s?e|etc|approx|tsp|tbsp|min|mins|sec|secs|hr|hrs|ml|cm|mm|kg|vs|dr|st|no\.)\b"
    r"|\b(мин|сек|ч\.|т\.\s?[дпе]|см\.|напр|др\.|пр\.|г\.|мл|кг)(?![а-яё])",
    re.IGNORECASE,
)
SIDE_WORDS = {
    "en": re.compile(r"\b(left|right)\b", re.IGNORECASE),
    "ru": re.compile(r"(?<![а-яё])(лев|прав)(ая|ой|ую|ый|ого|ом|ые|ых)(?![а-яё])", re.IGNORECASE),
}
SCRIPT_OF_LANGUAGE = {"en": re.compile(r"[A-Za-z]"), "ru": re.compile(r"[А-Яа-яЁё]")}
OTHER_SCRIPT = {"en": re.compile(r"[А-Яа-яЁё]"), "ru": re.compile(r"[A-Za-z]")}


# --------------------------------------------------------------------------- helpers


def words(text: str) -> list[str]:
    """Lowercased words, punctuation ignored; curly apostrophes count as straight ones."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower().replace("\u2019", "'"))


def word_ngrams(text: str, size: int) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def shared_runs(text: str, article_grams: set[tuple[str, ...]], size: int) -> list[str]:
    """Every run of ``size`` consecutive words of ``text`` that also appears in the article."""
    tokens = words(text)
    return [
        " ".join(tokens[i : i + size])
        for i in range(len(tokens) - size + 1)
        if tuple(tokens[i : i + size]) in article_grams
    ]


def spoken_texts(routine: Routine) -> Iterator[tuple[str, str]]:
    """Everything masseur speaks, with where it comes from."""
    yield "title", routine.title
    if routine.intro:
        yield "intro", routine.intro
    for phase in routine.all_phases:
        if routine.phases is not None:
            yield f"phase {phase.name} title", phase.heading
        for index, step in enumerate(phase.steps):
            where = f"step {step.name or index + 1}"
            yield f"{where} say", step.say
            for cue in step.cues:
                yield f"{where} cue at {cue.at / 1000:g}s", cue.say
    if routine.outro:
        yield "outro", routine.outro
    if routine.side_names:
        yield "side name", routine.side_names.left
        yield "side name", routine.side_names.right


def all_texts(routine: Routine) -> Iterator[tuple[str, str]]:
    """Spoken text plus what is shown on screen: lists, notes, step titles."""
    yield from spoken_texts(routine)
    yield "description", routine.description
    for label, items in (
        ("contraindication", routine.contraindications),
        ("preparation", routine.preparation),
        ("note", routine.notes),
    ):
        for item in items:
            yield label, item
    for _, step in routine.iter_steps():
        if step.title:
            yield f"step {step.name} heading", step.title


def speaking_ms(text: str, routine: Routine) -> float:
    rate = routine.voice.rate or DEFAULT_RATE_WPM
    weight = WORD_WEIGHT.get(routine.language.split("-")[0], 1.0)
    return len(words(text)) * weight / rate * MINUTE_MS


def article_path() -> Path:
    override = os.environ.get("MASSEUR_ARTICLE")
    return Path(override) if override else DEFAULT_ARTICLE


@pytest.fixture(scope="module")
def article_grams() -> set[tuple[str, ...]]:
    path = article_path()
    if not path.is_file():
        message = f"source article not found at {path}; set MASSEUR_ARTICLE to its path"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return word_ngrams(path.read_text(encoding="utf-8"), MAX_SHARED_RUN + 1)


@pytest.fixture(params=ROUTINE_FILES, ids=[path.stem for path in ROUTINE_FILES])
def routine_file(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture
def routine(routine_file: Path) -> Routine:
    return load_routine(routine_file)


# --------------------------------------------------------------------------- the library


def test_library_has_every_routine_and_a_duration_row_for_each() -> None:
    stems = {path.stem for path in ROUTINE_FILES}
    assert len(stems) >= 14, f"expected at least 14 built-in routines, found {sorted(stems)}"
    assert stems == set(DURATION_RANGES_MIN), (
        f"routines without a duration row: {sorted(stems - set(DURATION_RANGES_MIN))}; "
        f"rows without a routine: {sorted(set(DURATION_RANGES_MIN) - stems)}"
    )


def test_every_routine_has_a_side_switch_ceiling() -> None:
    stems = {path.stem for path in ROUTINE_FILES}
    assert stems == set(SIDE_SWITCH_CEILING)


def test_library_has_a_russian_routine() -> None:
    languages = {load_routine(path).language for path in ROUTINE_FILES}
    assert "ru" in languages


# --------------------------------------------------------------------------- each routine


def test_loads_and_name_is_file_stem(routine_file: Path, routine: Routine) -> None:
    assert routine.name == routine_file.stem


def test_total_time_is_in_the_article_range(routine: Routine) -> None:
    low, high = DURATION_RANGES_MIN[routine.name]
    minutes = routine.steps_ms / MINUTE_MS
    assert low <= minutes <= high, (
        f"{routine.name} takes {minutes:.2f} minutes of steps; the table allows {low}-{high}"
    )


def test_has_safety_and_preparation_lists(routine: Routine) -> None:
    assert len(routine.contraindications) >= 4
    assert len(routine.preparation) >= 1


def test_every_step_has_a_title(routine: Routine) -> None:
    untitled = [step.say[:40] for _, step in routine.iter_steps() if not step.title]
    assert not untitled, f"steps without a title: {untitled}"


def test_step_speech_has_sensible_length_and_fits_its_step(routine: Routine) -> None:
    low, high = SAY_WORDS
    for _, step in routine.iter_steps():
        count = len(words(step.say))
        assert low <= count <= high, f"{step.name}: 'say' has {count} words, want {low}-{high}"
        spoken = speaking_ms(step.say, routine)
        assert spoken < step.duration, (
            f"{step.name}: 'say' takes about {spoken / 1000:.1f}s to speak, "
            f"longer than the step ({step.duration / 1000:g}s)"
        )


def test_cues_are_short(routine: Routine) -> None:
    wordy = [
        f"{step.name} at {cue.at / 1000:g}s: {len(words(cue.say))} words"
        for _, step in routine.iter_steps()
        for cue in step.cues
        if len(words(cue.say)) > CUE_MAX_WORDS
    ]
    assert not wordy, f"cues longer than {CUE_MAX_WORDS} words: {wordy}"


def test_speech_never_overlaps_in_the_session(routine: Routine) -> None:
    # Lay the session out as masseur plays it: the phase title and the side announcement come
    # before each step's words, then the cues. Nothing may still be talking when the next
    # sentence or the next step starts.
    def estimate(text: str, rate: int, language: str) -> int:
        return round(speaking_ms(text, routine))

    rate = routine.voice.rate or DEFAULT_RATE_WPM
    timeline = build_timeline(routine, TimelineOptions(rate=rate, estimate=estimate))
    spoken = sorted(timeline.spoken(), key=lambda event: event.at_ms)
    problems = [
        f"{current.text[:50]!r} is still speaking at {following.at_ms / 1000:.1f}s "
        f"when {following.text[:50]!r} starts"
        for current, following in itertools.pairwise(spoken)
        if current.end_ms > following.at_ms
    ]
    problems += [
        f"{event.text[:50]!r} runs past the end of its step"
        for event in spoken
        if event.kind in (EventKind.STEP, EventKind.CUE)
        and event.end_ms > timeline.segments[event.segment].end_ms
    ]
    assert not problems, "\n".join(problems)


def test_side_switches_stay_under_the_ceiling(routine: Routine) -> None:
    # Count the moves from one side to the other as the session plays them, and check that
    # each one is spoken at the moment it happens.
    timeline = build_timeline(routine, TimelineOptions(estimate=lambda text, rate, lang: 1000))
    sided = [segment for segment in timeline.segments if segment.side is not None]
    switches = [later for earlier, later in itertools.pairwise(sided) if earlier.side != later.side]
    ceiling = SIDE_SWITCH_CEILING[routine.name]
    assert len(switches) <= ceiling, (
        f"{routine.name} switches sides {len(switches)} times; the table allows {ceiling}"
    )
    step_text = {e.segment: e.text for e in timeline.events if e.kind is EventKind.STEP}
    side_name = routine.side_names or phrases_for(routine.language)
    for segment in switches:
        name = side_name.left if segment.side == "left" else side_name.right
        assert name.lower() in step_text[segment.index].lower(), (
            f"{routine.name}: the switch to the {segment.side} side before "
            f"{segment.heading!r} is not spoken"
        )


def test_long_steps_have_regular_reminders(routine: Routine) -> None:
    for _, step in routine.iter_steps():
        moments = [0, *sorted(cue.at for cue in step.cues), step.duration]
        longest = max(later - earlier for earlier, later in itertools.pairwise(moments))
        assert longest <= MAX_SILENCE_MS, (
            f"{step.name}: {longest / 1000:g}s without a spoken reminder; add a cue"
        )


def test_spoken_text_is_plain(routine: Routine) -> None:
    problems = []
    for where, text in spoken_texts(routine):
        odd = sorted(set(text) & FORBIDDEN_CHARACTERS)
        if odd:
            problems.append(f"{where}: characters {odd} in {text!r}")
        abbreviation = ABBREVIATIONS.search(text)
        if abbreviation:
            problems.append(f"{where}: abbreviation {abbreviation.group(0)!r} in {text!r}")
    assert not problems, "\n".join(problems)


def test_sentences_end_with_a_full_stop(routine: Routine) -> None:
    for where, text in spoken_texts(routine):
        if where in ("title", "side name") or where.startswith("phase"):
            continue
        assert text.rstrip()[-1] in ".!?", f"{where}: {text!r} does not end a sentence"


def test_text_is_in_the_routine_language(routine: Routine) -> None:
    # espeak-ng switches to another language's rules for words in a foreign script.
    language = routine.language.split("-")[0]
    for where, text in spoken_texts(routine):
        assert SCRIPT_OF_LANGUAGE[language].search(text), f"{where}: no {language} letters"
        foreign = OTHER_SCRIPT[language].search(text)
        assert not foreign, f"{where}: foreign letter {foreign.group(0)!r} in {text!r}"


def test_steps_on_both_sides_do_not_name_a_side(routine: Routine) -> None:
    # The same 'say' is spoken for each side, so it must fit either foot or leg.
    side_word = SIDE_WORDS[routine.language.split("-")[0]]
    for _, step in routine.iter_steps():
        if step.sides is not None and len(step.sides) == 1:
            continue
        for text in (step.say, *(cue.say for cue in step.cues)):
            found = side_word.search(text)
            assert not found, f"{step.name}: says {found.group(0)!r} but runs on both sides"


def test_narration_is_not_copied_from_article(
    routine: Routine, article_grams: set[tuple[str, ...]]
) -> None:
    copied = [
        f"{where}: '{run}'"
        for where, text in all_texts(routine)
        for run in shared_runs(text, article_grams, MAX_SHARED_RUN + 1)
    ]
    assert not copied, (
        f"{routine.name} shares runs of {MAX_SHARED_RUN + 1}+ words with the article:\n"
        + "\n".join(copied)
    )


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_tightest_step_fits_when_really_spoken(routine: Routine, tmp_path: Path) -> None:
    # Check the word-count estimate against real speech where it matters most: the step whose
    # opening words fill the largest share of its time.
    _, step = max(
        routine.iter_steps(), key=lambda item: speaking_ms(item[1].say, routine) / item[1].duration
    )
    rate = routine.voice.rate or DEFAULT_RATE_WPM
    # Written to a file: a WAV streamed to stdout has no real length in its header.
    wav = tmp_path / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", routine.language, "-s", str(rate), "-w", str(wav), step.say],
        capture_output=True,
        check=True,
        timeout=60,
    )
    seconds = _wav_seconds(wav)
    assert 0 < seconds * 1000 < step.duration
    assert seconds * 1000 <= speaking_ms(step.say, routine) * 1.25, (
        f"{step.name}: espeak-ng took {seconds:.1f}s, well over the estimate; "
        "raise WORD_WEIGHT for this language"
    )


# --------------------------------------------------------------------------- the checker itself


def test_shared_runs_ignore_case_and_punctuation() -> None:
    article = word_ngrams("Rub the soles, vigorously; until they turn red and warm.", 8)
    copied = "RUB the soles vigorously until they turn red! Then stop."
    assert shared_runs(copied, article, 8) == ["rub the soles vigorously until they turn red"]
    assert shared_runs("Rub the soles vigorously until they turn pink.", article, 8) == []


def test_article_check_catches_a_copied_sentence(article_grams: set[tuple[str, ...]]) -> None:
    sentence = "Then vigorously rub the soles to redness, and carry on."
    assert shared_runs(sentence, article_grams, MAX_SHARED_RUN + 1) == []
    lifted = "Start with general vigorous rubbing movements of the entire foot."
    assert shared_runs(lifted, article_grams, MAX_SHARED_RUN + 1) == [
        "with general vigorous rubbing movements of the entire",
        "general vigorous rubbing movements of the entire foot",
    ]
