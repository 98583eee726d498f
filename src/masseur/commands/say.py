"""``masseur say``: one sentence in a voice, to hear it (or keep it) before a long session."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from masseur.completion import complete_voice
from masseur.config.table import SETTINGS

if TYPE_CHECKING:
    from masseur.audio import Sound
    from masseur.speech import Pyttsx3Synthesizer


def play_to_end(sound: Sound, advice: str) -> None:
    """Play ``sound`` through the sound device and wait until it has been heard; without a
    device, AudioUnavailable says why and gives ``advice``."""
    from masseur.audio import AudioUnavailable, SimpleaudioPlayer

    try:
        player = SimpleaudioPlayer()
        playback = player.play(sound)
    except AudioUnavailable as error:
        reason = error.message.split(";")[0]  # its advice is for sessions
        raise AudioUnavailable(f"{reason}; {advice}") from None
    try:
        playback.wait(timeout=sound.duration_ms / 1000 + 5.0)
    finally:
        playback.stop()


def spoken(synthesizer: Pyttsx3Synthesizer, text: str, voice: str | None, rate: int) -> Sound:
    from masseur.audio import Sound
    from masseur.speech import VoiceSettings

    return Sound.from_wav(synthesizer.synthesize(text, VoiceSettings(voice, rate), timeout=120))


rate_setting = SETTINGS["rate"]


@click.command(
    "say",
    epilog="Examples:\n\n  masseur say 'Rub the sole of your foot.'\n\n"
    "  masseur say 'Гладьте стопу.' --voice ru --rate 130\n\n"
    "  masseur say 'Breathe out slowly.' --voice piper:joe -o breathe.wav",
)
@click.argument("text")
@click.option(
    "--voice",
    default=None,
    shell_complete=complete_voice,
    help="A voice id, a language code or piper:NAME (see `masseur voices`).",
)
@click.option(
    "--rate",
    type=click.IntRange(int(rate_setting.minimum or 0), int(rate_setting.maximum or 1000)),
    default=None,
    help="Words per minute (default: your setting, or 150).",
)
@click.option("-o", "--output", metavar="FILE.wav", help="Write a WAV file instead of playing.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def command(
    text: str, voice: str | None, rate: int | None, output: str | None, force: bool
) -> None:
    """Say TEXT in a voice, to hear how it sounds before a long session.

    The voice and rate are the ones a session would use (your settings), unless
    --voice or --rate says otherwise. With -o the speech is written to a WAV file.
    """
    from masseur import config
    from masseur.speech import Pyttsx3Synthesizer, check_voice
    from masseur.speech.base import DEFAULT_RATE

    settings = config.resolve({"voice": voice, "rate": rate})
    target = Path(output) if output else None
    if target is not None:
        from masseur.export.job import check_target

        check_target(target, force=force)
    check_voice(settings.voice, None)
    with Pyttsx3Synthesizer() as synthesizer:
        synthesizer.prepare(settings.voice)
        sound = spoken(synthesizer, text, settings.voice, settings.rate or DEFAULT_RATE)
    if target is None:
        play_to_end(sound, "give -o FILE.wav to write the speech to a file")
        return
    from masseur.export.job import write_atomically

    write_atomically(target, sound.write_wav, force=force)
