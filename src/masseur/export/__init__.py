"""Render a session's timeline as text, subtitles or audio, through one entry point: write().

Every format is drawn from the same :class:`~masseur.timeline.Timeline` that ``run`` plays,
so a printed guide, a subtitle file and an audio file of one routine (with the same options)
agree with each other and with a live session.

``formats`` holds the table of formats; each row names the module that writes it: ``text``
(txt, md, json), ``subtitles`` (srt, vtt), ``mixdown`` (wav, flac, ogg, mp3) and ``guide``
(html, pdf, drawn by masseur.guide). ``clips``
synthesizes and measures the speech the last two are made from; ``job`` says what a writer
is given and writes files atomically. Only the module of the format asked for is imported.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from masseur.errors import BadInput
from masseur.export.formats import (
    BY_NAME,
    FORMATS,
    format_from_path,
    is_heard,
    normalize_format,
)
from masseur.export.job import (
    Destination,
    Job,
    Levels,
    ProgressCallback,
    Writer,
    check_target,
    not_interrupted,
)

if TYPE_CHECKING:
    from masseur.routine import Routine
    from masseur.speech.base import Synthesizer, VoiceSettings
    from masseur.timeline import Timeline


def available_audio_formats() -> tuple[str, ...]:
    """The audio formats this machine can write: wav always, others through soundfile."""
    from masseur.export.mixdown import available_audio_formats as available

    return available()


def check(fmt: str, destination: Destination, *, with_audio: bool = False) -> None:
    """BadInput now, before any work, if ``fmt`` cannot be written to ``destination`` here."""
    export_format = BY_NAME[fmt]
    if with_audio and not export_format.guide:
        raise BadInput(f"--audio is for the html guide; {fmt} has no player")
    if destination.target is None and export_format.binary:
        kind = "audio" if export_format.needs_speech else "export"
        raise BadInput(
            f"{fmt} {kind} cannot go to standard output; give a file, e.g. -o session.{fmt}"
        )
    if export_format.optional and fmt not in available_audio_formats():
        raise BadInput(
            f"{fmt} export is not available on this machine; "
            f"available audio formats: {', '.join(available_audio_formats())}"
        )
    if destination.target is not None:
        check_target(destination.target, force=destination.force)


def write(
    fmt: str,
    timeline: Timeline,
    destination: Destination,
    *,
    routine: Routine,
    voice: VoiceSettings,
    levels: Levels | None = None,
    synthesizer: Synthesizer | None = None,
    progress: ProgressCallback | None = None,
    with_audio: bool = False,
    check_interrupt: Callable[[], None] = not_interrupted,
) -> str | None:
    """Write ``timeline`` as ``fmt`` to ``destination``; a warning line, or None.

    Chime events get the length of their sound first, so every format gives the same times.
    Formats made from speech use ``synthesizer``, or start (and stop) the real one.
    ``with_audio`` embeds the session's audio in an html guide; ``check_interrupt`` raises
    KeyboardInterrupt where a long writer may stop (its temporary file then goes).
    """
    from masseur.timeline import with_chime_durations

    check(fmt, destination, with_audio=with_audio)
    export_format = BY_NAME[fmt]
    module = importlib.import_module(f"masseur.export.{export_format.module}")
    writer = cast(Writer, module.write)
    timeline = with_chime_durations(timeline, chime_lengths(timeline))
    with contextlib.ExitStack() as stack:
        if is_heard(fmt, with_audio=with_audio) and synthesizer is None:
            from masseur.speech import Pyttsx3Synthesizer

            synthesizer = stack.enter_context(Pyttsx3Synthesizer())
        job = Job(
            export_format,
            timeline,
            routine,
            destination,
            voice,
            levels=levels or Levels(),
            synthesizer=synthesizer,
            progress=progress,
            with_audio=with_audio,
            check_interrupt=check_interrupt,
        )
        return writer(job)


def chime_lengths(timeline: Timeline) -> dict[str, int]:
    """How long each chime used by the timeline lasts, in ms."""
    from masseur.audio import load_chime

    names = sorted({event.sound for event in timeline.events if event.sound})
    return {name: round(load_chime(name).duration_ms) for name in names}


__all__ = [
    "FORMATS",
    "Destination",
    "Levels",
    "ProgressCallback",
    "available_audio_formats",
    "check",
    "chime_lengths",
    "format_from_path",
    "is_heard",
    "normalize_format",
    "write",
]
