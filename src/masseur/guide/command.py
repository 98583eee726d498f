"""The ``export`` command's path for the visual guide (html and pdf)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from masseur.guide.build import session_audio, write_guide

if TYPE_CHECKING:
    from masseur.guide.html import GuideAudio
    from masseur.routine import Routine
    from masseur.timeline import Timeline


def export_guide(
    fmt: str,
    timeline: Timeline,
    routine: Routine,
    values: dict[str, Any],
    target: Path | None,
    *,
    force: bool,
    with_audio: bool,
) -> None:
    """Write the guide; ``with_audio`` first synthesizes the session as an audio export does."""
    from masseur.commands.export import _interrupt_between_steps, _progress_bar

    with _interrupt_between_steps() as check_interrupt, ExitStack() as stack:
        make_audio: Callable[[], GuideAudio] | None = None
        if with_audio:
            from masseur.speech import Pyttsx3Synthesizer, VoiceSettings

            settings = VoiceSettings(voice=values["voice"] or routine.language, rate=timeline.rate)
            synthesizer = stack.enter_context(Pyttsx3Synthesizer())
            progress = stack.enter_context(_progress_bar(check_interrupt))

            def make_audio() -> GuideAudio:
                return session_audio(
                    timeline,
                    routine,
                    synthesizer,
                    settings,
                    speech_volume=float(values["volume"]),
                    chime_volume=float(values["chime_volume"]),
                    progress=progress,
                )

        write_guide(
            fmt,
            timeline,
            routine,
            target,
            force=force,
            stream=sys.stdout,
            make_audio=make_audio,
            check=check_interrupt,
        )
