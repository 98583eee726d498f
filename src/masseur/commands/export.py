"""``masseur export``: choose the format and the destination, then hand the session to export."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from masseur.commands.common import choose_voice, plan, start_speech_engine, timeline_options
from masseur.completion import complete_routine
from masseur.export import formats

if TYPE_CHECKING:
    from masseur.export.job import ProgressCallback

HELP = f"""Export the session of ROUTINE (a name or a file) as text, subtitles, audio or a guide.

The export renders the same timeline that `run` plays, shaped by the same options
(--rate, --minutes, --countdown, --halfway, --no-chimes). The format comes from --format,
else from the extension of the -o file.

\b
{chr(10).join(formats.help_lines())}

Text formats go to standard output with `-o -` or without -o (txt unless --format says).
Files are written atomically: a failed or interrupted export leaves nothing behind, and an
existing file is replaced only with --force. The same routine and options always give the
same text files.

Subtitles and audio use the real synthesized speech (cached between exports). Each
sentence starts exactly at its planned time; when real speech runs longer than the
timeline planned, the export keeps the planned times (a live session may instead hold the
next sentence back), the sentences overlap, and one warning line says where.

\b
JSON shape (format_version 1; times in ms from the session start; keys sorted):
  {{"format_version": 1,
   "routine": {{"name", "title", "description", "language"}},
   "rate": words per minute,
   "totals": {{"total_ms", "steps_ms", "speech_ms", "steps", "segments",
              "events", "spoken_events"}},
   "segments": [{{"index", "phase_index", "phase", "step_index", "step", "say",
                 "side": "left"|"right"|null, "repetition", "repetitions",
                 "start_ms", "end_ms", "duration_ms"}}],
   "events": [{{"index", "start_ms", "end_ms", "segment", "text",
               "kind": "intro"|"step"|"cue"|"countdown"|"halfway"|"outro"|"chime"|"end",
               "sound": chime name or null}}]}}
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
        "  masseur export toes --minutes 8 --rate 160 -o toes.mp3\n"
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
    help=f"{formats.format_list()} (default: from FILE's extension).",
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
    fmt = _choose_format(format_name, output)
    # A sound file is heard with no screen: it says the contraindications itself. A guide
    # without audio shows them, and its times are those of a session started on screen.
    heard = formats.is_heard(fmt, with_audio=with_audio)
    with ExitStack() as stack:
        synthesizer = None
        if heard:
            # The engine starts first: it gets ready (on a first run, lists its voices)
            # while masseur checks the destination, loads the routine and plans; the voice
            # and the first sentence then find it ready. A failed check stops it again.
            synthesizer = stack.enter_context(start_speech_engine(given, batch=True))
        from dataclasses import replace

        from masseur import config, export
        from masseur.library import load

        to_stdout = output is None or output == "-"
        destination = export.Destination(
            None if to_stdout else Path(output or ""), stream=sys.stdout, force=force
        )
        export.check(fmt, destination, with_audio=with_audio)
        _entry, loaded = load(routine)
        settings = config.resolve(given, routine=loaded)
        # Planned with estimated speech lengths, not those of speech already in the cache:
        # the same routine and options then give the same file, whatever was made before.
        # So the plan needs no voice, and is made first: on a first run the engine is still
        # listing its voices meanwhile, which the voice is chosen from.
        timeline = plan(loaded, settings, minutes, speak_warnings=heard)
        # A voice that is not installed is reported now, for text formats too.
        voice_id, _no_voice = choose_voice(
            settings, loaded.language, needed=heard, synthesizer=synthesizer
        )
        voice = settings.voice_settings(loaded.language)
        if voice_id is not None:
            voice = replace(voice, voice=voice_id)
        check_interrupt = stack.enter_context(_interrupt_between_steps())
        progress = stack.enter_context(_progress_bar(check_interrupt)) if heard else None
        warning = export.write(
            fmt,
            timeline,
            destination,
            routine=loaded,
            # The synthesizer finds the voice for an id or a language code itself (and says
            # so in one line if there is none), on the worker it then synthesizes with.
            voice=voice,
            levels=export.Levels(speech=settings.volume, chimes=settings.chime_volume),
            synthesizer=synthesizer,
            progress=progress,
            with_audio=with_audio,
            check_interrupt=check_interrupt,
        )
    if warning:
        from masseur.terminal import echo

        echo(f"masseur: {warning}", sys.stderr)


def _choose_format(format_name: str | None, output: str | None) -> str:
    from masseur.errors import BadInput

    if format_name:
        return formats.normalize_format(format_name)
    if output and output != "-":
        found = formats.format_from_path(output)
        if found:
            return found
        raise BadInput(
            f"cannot tell the format from '{output}'; add --format "
            f"({', '.join(formats.FORMATS)}) or use one of those extensions"
        )
    return "txt"  # no file: the narration as text, on standard output


@contextmanager
def _interrupt_between_steps() -> Iterator[Callable[[], None]]:
    """Turn Ctrl-C, SIGTERM and SIGHUP into SignalStop only where the yielded check is called.

    The export calls the check between sentences and between blocks of audio, so an
    interruption never lands inside a file library's constructor (which would leave a
    half-made object to complain at exit); the temporary file is then removed as usual,
    and masseur exits with 128 + the signal's number. A second signal interrupts at once.
    """
    from masseur.stopping import STOP_SIGNALS, SignalStop

    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        if received:
            raise SignalStop(received[0])
        received.append(signum)

    def check() -> None:
        if received:
            raise SignalStop(received[0])

    try:
        previous = {sig: signal.signal(sig, note) for sig in STOP_SIGNALS}
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
