"""What the commands that build a session timeline (run, export) share: options, the engine."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import click

from masseur.completion import complete_voice
from masseur.config.table import SETTINGS
from masseur.speech.base import DEFAULT_RATE

if TYPE_CHECKING:
    from masseur.speech import Pyttsx3Synthesizer

_F = TypeVar("_F", bound=Callable[..., object])


def _range(name: str) -> click.IntRange | click.FloatRange:
    """The click type for a numeric setting, with the bounds from the settings table."""
    setting = SETTINGS[name]
    low, high = setting.minimum, setting.maximum
    if setting.type is int:
        return click.IntRange(
            None if low is None else int(low), None if high is None else int(high)
        )
    return click.FloatRange(low, high)


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
                type=click.FloatRange(0, 24 * 60, min_open=True),
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


def start_speech_engine(given: Mapping[str, object | None]) -> Pyttsx3Synthesizer:
    """The session's synthesizer, its engine starting now, without waiting for it, for the
    voice the settings choose (``given``: the command line). BadInput for a voice that
    cannot be used here."""
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
        synthesizer.prepare(voice)
    return synthesizer
