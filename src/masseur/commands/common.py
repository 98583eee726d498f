"""What the commands that build a session timeline (run, export) share: options, the engine."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import click

from masseur.cli_types import FiniteFloatRange
from masseur.completion import complete_voice
from masseur.config.table import SETTINGS
from masseur.speech.base import DEFAULT_RATE

if TYPE_CHECKING:
    from masseur.config import Settings
    from masseur.routine import Routine
    from masseur.speech import Pyttsx3Synthesizer
    from masseur.speech._worker_client import Worker
    from masseur.timeline import Timeline

_F = TypeVar("_F", bound=Callable[..., object])


def _range(name: str) -> click.IntRange | FiniteFloatRange:
    """The click type for a numeric setting, with the bounds from the settings table."""
    setting = SETTINGS[name]
    low, high = setting.minimum, setting.maximum
    if setting.type is int:
        return click.IntRange(
            None if low is None else int(low), None if high is None else int(high)
        )
    return FiniteFloatRange(low, high)


def timeline_options(function: _F) -> _F:
    """The options that shape a session's timeline, shared by run and export."""
    for option in reversed(
        [
            click.option(
                "--rate",
                type=_range("rate"),
                default=None,
                help=(
                    f"Voice speed in words per minute (default: the routine's, or {DEFAULT_RATE})."
                ),
            ),
            click.option(
                "--voice",
                default=None,
                shell_complete=complete_voice,
                help="A voice id or a language code (see `masseur voices`).",
            ),
            click.option(
                "--volume", type=_range("volume"), default=None, help="Voice volume, 0 to 1."
            ),
            click.option(
                "--chime-volume",
                type=_range("chime_volume"),
                default=None,
                help="Chime volume, 0 to 1.",
            ),
            click.option(
                "--minutes",
                type=FiniteFloatRange(0, 24 * 60, min_open=True),
                default=None,
                help="Fit the session into this many minutes.",
            ),
            click.option(
                "--countdown/--no-countdown",
                default=None,
                help="Say 'ten seconds left' near the end of each step.",
            ),
            click.option(
                "--halfway/--no-halfway", default=None, help="Say when half of the session is done."
            ),
            click.option(
                "--chimes/--no-chimes", default=None, help="Chimes between steps (on by default)."
            ),
        ]
    ):
        function = option(function)
    return function


def plan(
    routine: Routine,
    settings: Settings,
    minutes: float | None,
    *,
    voice_id: str | None = None,
    speak_warnings: bool = False,
) -> Timeline:
    """The session's timeline; with ``voice_id``, speech already cached for that voice is
    planned at its real length (so --minutes never squeezes a step below it), and
    ``speak_warnings`` when no screen shows the contraindications."""
    from masseur.timeline import build_timeline

    length = None
    if voice_id is not None:
        from masseur.speech_lengths import cached_or_estimated

        length = cached_or_estimated(voice_id)
    options = settings.timeline_options(
        minutes, speak_warnings=speak_warnings, speech_length=length
    )
    return build_timeline(routine, options)


def choose_voice(
    settings: Settings,
    language: str,
    *,
    needed: bool = True,
    synthesizer: Pyttsx3Synthesizer | None = None,
) -> tuple[str | None, str | None]:
    """The voice id for a session, or why there will be no voice; checked before anything else.

    A voice asked for (``--voice``, a setting, the routine) that is not installed, or no voice
    for the routine's language, is bad input (exit 2): reading Russian with an English voice
    helps nobody. A missing or broken speech engine is not: the session goes on with text and
    chimes, unless sound is required. When ``needed`` is false (text only, a plan) only an
    explicitly asked-for voice must exist; the voice found is still used to plan with the real
    lengths of cached speech, so a plan shown and a session run agree. With the session's
    ``synthesizer``, its own engine lists the voices, so a cold start starts one engine.
    """
    from masseur.errors import BadInput, MasseurError
    from masseur.speech import NoVoiceForLanguage, resolve_voice, voice_for_routine

    wanted = settings.voice
    asked_now = settings.sources.get("voice") == "command line"
    try:
        chosen = voice_for_routine(wanted, language, asked_now=asked_now)
        if synthesizer is not None:
            return synthesizer.voice_id(chosen), None
        return resolve_voice(chosen, language), None
    except NoVoiceForLanguage:
        if needed or wanted:
            raise
        return None, None  # text only: no voice for the language is no problem
    except BadInput:  # a Piper voice that cannot be used here
        raise
    except MasseurError as error:
        if needed and settings.require_audio:
            raise
        return None, error.message


def start_speech_engine(
    given: Mapping[str, object | None], *, batch: bool = False
) -> Pyttsx3Synthesizer:
    """The session's synthesizer, its engine starting now, without waiting for it, for the
    voice the settings choose (``given``: the command line). BadInput for a voice that
    cannot be used here. ``batch``: for an export, which shares its sentences between two
    engines (Pyttsx3Synthesizer.prepare)."""
    # espeak-ng's engine starts first, before masseur reads its settings and loads its
    # speech machinery (30 ms here): it is the voice nearly every session uses, and on a
    # first run the voice cannot be chosen before the engine has listed its voices. If
    # the settings choose a Piper voice, it is stopped again.
    started = start_early(given, batch=batch)
    from masseur import config
    from masseur.errors import MasseurError
    from masseur.speech import Pyttsx3Synthesizer, SpeechUnavailable

    try:
        voice = config.resolve(given).voice
    except MasseurError:  # said again, in its place, once the routine is loaded
        voice = None
    synthesizer = Pyttsx3Synthesizer()
    # If it cannot start, that is said when the voice is chosen, where the session decides
    # whether to go on without it.
    with contextlib.suppress(SpeechUnavailable):
        synthesizer.prepare(voice, batch=batch, started=started)
    return synthesizer


def start_early(given: Mapping[str, object | None], *, batch: bool) -> Worker | None:
    """The espeak-ng engine, started at once, unless the command line asks for Piper."""
    import os

    from masseur.speech._worker_client import Worker, default_worker_command
    from masseur.speech.base import SpeechUnavailable
    from masseur.speech.piper_voices import is_piper

    voice = given.get("voice")
    if is_piper(voice if isinstance(voice, str) else None):
        return None
    try:
        # As Pyttsx3Synthesizer.prepare asks (wants_twin), without importing it yet.
        return Worker(default_worker_command(), twin=batch and hasattr(os, "fork"))
    except SpeechUnavailable:  # said where the synthesizer starts its own
        return None
