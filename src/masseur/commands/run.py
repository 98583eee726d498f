from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

import click

from masseur.commands.common import timeline_options
from masseur.completion import complete_routine
from masseur.errors import BadInput, ExitStatus, MasseurError

if TYPE_CHECKING:
    from masseur.config import Settings
    from masseur.routine import Routine
    from masseur.runner import SessionResult
    from masseur.session import PlayerProbe, SessionOptions, SessionReport
    from masseur.speech import Pyttsx3Synthesizer
    from masseur.timeline import Timeline, TimelineOptions


def print_dry_run(timeline: Timeline) -> None:
    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_clock, format_duration

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("time", justify="right")
    table.add_column("kind")
    table.add_column("step")
    table.add_column("what", overflow="fold")
    for event in timeline.events:
        segment = (
            timeline.segments[event.segment]
            if 0 <= event.segment < len(timeline.segments)
            else None
        )
        what = event.text or (f"♪ {event.sound}" if event.sound else "")
        table.add_row(
            format_clock(event.at_ms),
            event.kind.value,
            f"{segment.index + 1}" if segment else "",
            what,
        )
    console = Console(highlight=False)
    console.print(table)
    console.print(
        f"\n[bold]Total[/bold] {format_duration(timeline.total_ms)}, "
        f"{len(timeline.segments)} timed parts, voice at {timeline.rate} words "
        "per minute"
    )


def safety_screen(routine: Routine, assume_yes: bool) -> bool:
    """Show the contraindications; True when the person chooses to go on."""
    err = sys.stderr
    click.secho(f"\n{routine.title}", bold=True, file=err)
    if routine.contraindications:
        click.secho("Do not do this massage if any of these applies to you:", fg="yellow", file=err)
        for item in routine.contraindications:
            click.echo(f"  • {item}", file=err)
    else:
        click.secho(
            "This routine lists no contraindications. If you are unwell, injured or "
            "pregnant, ask a doctor first.",
            fg="yellow",
            file=err,
        )
    if routine.preparation:
        click.echo("Have ready:", file=err)
        for item in routine.preparation:
            click.echo(f"  • {item}", file=err)
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise BadInput(
            "cannot ask you to confirm the contraindications: input is not a terminal; "
            "read them above (or with `masseur show`) and run again with --yes"
        )
    click.echo(
        "\nPress Enter to begin, or type anything else and Enter to stop: ", nl=False, file=err
    )
    answer = sys.stdin.readline()
    return answer.strip() == "" and answer != ""


def print_summary(result: SessionResult, err: IO[str]) -> None:
    from masseur.durations import format_duration

    words = {
        "finished": "Session finished",
        "quit": "Session stopped",
        "interrupted": "Session interrupted",
    }
    parts = [
        f"{words[result.outcome.value]} after {format_duration(result.elapsed_ms)}",
        f"{result.segments_done} of {result.segments_total} timed parts done",
    ]
    if result.segments_skipped:
        parts.append(f"{result.segments_skipped} skipped")
    if result.missed_speech:
        parts.append(f"{result.missed_speech} sentences not spoken")
    click.echo(", ".join(parts) + ".", file=err)


@click.command(
    "run",
    epilog="Examples:\n\n  masseur run foot-classic\n\n"
    "  masseur run foot-self-massage --minutes 20 --countdown\n\n"
    "  masseur run bedtime-relax --dry-run",
)
@click.argument("routine", shell_complete=complete_routine)
@timeline_options
@click.option("-y", "--yes", is_flag=True, help="Skip the contraindications question.")
@click.option("--dry-run", is_flag=True, help="Print the timeline as a table and exit.")
@click.option(
    "--plain/--no-plain",
    default=None,
    help="Plain lines instead of the live screen (automatic when not a terminal).",
)
@click.option(
    "--require-audio/--no-require-audio",
    default=None,
    help="Stop if no sound can play, instead of going on text-only.",
)
@click.option("--text-only", is_flag=True, help="No voice, no chimes: text on screen only.")
def command(
    routine: str, yes: bool, dry_run: bool, text_only: bool, minutes: float | None, **given: Any
) -> None:
    """Guide a session of ROUTINE (a name or a file) by voice, hands-free.

    masseur first shows who should not do this massage and asks you to
    confirm. During the session: space pauses and resumes, n or Right skips
    to the next step, b or Left goes back, r repeats the instruction, q quits.
    """
    from masseur import config
    from masseur.library import load
    from masseur.timeline import build_timeline

    probe = None
    synthesizer = None
    if not (dry_run or text_only):
        from masseur.commands.common import start_speech_engine
        from masseur.session import PlayerProbe

        # Speech first: its engine starts, then the sound device opens, while the routine loads.
        synthesizer = start_speech_engine(given)
        click.get_current_context().call_on_close(synthesizer.close)
        probe = PlayerProbe()
    _entry, loaded = load(routine)
    settings = config.resolve(given, routine=loaded)
    timeline_options = settings.timeline_options(minutes)
    timeline = build_timeline(loaded, timeline_options)
    if dry_run:
        print_dry_run(timeline)
        return
    if not safety_screen(loaded, yes):
        click.echo("Stopped before the session. Take care.", err=True)
        return
    voice, no_voice = (None, None)
    if synthesizer is not None:
        voice, no_voice = _choose_voice(settings, loaded.language, synthesizer)
    options = settings.session_options(voice, text_only=text_only, no_voice=no_voice)
    status = _run(loaded, timeline, timeline_options, options, settings.plain, probe, synthesizer)
    if status != ExitStatus.OK:
        raise click.exceptions.Exit(status)


def _choose_voice(
    settings: Settings, language: str, synthesizer: Pyttsx3Synthesizer
) -> tuple[str | None, str | None]:
    """The voice id for the session, or why there will be no voice.

    No voice for the routine's language is bad input (exit 2): reading Russian with an
    English voice helps nobody. A missing or broken speech engine is not: the session goes
    on with text and chimes, unless sound is required. The voices are listed by the
    session's own engine, so a cold start starts one engine, not two.
    """
    from masseur.speech import voice_for_routine

    asked_now = settings.sources.get("voice") == "command line"
    try:
        wanted = voice_for_routine(settings.voice, language, asked_now=asked_now)
        return synthesizer.voice_id(wanted), None
    except BadInput:
        raise
    except MasseurError as error:
        if settings.require_audio:
            raise
        return None, error.message


def _run(
    routine: Routine,
    timeline: Timeline,
    timeline_options: TimelineOptions,
    options: SessionOptions,
    plain: bool,
    probe: PlayerProbe | None,
    synthesizer: Pyttsx3Synthesizer | None,
) -> ExitStatus:
    from masseur.display import LiveDisplay, PlainDisplay
    from masseur.runner import Outcome
    from masseur.session import run_session

    stdout = sys.stdout
    stderr = sys.stderr
    interactive = sys.stdin.isatty()
    live = stdout.isatty() and not plain
    display: Any = PlainDisplay(stdout)
    if live:
        from rich.console import Console  # only the live screen needs rich

        display = LiveDisplay(Console())
    if live:
        display.__enter__()
    try:
        report = run_session(
            routine,
            timeline,
            options,
            display=display,
            stdout=stdout,
            stderr=stderr,
            keyboard=interactive,
            probe=probe,
            synthesizer=synthesizer,
        )
    finally:
        if live:
            display.__exit__(None, None, None)
    result = report.result
    print_summary(result, stderr)
    _record(routine, timeline, report, timeline_options, options.voice)
    return ExitStatus.INTERRUPTED if result.outcome is Outcome.INTERRUPTED else ExitStatus.OK


def _record(
    routine: Routine,
    timeline: Timeline,
    report: SessionReport,
    timeline_options: TimelineOptions,
    voice: str | None,
) -> None:
    from masseur.history import SessionRecord, append_record

    result = report.result
    options: dict[str, object] = {
        "rate": timeline_options.rate,
        "countdown": timeline_options.countdown,
        "halfway": timeline_options.halfway,
        "chimes": timeline_options.chimes,
        "minutes": timeline_options.minutes,
        "voice": voice,
    }
    record = SessionRecord(
        routine=routine.name,
        title=routine.title,
        started_at=report.started_at.isoformat(timespec="seconds"),
        planned_ms=timeline.total_ms,
        actual_ms=result.elapsed_ms,
        steps_done=result.segments_done,
        steps_skipped=result.segments_skipped,
        steps_total=result.segments_total,
        outcome=result.outcome.value,
        options=options,
    )
    try:
        append_record(record)
    except (OSError, MasseurError) as error:
        click.echo(f"masseur: could not save this session to the history: {error}", err=True)
