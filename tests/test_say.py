"""`masseur say` and `masseur voices --sample`: hear a voice before a long session.

Playback is real (simpleaudio into recipe A's ALSA file capture), speech is real espeak-ng.
"""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import home_env
from masseur.audio import Sound
from masseur.cli import cli
from masseur.phrases import RUSSIAN
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, list_voices

from audio_capture import file_capture

SENTENCE = "Rub the sole of your foot."


def masseur(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "masseur", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_say_writes_the_sentence_to_a_wav_file(masseur_home: Path) -> None:
    out = masseur_home.parent / "rub.wav"
    result = CliRunner().invoke(cli, ["say", SENTENCE, "--rate", "170", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with Pyttsx3Synthesizer() as synthesizer:  # the cache the command filled
        cached = synthesizer.synthesize(SENTENCE, VoiceSettings(None, 170))
    assert Sound.from_wav(out) == Sound.from_wav(cached)
    with wave.open(str(out), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (22050, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["say", ""], "there is nothing to say"),
        (["say", "Hello.", "--rate", "20"], "Invalid value for '--rate'"),
        (["say", "Hello.", "--voice", "xx-nowhere"], "no installed voice speaks 'xx-nowhere'"),
    ],
)
def test_say_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, masseur_home: Path
) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and message in result.output, result.output


def test_say_does_not_overwrite_a_file_without_force(masseur_home: Path) -> None:
    out = masseur_home / "kept.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"mine")
    result = CliRunner().invoke(cli, ["say", SENTENCE, "-o", str(out)])
    assert result.exit_code == 2 and "use --force" in result.output
    assert out.read_bytes() == b"mine"


@pytest.mark.audio
def test_say_plays_the_sentence(tmp_path: Path) -> None:
    capture = file_capture(tmp_path / "capture")
    env = {**capture.env(), **home_env(tmp_path / "home")}
    result = masseur(["say", SENTENCE, "--voice", "en-us"], env)
    assert result.returncode == 0, result.stderr
    with Pyttsx3Synthesizer(tmp_path / "home" / "cache" / "speech") as synthesizer:
        expected = Sound.from_wav(synthesizer.synthesize(SENTENCE, VoiceSettings("en-us", 150)))
    assert [sound.pcm for sound in capture.sounds()] == [expected.pcm]


@pytest.mark.audio
def test_voices_sample_says_a_sentence_in_each_voice_listed(tmp_path: Path) -> None:
    capture = file_capture(tmp_path / "capture")
    env = {**capture.env(), **home_env(tmp_path / "home")}
    result = masseur(["voices", "--sample", "--language", "ru"], env)
    assert result.returncode == 0, result.stderr
    russian = [v.id for v in list_voices() if any(x.startswith("ru") for x in v.languages)]
    assert [line.split()[0] for line in result.stdout.splitlines()] == russian
    played = capture.sounds()
    assert len(played) == len(russian)
    with Pyttsx3Synthesizer(tmp_path / "home" / "cache" / "speech") as synthesizer:
        first = synthesizer.synthesize(RUSSIAN.voice_sample, VoiceSettings(russian[0], 150))
    assert played[0].pcm == Sound.from_wav(first).pcm


def test_without_a_sound_device_say_points_to_a_file(tmp_path: Path) -> None:
    env = {**home_env(tmp_path / "home"), "PATH": "/usr/bin:/bin", "ALSA_CONFIG_PATH": "/dev/null"}
    result = masseur(["say", SENTENCE], env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "give -o FILE.wav" in result.stderr, result.stderr
