from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from masseur.commands.common import build, settings_from, timeline_options
from masseur.completion import complete_routine
from masseur.timeline import with_chime_durations

if TYPE_CHECKING:
    from masseur.export import ProgressCallback

HELP = """Export the session of ROUTINE (a name or a file) as text, subtitles, audio or a guide.

The export renders the same timeline that `run` plays, shaped by the same options
(--rate, --minutes, --countdown, --halfway, --no-chimes). The format comes from --format,
else from the extension of the -o file.

\b
  txt   the narration in order, with times and step headings
  md    a printable guide: warnings, preparation, notes, steps by phase, total
  json  the timeline: every event and timed part (shape below)
  srt   subtitles; each cue lasts as long as its sentence is heard in the audio
  vtt   the same subtitles as WebVTT
  wav   the whole session as audio, with every sentence and chime in place
  flac, ogg, mp3   the same audio, compressed (see the list of formats below)
  html  the visual guide: one offline page with pictures of where to work, the
        timeline as a chart and a card per step; --audio adds the session's audio
        with a player that follows it (copy the one file to a phone)
  pdf   the same guide, printable (needs WeasyPrint: pip install 'masseur[pdf]')

Text formats go to standard output with `-o -` (or without -o). Files are written
atomically: a failed or interrupted export leaves nothing behind, and an existing file is
replaced only with --force. The same routine and options always give the same text files.

Subtitles and audio use the real synthesized speech (cached between exports). Each
sentence starts exactly at its planned time; when real speech runs longer than the
timeline planned, the export keeps the planned times (a live session may instead hold the
next sentence back), the sentences overlap, and one warning line says where.

\b
JSON shape (format_version 1; times in ms from the session start; keys sorted):
  {"format_version": 1,
   "routine": {"name", "title", "description", "language"},
   "rate": words per minute,
   "totals": {"total_ms", "steps_ms", "speech_ms", "steps", "segments",
              "events", "spoken_events"},
   "segments": [{"index", "phase_index", "phase", "step_index", "step", "say",
                 "side": "left"|"right"|null, "repetition", "repetitions",
                 "start_ms", "end_ms", "duration_ms"}],
   "events": [{"index", "start_ms", "end_ms", "segment", "text",
               "kind": "intro"|"step"|"cue"|"countdown"|"halfway"|"outro"|"chime"|"end",
               "sound": chime name or null}]}
"""


class _ExportCommand(click.Command):
    """Lists the audio formats this machine can write, found only when help is shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from masseur.export import available_audio_formats

        formatter.write_paragraph()
        formatter.write_text(
            "Audio formats available here: " + ", ".join(available_audio_formats()) + "."
        )
        super().format_epilog(ctx, formatter)


@click.command(
    "export",
    cls=_ExportCommand,
    help=HELP,
    epilog=(
        "\b\nExamples:\n"
        "  masseur export foot-classic -o guide.md\n"
        "  masseur export toes --minutes 5 --rate 160 -o toes.mp3\n"
        "  masseur export toes --format json -o -\n"
        "  masseur export reflex-points --audio -o guide.html"
    ),
)
@click.argument("routine", shell_complete=complete_routine)
@click.option(
    "-f",
    "--format",
    "format_name",
    metavar="FORMAT",
    help="txt, md, json, srt, vtt, wav, flac, ogg, mp3, html or pdf (default: from FILE's suffix).",
)
@click.option(
    "--audio", "with_audio", is_flag=True, help="html: embed the session's audio and a player."
)
@click.option("-o", "--output", metavar="FILE", help="Where to write; '-' for standard output.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@timeline_options
def command(
    routine: str,
    format_name: str | None,
    output: str | None,
    force: bool,
    with_audio: bool,
    minutes: float | None,
    **given: object,
) -> None:
    from masseur import export
    from masseur.errors import BadInput
    from masseur.library import load

    to_stdout = output is None or output == "-"
    fmt = _choose_format(format_name, output)
    if fmt in export.AUDIO_FORMATS:
        if to_stdout:
            raise BadInput(
                f"{fmt} audio cannot go to standard output; give a file, e.g. -o session.{fmt}"
            )
        if fmt != "wav" and fmt not in export.available_audio_formats():
            raise BadInput(
                f"{fmt} export is not available on this machine; "
                f"available audio formats: {', '.join(export.available_audio_formats())}"
            )
    target = None if to_stdout else Path(output or "")
    if target is not None and target.exists() and not force:
        raise BadInput(f"{target} exists; use --force to overwrite")

    _entry, loaded = load(routine)
    values, _sources = settings_from(loaded, dict(given))
    # A sound file is heard with no screen: it says the contraindications itself. A guide
    # without audio shows them, and its times are those of a session started on screen.
    on_screen = fmt in ("txt", "md", "json") or (fmt in export.GUIDE_FORMATS and not with_audio)
    timeline = build(loaded, values, minutes, speak_warnings=not on_screen)
    timeline = with_chime_durations(timeline, export.chime_lengths(timeline))
    words_per_minute = timeline.rate

    if with_audio and fmt not in export.GUIDE_FORMATS:
        raise BadInput(f"--audio is for the html guide; {fmt} has no player")
    if fmt in export.GUIDE_FORMATS:
        from masseur.guide.command import export_guide

        export_guide(fmt, timeline, loaded, values, target, force=force, with_audio=with_audio)
        return
    if fmt in ("txt", "md", "json"):
        with _interrupt_between_steps():
            export.write_text(
                export.render_text(fmt, timeline, loaded), target, force=force, stream=sys.stdout
            )
        return

    from masseur.speech import Pyttsx3Synthesizer, VoiceSettings

    # The synthesizer finds the voice for an id or a language code itself (and says so in
    # one line if there is none), on the worker it then synthesizes with.
    settings = VoiceSettings(voice=values["voice"] or loaded.language, rate=words_per_minute)
    with (
        Pyttsx3Synthesizer() as synthesizer,
        _interrupt_between_steps() as check_interrupt,
        _progress_bar(check_interrupt) as progress,
    ):
        clips = export.synthesize_speech(timeline, synthesizer, settings, progress=progress)
        if fmt in ("srt", "vtt"):
            timings = export.speech_timings(clips)
            renderer = export.render_srt if fmt == "srt" else export.render_vtt
            text = renderer(timeline, timings)
            overlaps = export.find_overlaps(timeline, timings)
            export.write_text(text, target, force=force, stream=sys.stdout)
        else:
            assert target is not None
            from masseur.chapters import add_chapters

            speech_volume = float(values["volume"])
            chimes_volume = float(values["chime_volume"])

            def write(path: Path) -> None:
                export.render_audio(
                    timeline,
                    loaded,
                    path,
                    fmt,
                    synthesizer,
                    settings,
                    speech_volume=speech_volume,
                    chime_volume=chimes_volume,
                    clips=clips,
                    progress=progress,
                )
                add_chapters(path, fmt, timeline)

            export.write_atomically(target, write, force=force)
            overlaps = export.find_overlaps(timeline, export.speech_timings(clips))
    warning = export.describe_overlaps(overlaps)
    if warning:
        click.echo(f"masseur: {warning}", err=True)


def _choose_format(format_name: str | None, output: str | None) -> str:
    from masseur import export
    from masseur.errors import BadInput

    if format_name:
        return export.normalize_format(format_name)
    if output and output != "-":
        found = export.format_from_path(output)
        if found:
            return found
        raise BadInput(
            f"cannot tell the format from '{output}'; add --format "
            f"({', '.join(export.FORMATS)}) or use one of those extensions"
        )
    raise BadInput(f"say which format with --format ({', '.join(export.FORMATS)})")


@contextmanager
def _interrupt_between_steps() -> Iterator[Callable[[], None]]:
    """Turn Ctrl-C and SIGTERM into KeyboardInterrupt only where the yielded check is called.

    The export calls the check between sentences and between blocks of audio, so an
    interruption never lands inside a file library's constructor (which would leave a
    half-made object to complain at exit); the temporary file is then removed as usual.
    A second signal interrupts at once.
    """
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    def check() -> None:
        if received:
            raise KeyboardInterrupt

    try:
        previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (some test runners): leave signals alone
        yield check
        return
    try:
        yield check  # a signal that comes after the last check finds the work done
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _progress_bar(check_interrupt: Callable[[], None]) -> Iterator[ProgressCallback]:
    """Progress on stderr when it is a terminal (nothing otherwise); checks for interrupts."""
    if not sys.stderr.isatty():

        def quiet(stage: str, done: int, total: int) -> None:
            check_interrupt()

        yield quiet
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    labels = {"speech": "Synthesizing speech", "audio": "Writing audio"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            check_interrupt()
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report
