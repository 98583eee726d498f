"""Options and settings shared by the commands that build a session timeline (run, export)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from masseur.completion import complete_voice

if TYPE_CHECKING:
    from masseur.routine import Routine
    from masseur.timeline import Timeline


def timeline_options(function: Any) -> Any:
    """The options that shape a session's timeline, shared by run and export."""
    for option in reversed(
        [
            click.option(
                "--rate",
                type=click.IntRange(80, 400),
                default=None,
                help="Voice speed in words per minute (default: the routine's, or 150).",
            ),
            click.option(
                "--voice",
                default=None,
                shell_complete=complete_voice,
                help="A voice id or a language code (see `masseur voices`).",
            ),
            click.option(
                "--volume", type=click.FloatRange(0, 1), default=None, help="Voice volume, 0 to 1."
            ),
            click.option(
                "--chime-volume",
                type=click.FloatRange(0, 1),
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


def settings_from(
    routine: Routine, given: dict[str, object | None]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Effective settings: command line > environment > config file > routine > default."""
    from masseur import config

    resolved = config.resolve(given)
    values: dict[str, Any] = dict(resolved.values)
    sources: dict[str, str] = dict(resolved.sources)
    if values.get("rate") is None:
        values["rate"] = routine.voice.rate or config.DEFAULT_RATE
        sources["rate"] = "routine" if routine.voice.rate else "default"
    if values.get("voice") is None and routine.voice.voice:
        values["voice"], sources["voice"] = routine.voice.voice, "routine"
    if sources.get("volume") == "default" and routine.voice.volume is not None:
        values["volume"], sources["volume"] = routine.voice.volume, "routine"
    if sources.get("chime_volume") == "default" and routine.chime_volume is not None:
        values["chime_volume"], sources["chime_volume"] = routine.chime_volume, "routine"
    return values, sources


def build(
    routine: Routine,
    values: dict[str, Any],
    minutes: float | None,
    *,
    speak_warnings: bool = False,
) -> Timeline:
    """The session's timeline; ``speak_warnings`` when no screen shows the contraindications."""
    from masseur.timeline import TimelineOptions, build_timeline

    return build_timeline(
        routine,
        TimelineOptions(
            rate=int(values["rate"]),
            minutes=minutes,
            countdown=bool(values["countdown"]),
            halfway=bool(values["halfway"]),
            chimes=bool(values["chimes"]),
            speak_warnings=speak_warnings,
        ),
    )
