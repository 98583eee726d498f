"""The Russian routine: it validates, speaks with a Russian voice, and exports correct text."""

from __future__ import annotations

import wave
from pathlib import Path

from click.testing import CliRunner

from masseur.audio import Sound
from masseur.cli import cli
from masseur.library import load
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice
from masseur.timeline import EventKind, TimelineOptions, build_timeline

NAME = "stopy-pered-snom"


def test_russian_routine_validates_and_uses_russian_phrases() -> None:
    _, routine = load(NAME)
    assert routine.language == "ru"
    plan = build_timeline(routine, TimelineOptions(rate=routine.voice.rate or 150, countdown=True))
    spoken = " ".join(event.text for event in plan.spoken())
    assert "Теперь правая стопа." in spoken
    assert "Осталось десять секунд." in spoken
    assert "Сеанс окончен." in spoken
    assert not any(ch.isascii() and ch.isalpha() for ch in spoken)  # no English words slip in


def test_russian_text_export(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["export", NAME, "-f", "txt", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert "Вечерний массаж стоп" in result.output
    assert "Теперь правая стопа." in result.output
    assert "Before we begin" not in result.output


def test_russian_routine_renders_to_wav_with_a_russian_voice(
    masseur_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ru.wav"
    result = CliRunner().invoke(cli, ["export", NAME, "-o", str(out), "--minutes", "8"])
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > 7 * 60 * wav.getframerate()
        rate = wav.getframerate()

    _, routine = load(NAME)
    voice = resolve_voice(None, "ru")
    assert voice is not None and voice.endswith("/ru")
    words_per_minute = routine.voice.rate or 150
    options = TimelineOptions(rate=words_per_minute, minutes=8, speak_warnings=True)
    plan = build_timeline(routine, options)
    intro = next(e for e in plan.events if e.kind is EventKind.INTRO)
    # A sound file has no safety screen: it says the contraindications before the first step.
    assert "Туберкулёз." in intro.text and "на экране" not in intro.text
    # The export's opening is exactly the intro as the Russian voice says it.
    with Pyttsx3Synthesizer() as synthesizer:
        russian = Sound.from_wav(
            synthesizer.synthesize(intro.text, VoiceSettings(voice=voice, rate=words_per_minute))
        )
    exported = Sound.from_wav(out)
    assert exported.rate == rate == russian.rate
    assert exported.pcm[: len(russian.pcm)] == russian.pcm
